import type { KeyObject } from 'node:crypto';
import { eq, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import { type ChainReport, verifyAuditChain } from './chain.js';
import { type Checkpoint, keyIdOf, verifyCheckpoints } from './checkpoints.js';

export interface AuditVerification extends ChainReport {
  lastSeq: number | null;
  headHash: string | null;
  recordsWithoutTrail: number;
  /** Records whose current content differs from the `after` of the entry for their current version. */
  recordsNotMatchingTrail: number;
  entriesWithoutRecord: number;
  /** Signed checkpoints the chain was checked against (0 without a key). */
  checkpointsChecked: number;
  /** The key they were checked with; null: no key configured, checkpoints not checked. */
  checkpointKeyId: string | null;
  verifiedAt: string;
}

/** An entry noted from an earlier verification (lastSeq and headHash): it must still be there, unchanged. */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

/**
 * The ten LPP municipalities that migration 0001 seeded: rows that no entry created. Only at
 * version 1 are they exempt from the trail check: a change of one (its name or years) makes a later
 * version, which has its entry like any record's.
 */
const SEEDED_MUNICIPALITIES = ['GM0363', 'GM0202', 'GM0518', 'GM0014', 'GM0796', 'GM0080', 'GM0268', 'GM0599', 'GM0855', 'GM0344'];

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];

/** The version in the `after` of a record's latest entry that has one (jsonb; null when none). */
const latestVersion = (objectType: string, id: SQL) =>
  sql`(select l.after -> 'version' from audit_log l where l.object_type = ${objectType} and l.object_id = ${id}
        and l.after ? 'version' order by l.seq desc limit 1)`;
/** The action of a record's latest entry that changed it (null when none): a redaction changes only its entries. */
const latestAction = (objectType: string, id: SQL) =>
  sql`(select l.action from audit_log l where l.object_type = ${objectType} and l.object_id = ${id} and l.action <> 'redact'
        order by l.seq desc limit 1)`;
/** Whether the row's version is that of its latest entry: a row put back to an earlier version (with its content) is not. */
const atLatestVersion = (objectType: string, id: SQL, version: SQL) => sql`${latestVersion(objectType, id)} = to_jsonb(${version})`;

/**
 * Live rows of every record type whose current state is not the last the trail records: the latest
 * entry with a version must be for the row's version (for a tombstone, the latest entry is its
 * delete), so a record changed behind the service's back counts, and so does one put back to an
 * earlier version with that version's content (an API client un-revoked, a tombstone brought back).
 * A licence, deleted outright after its delete entry, counts when its row is there again.
 * Establishments, licences, enforcement actions, municipalities (bar the seeded ten at version 1) and
 * API clients. A trail whose tail was cut off shows up here too: a rogue admin client whose creation
 * entry was removed is one. Run it in a transaction whose tenant scope is all municipalities, or it
 * sees no records (row-level security). The version is compared as jsonb, never cast: an entry
 * tampered into a version that is no number must count, not fail the run.
 */
async function countRecordsWithoutTrail(q: Queryable): Promise<number> {
  // A record kept as a tombstone once deleted: live, at its latest version; deleted, its latest entry the delete.
  const liveOrDeleted = (objectType: string, alias: 'e' | 'a') => {
    const id = sql.raw(`${alias}.id::text`);
    const live = atLatestVersion(objectType, id, sql.raw(`${alias}.version`));
    return sql`case when ${sql.raw(alias)}.deleted_at is null then ${live} else ${latestAction(objectType, id)} = 'delete' end`;
  };
  const result = await q.execute(sql`
    select
      (select count(*)::int from establishments e where not coalesce(${liveOrDeleted('establishment', 'e')}, false))
    + (select count(*)::int from licences c where not coalesce(
         ${atLatestVersion('licence', sql`c.id::text`, sql`c.version`)} and ${latestAction('licence', sql`c.id::text`)} <> 'delete', false))
    + (select count(*)::int from enforcement_actions a where not coalesce(${liveOrDeleted('enforcement_action', 'a')}, false))
    + (select count(*)::int from municipalities m where not coalesce(${atLatestVersion('municipality', sql`m.code`, sql`m.version`)}, false)
         and not (m.version = 1 and m.code in (${sql.join(
           SEEDED_MUNICIPALITIES.map((c) => sql`${c}`),
           sql`, `,
         )})))
    + (select count(*)::int from api_clients k where not coalesce(${atLatestVersion('api_client', sql`k.id::text`, sql`k.version`)}, false))
    as n`);
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}

/** A timestamp as the API shows it (`Date.toISOString()`: UTC, milliseconds, `Z`), as jsonb. */
const isoTime = (column: string) => `to_jsonb(to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`;

/** One record type's projection: its table, the SQL of its id as the trail names it, which rows are live, and its fields. */
const projection = (table: string, fields: string, o: { id?: string; live?: string } = {}) => ({
  table,
  id: o.id ?? 'id::text',
  live: o.live ?? 'true',
  fields,
});

/**
 * Each record type's live rows as the API shows them: the fields of `toEstablishment`, `toLicence`,
 * `toEnforcementAction`, `toMunicipality` and `toApiClient` (src/application/records.ts) that are
 * stored, built in SQL so that the comparison runs in the database, one statement per type, in the
 * verification's transaction. Left out: what is derived at read time (a licence's `status` and
 * `statusDate`, the last of its `statusHistory`, which is compared) and tombstones (their current
 * version's entry is the delete, whose `after` is null; bringing one back without an entry is
 * counted by countRecordsWithoutTrail). test/db/audit-records-match.test.ts holds every projection
 * to its mapping, so that a field added there and not here fails a test.
 */
export const RECORD_PROJECTIONS = {
  establishment: projection(
    'establishments',
    `jsonb_build_object('id', id, 'municipalityCode', municipality_code, 'name', name, 'kind', kind,
      'address', jsonb_build_object('street', street, 'houseNumber', house_number, 'houseNumberAddition', house_number_addition,
        'postalCode', postal_code, 'city', city),
      'kvkNumber', kvk_number, 'bagId', bag_id, 'externalReference', external_reference,
      'createdAt', ${isoTime('created_at')}, 'updatedAt', ${isoTime('updated_at')}, 'version', version)`,
    { live: 'deleted_at is null' },
  ),
  licence: projection(
    'licences',
    `jsonb_build_object('id', id, 'establishmentId', establishment_id, 'licenceNumber', licence_number,
      'validFrom', valid_from, 'validUntil', valid_until, 'statusHistory', status_history, 'externalReference', external_reference,
      'createdAt', ${isoTime('created_at')}, 'updatedAt', ${isoTime('updated_at')}, 'version', version)`,
  ),
  enforcement_action: projection(
    'enforcement_actions',
    `jsonb_build_object('id', id, 'establishmentId', establishment_id, 'municipalityCode', municipality_code,
      'licenceStatus', licence_status, 'measure', measure, 'grounds', grounds, 'stage', stage, 'decisionDate', decision_date,
      'fine', case when fine_amount_cents is null then null else jsonb_build_object('amountCents', fine_amount_cents) end,
      'penalty', case when penalty_amount_cents is null then null else jsonb_build_object('amountCents', penalty_amount_cents,
        'unit', penalty_unit, 'maximumCents', penalty_maximum_cents, 'complianceDeadline', penalty_compliance_deadline,
        'forfeitedCents', coalesce(penalty_forfeited_cents, 0)) end,
      'closure', case when closure_start_date is null then null
        else jsonb_build_object('startDate', closure_start_date, 'endDate', closure_end_date) end,
      'legalBasis', legal_basis, 'caseReference', case_reference, 'zaakUrl', zaak_url, 'besluitUrl', besluit_url,
      'externalReference', external_reference,
      'createdAt', ${isoTime('created_at')}, 'updatedAt', ${isoTime('updated_at')}, 'version', version)`,
    { live: 'deleted_at is null' },
  ),
  municipality: projection(
    'municipalities',
    `jsonb_build_object('code', code, 'name', name, 'programmes', programmes, 'firstYear', first_year, 'lastYear', last_year,
      'createdAt', ${isoTime('created_at')}, 'updatedAt', ${isoTime('updated_at')}, 'version', version)`,
    { id: 'code' },
  ),
  api_client: projection(
    'api_clients',
    `jsonb_build_object('id', id, 'name', name, 'role', role, 'municipalityCode', municipality_code,
      'createdAt', ${isoTime('created_at')}, 'revokedAt', ${isoTime('revoked_at')}, 'version', version)`,
  ),
} as const;

/**
 * Live records whose current content is not what the trail says it is: an entry for the current
 * version exists (one without is counted by countRecordsWithoutTrail), but none has an `after`
 * that equals the row (RECORD_PROJECTIONS) in every field it holds. A field the entry lacks is not
 * compared: entries written before a column existed (`zaakUrl`, `besluitUrl` since migration 0015,
 * `externalReference` since 0016) hold no such key, and their rows hold null there. A field an entry
 * should hold and lacks changed its content hash, which the chain walk reports. So a measure or a
 * decision date altered in the database without a new version, which would change the counts, is
 * found. The seeded municipalities at version 1 have no entry, so nothing to compare with.
 */
async function countRecordsNotMatchingTrail(q: Queryable): Promise<number> {
  let n = 0;
  for (const [objectType, p] of Object.entries(RECORD_PROJECTIONS)) {
    const result = await q.execute(
      sql.raw(`
      select count(*)::int as n from (select ${p.id} as object_id, version, ${p.fields} as fields from ${p.table} where ${p.live}) x
      where exists (select 1 from audit_log l where l.object_type = '${objectType}' and l.object_id = x.object_id
          and l.after -> 'version' = to_jsonb(x.version))
        and not exists (select 1 from audit_log l where l.object_type = '${objectType}' and l.object_id = x.object_id
          and l.after -> 'version' = to_jsonb(x.version)
          and not exists (select 1 from jsonb_each(x.fields) f where l.after ? f.key and l.after -> f.key is distinct from f.value))`),
    );
    n += Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
  }
  return n;
}

/**
 * Records the trail says exist whose row is gone: every record type keeps its row (tombstones),
 * except licences, which are deleted outright after a delete entry. A licence whose delete entry
 * was cut off the tail, or any row removed behind the service's back, shows up here.
 */
async function countEntriesWithoutRecord(q: Queryable): Promise<number> {
  const result = await q.execute(sql`
    select count(*)::int as n from (select distinct object_type, object_id from audit_log) x
    -- a record destroyed after its retention period (Archiefwet) has a destroy entry instead of a row
    where not exists (select 1 from audit_log d where d.object_type = x.object_type and d.object_id = x.object_id and d.action = 'destroy')
    and case x.object_type
      when 'establishment' then not exists (select 1 from establishments e where e.id::text = x.object_id)
      when 'enforcement_action' then not exists (select 1 from enforcement_actions a where a.id::text = x.object_id)
      when 'municipality' then not exists (select 1 from municipalities m where m.code = x.object_id)
      when 'api_client' then not exists (select 1 from api_clients k where k.id::text = x.object_id)
      when 'licence' then not exists (select 1 from licences c where c.id::text = x.object_id)
        and not exists (select 1 from audit_log d where d.object_type = 'licence' and d.object_id = x.object_id and d.action = 'delete')
      else false
    end`);
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
}

/** How verification checks the signed checkpoints: with this public key, plus checkpoints kept outside the registry. */
export interface CheckpointCheck {
  publicKey: KeyObject | null;
  extra?: readonly Checkpoint[];
}

/** The chain walk plus the tail checks; used by the admin endpoint and `npm run audit:verify`. */
export async function verifyDatabase(q: Queryable, anchor?: AuditAnchor, checkpoints?: CheckpointCheck): Promise<AuditVerification> {
  const chain = await verifyAuditChain(q);
  // An intact chain's head is the last entry the walk checked: entries committed since (the walk's
  // statements are not one snapshot) must not pair a later lastSeq with this headHash, or the two,
  // noted as an anchor, would later report a rewrite that never happened.
  const lastSeq = chain.ok
    ? chain.entriesChecked || null
    : ((await q.select({ seq: auditLog.seq }).from(auditLog).orderBy(sql`${auditLog.seq} desc`).limit(1))[0]?.seq ?? null);
  const [head] = chain.entriesChecked
    ? await q.select({ hash: auditLog.hash }).from(auditLog).where(eq(auditLog.seq, chain.entriesChecked))
    : [];
  const recordsWithoutTrail = await countRecordsWithoutTrail(q);
  const recordsNotMatchingTrail = await countRecordsNotMatchingTrail(q);
  const entriesWithoutRecord = await countEntriesWithoutRecord(q);
  const publicKey = checkpoints?.publicKey ?? null;
  const signed = publicKey && chain.ok ? await verifyCheckpoints(q, publicKey, checkpoints?.extra) : null;
  const report: AuditVerification = {
    ...chain,
    lastSeq,
    headHash: head?.hash ?? null,
    recordsWithoutTrail,
    recordsNotMatchingTrail,
    entriesWithoutRecord,
    checkpointsChecked: signed?.checkpointsChecked ?? 0,
    checkpointKeyId: publicKey ? keyIdOf(publicKey) : null,
    verifiedAt: new Date().toISOString(),
  };
  if (signed?.problem) {
    report.ok = false;
    report.firstBrokenSeq = signed.firstBrokenSeq;
    report.problem = signed.problem;
    return report;
  }
  if (report.ok && anchor) {
    const [noted] = await q.select({ hash: auditLog.hash }).from(auditLog).where(eq(auditLog.seq, anchor.seq));
    if (!noted || noted.hash !== anchor.hash) {
      report.ok = false;
      report.firstBrokenSeq = anchor.seq;
      report.problem = noted
        ? `entry ${anchor.seq} no longer has the hash noted earlier: the trail was rewritten from there on`
        : `entry ${anchor.seq}, noted earlier, is gone: the end of the trail was cut off`;
      return report;
    }
  }
  if (report.ok && recordsWithoutTrail > 0) {
    report.ok = false;
    report.problem = `${recordsWithoutTrail} record(s) have no audit entry for their current version: the end of the trail may have been cut off, or records were changed outside the service`;
  }
  if (report.ok && recordsNotMatchingTrail > 0) {
    report.ok = false;
    report.problem = `${recordsNotMatchingTrail} record(s) differ from the audit entry for their current version: their content was changed outside the service without a new version`;
  }
  if (report.ok && entriesWithoutRecord > 0) {
    report.ok = false;
    report.problem = `${entriesWithoutRecord} record(s) in the trail have no row and no delete entry: the end of the trail may have been cut off, or rows were removed outside the service`;
  }
  return report;
}

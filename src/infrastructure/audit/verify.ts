import type { KeyObject } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import { type ChainReport, verifyAuditChain } from './chain.js';
import { type Checkpoint, keyIdOf, verifyCheckpoints } from './checkpoints.js';

export interface AuditVerification extends ChainReport {
  lastSeq: number | null;
  headHash: string | null;
  recordsWithoutTrail: number;
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
 * version 1 are they exempt from the trail check (municipalities are never changed after creation,
 * so a later version would need an entry like any record).
 */
const SEEDED_MUNICIPALITIES = ['GM0363', 'GM0202', 'GM0518', 'GM0014', 'GM0796', 'GM0080', 'GM0268', 'GM0599', 'GM0855', 'GM0344'];

const rowsOf = <T>(result: unknown): T[] => (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];

/**
 * Live rows of every record type whose current state has no audit entry: the latest version must
 * appear in some entry's `after` (for a tombstone: a delete entry). Establishments, licences,
 * enforcement actions, municipalities (bar the seeded ten at version 1) and API clients. A trail
 * whose tail was cut off, or a record changed behind the service's back, shows up here: a rogue
 * admin client whose creation entry was removed is one. Run it in a transaction whose tenant scope
 * is all municipalities, or it sees no records (row-level security). The version is compared as
 * jsonb, never cast: an entry tampered into a version that is no number must count, not fail the run.
 */
async function countRecordsWithoutTrail(q: Queryable): Promise<number> {
  const result = await q.execute(sql`
    select
      (select count(*)::int from establishments e where not exists (
         select 1 from audit_log l where l.object_type = 'establishment' and l.object_id = e.id::text
           and (case when e.deleted_at is null then l.after -> 'version' = to_jsonb(e.version) else l.action = 'delete' end)))
    + (select count(*)::int from licences c where not exists (
         select 1 from audit_log l where l.object_type = 'licence' and l.object_id = c.id::text
           and l.after -> 'version' = to_jsonb(c.version)))
    + (select count(*)::int from enforcement_actions a where not exists (
         select 1 from audit_log l where l.object_type = 'enforcement_action' and l.object_id = a.id::text
           and (case when a.deleted_at is null then l.after -> 'version' = to_jsonb(a.version) else l.action = 'delete' end)))
    + (select count(*)::int from municipalities m where not exists (
         select 1 from audit_log l where l.object_type = 'municipality' and l.object_id = m.code
           and l.after -> 'version' = to_jsonb(m.version))
         and not (m.version = 1 and m.code in (${sql.join(
           SEEDED_MUNICIPALITIES.map((c) => sql`${c}`),
           sql`, `,
         )})))
    + (select count(*)::int from api_clients k where not exists (
         select 1 from audit_log l where l.object_type = 'api_client' and l.object_id = k.id::text
           and l.after -> 'version' = to_jsonb(k.version)))
    as n`);
  return Number(rowsOf<{ n: number }>(result)[0]?.n ?? 0);
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
  const entriesWithoutRecord = await countEntriesWithoutRecord(q);
  const publicKey = checkpoints?.publicKey ?? null;
  const signed = publicKey && chain.ok ? await verifyCheckpoints(q, publicKey, checkpoints?.extra) : null;
  const report: AuditVerification = {
    ...chain,
    lastSeq,
    headHash: head?.hash ?? null,
    recordsWithoutTrail,
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
  if (report.ok && entriesWithoutRecord > 0) {
    report.ok = false;
    report.problem = `${entriesWithoutRecord} record(s) in the trail have no row and no delete entry: the end of the trail may have been cut off, or rows were removed outside the service`;
  }
  return report;
}

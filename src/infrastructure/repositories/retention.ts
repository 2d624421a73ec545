import { and, eq, inArray, isNotNull, lt, notExists, notInArray, sql } from 'drizzle-orm';
import { NETHERLANDS_TIME_ZONE } from '../../lib/dates.js';
import type { Tx } from '../db/client.js';
import { auditLog, enforcementActions, establishments, licences } from '../db/schema.js';
import { arrayParam, rawRows } from './rows.js';

/** The Netherlands' time zone as SQL: a timestamp's day there, whatever the session's `TimeZone`. */
const NL = sql.raw(`'${NETHERLANDS_TIME_ZONE}'`);

export interface Candidate {
  id: string;
  municipalityCode: string;
  /** The establishment of a licence or an enforcement action: its URL is under it (the event's `dataref`). */
  establishmentId?: string;
  /** The date the retention period ran from. */
  basis: string;
  /** When it was deleted, if it was before its destruction (a tombstone, a licence deleted outright). */
  deletedAt?: Date | null;
  /** A live licence's days: from when, until when, and its status history. */
  licence?: { validFrom: string; validUntil: string | null; statusHistory: unknown };
}

/*
 * The candidates are locked as they are found (FOR UPDATE): a change that commits meanwhile (an action
 * objected to, a licence extended) is waited for and the row judged again as it is then, so a record
 * that no longer qualifies is not destroyed; a run finding rows another run destroyed meanwhile skips them.
 */

/** Enforcement actions decided on or before `cutOff`, not contested any more (tombstones included). */
export function actionsPastRetention(tx: Tx, cutOff: string, keptStages: readonly string[], limit: number): Promise<Candidate[]> {
  return tx
    .select({
      id: enforcementActions.id,
      municipalityCode: enforcementActions.municipalityCode,
      establishmentId: enforcementActions.establishmentId,
      basis: enforcementActions.decisionDate,
      deletedAt: enforcementActions.deletedAt,
    })
    .from(enforcementActions)
    .where(and(sql`${enforcementActions.decisionDate} <= ${cutOff}`, notInArray(enforcementActions.stage, [...keptStages])))
    .orderBy(enforcementActions.decisionDate, enforcementActions.id)
    .limit(limit)
    .for('update');
}

/** Licences that ended on or before `cutOff`. */
export async function licencesPastRetention(tx: Tx, cutOff: string, limit: number): Promise<Candidate[]> {
  const rows = await tx
    .select({
      id: licences.id,
      municipalityCode: licences.municipalityCode,
      establishmentId: licences.establishmentId,
      basis: licences.validUntil,
      validFrom: licences.validFrom,
      statusHistory: licences.statusHistory,
    })
    .from(licences)
    .where(and(isNotNull(licences.validUntil), sql`${licences.validUntil} <= ${cutOff}`))
    .orderBy(licences.validUntil, licences.id)
    .limit(limit)
    .for('update');
  return rows.map(({ validFrom, statusHistory, ...r }) => ({
    ...r,
    basis: r.basis ?? cutOff,
    licence: { validFrom, validUntil: r.basis, statusHistory },
  }));
}

/**
 * Licences deleted outright (the row is gone, the trail's last change of them is a `delete`), not
 * destroyed yet, whose period ran on or before `cutOff`: from the `validUntil` of their last state
 * (the delete entry's `before`), or, without one, from the day they were deleted (in the Netherlands,
 * as the cut-off is), since they can no longer end. The trail is all that is left of them, so it is all retention can destroy.
 *
 * Two runs at once: a live record's destruction is serialised by the delete of its row, which a
 * licence deleted outright no longer has. So one run at a time gets past this transaction lock,
 * and the candidates are read after it, seeing the destroy entries of a run that committed meanwhile.
 */
export async function deletedLicencesPastRetention(tx: Tx, cutOff: string, limit: number): Promise<Candidate[]> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('retention: licences deleted outright'))`);
  const rows = await rawRows<Candidate & { deletedAt: Date | string }>(
    tx,
    sql`select id, "municipalityCode", "establishmentId", basis, "deletedAt" from (
          select d.object_id as id, d.municipality_code as "municipalityCode", d."before" ->> 'establishmentId' as "establishmentId",
            coalesce(d."before" ->> 'validUntil', (d.occurred_at at time zone ${NL})::date::text) as basis, d.occurred_at as "deletedAt"
          from audit_log d
          where d.object_type = 'licence' and d.action = 'delete' and d."before" is not null
            -- a hashed list of the licences there are, not a look-up per entry: without statistics (and under
            -- row-level security) that was a scan of every licence per deleted one, 3.1 s at 3 000 and 6 000
            -- against 66 ms (EXPLAIN ANALYZE, 6 December 2026). licences.id is never null, so NOT IN is NOT EXISTS.
            -- The list is hashed while it fits in work_mem (some 100 000 licences; the Netherlands has a few thousand).
            and d.object_id not in (select c.id::text from licences c)
            -- nothing after the delete but a redaction of its entries (a destroy entry: destroyed already)
            and not exists (select 1 from audit_log n where n.object_type = 'licence' and n.object_id = d.object_id and n.seq > d.seq
                              and n.action <> 'redact')
        ) x
        where basis <= ${cutOff}
        order by basis, id
        limit ${limit}`,
  );
  return rows.map((r) => ({ ...r, deletedAt: new Date(r.deletedAt) })); // a Date from either driver
}

/**
 * Establishments without licences or actions, last changed on or before `cutOff`: the day they were
 * last changed in the Netherlands, as the cut-off is, whatever the session's time zone.
 */
export async function establishmentsPastRetention(tx: Tx, cutOff: string, limit: number): Promise<Candidate[]> {
  const changedAt = sql<string>`greatest(${establishments.updatedAt}, coalesce(${establishments.deletedAt}, ${establishments.updatedAt}))`;
  const rows = await tx
    .select({
      id: establishments.id,
      municipalityCode: establishments.municipalityCode,
      basis: sql<string>`((${changedAt}) at time zone ${NL})::date::text`,
      deletedAt: establishments.deletedAt,
    })
    .from(establishments)
    .where(
      and(
        lt(changedAt, sql`((${cutOff}::date + 1)::timestamp at time zone ${NL})`),
        notExists(tx.select({ one: sql`1` }).from(licences).where(eq(licences.establishmentId, establishments.id))),
        notExists(tx.select({ one: sql`1` }).from(enforcementActions).where(eq(enforcementActions.establishmentId, establishments.id))),
      ),
    )
    .orderBy(establishments.id)
    .limit(limit)
    .for('update');
  return rows;
}

const TABLES = { enforcement_action: enforcementActions, licence: licences, establishment: establishments } as const;

/**
 * Deletes the records, then blanks their audit entries' payloads (migration 0013): answers the blanked
 * entries per record this transaction deleted. A record already gone (a concurrent run destroyed it
 * after this one found it) is left out: its destruction is that run's.
 */
export async function destroyRecords(tx: Tx, type: keyof typeof TABLES, ids: string[]): Promise<Map<string, number[]>> {
  if (ids.length === 0) return new Map();
  const table = TABLES[type];
  const deleted = (await tx.delete(table).where(inArray(table.id, ids)).returning({ id: table.id })).map((r) => r.id);
  return destroyTrails(tx, type, deleted);
}

/**
 * Blanks the payloads of the audit entries of records whose rows are gone (migration 0013 refuses
 * otherwise): answers the blanked entries per record.
 */
export async function destroyTrails(tx: Tx, type: keyof typeof TABLES, ids: string[]): Promise<Map<string, number[]>> {
  const blanked = new Map<string, number[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return blanked;
  const destroyed = await rawRows<{ objectId: string; seq: number | string }>(
    tx,
    sql`select destroyed_object_id as "objectId", destroyed_seq::bigint as seq from registry_destroy_trail(${type}, ${arrayParam(ids)}) order by 2`,
  );
  for (const r of destroyed) blanked.get(r.objectId)?.push(Number(r.seq));
  return blanked;
}

/**
 * Per establishment, the last day on which a licence of it that was destroyed under the Archiefwet could
 * be in force (its `destroy` entry's `inForceUntil`; entries written before it was recorded have only
 * `periodRanFrom`, the licence's `validUntil`, which is never earlier): up to and including that day its
 * licence history is no longer whole. A licence deleted before it was destroyed (its entry has `deletedAt`)
 * had left the history already. Establishments without one are absent from the map.
 */
export async function destroyedLicencesUntil(tx: Tx, establishmentIds: readonly string[]): Promise<Map<string, string>> {
  if (establishmentIds.length === 0) return new Map();
  const establishment = sql`(${auditLog.after} ->> 'establishmentId')`;
  const rows = await tx
    .select({
      establishmentId: sql<string>`${establishment}`,
      until: sql<string>`max(coalesce(${auditLog.after} ->> 'inForceUntil', ${auditLog.after} ->> 'periodRanFrom'))`,
    })
    .from(auditLog)
    .where(
      and(
        // Literals, as in the partial index's predicate (migration 0030), so that it serves a prepared statement too.
        sql`${auditLog.action} = 'destroy' and ${auditLog.objectType} = 'licence'`,
        sql`${establishment} = any(${arrayParam(establishmentIds)})`,
        sql`(${auditLog.after} ->> 'deletedAt') is null`,
      ),
    )
    .groupBy(establishment);
  return new Map(rows.map((r) => [r.establishmentId, r.until]));
}

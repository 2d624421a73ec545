import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client.js';
import { enforcementActions, establishments, licences } from '../db/schema.js';
import { arrayParam } from './rows.js';

/**
 * Reads for an export: one municipality's records in id order, a batch at a time after the last id
 * of the previous batch (keyset), so memory stays flat however many there are. Tombstones come too
 * and the caller leaves them out: with `deleted_at is null` here the planner may take a partial
 * index and sort every page (migration 0018).
 */

/** How a record refers to its establishment in a file: the establishment's own reference, else its id. */
const establishmentReference = sql<string>`coalesce(${establishments.externalReference}, ${establishments.id}::text)`;

/** The municipality's rows after `afterId` (all of them from the start when null). */
const batchAfter = (
  t: typeof establishments | typeof licences | typeof enforcementActions,
  municipalityCode: string,
  afterId: string | null,
) => and(eq(t.municipalityCode, municipalityCode), afterId ? gt(t.id, afterId) : undefined);

export function establishmentsAfter(q: Queryable, municipalityCode: string, afterId: string | null, limit: number) {
  const t = establishments;
  return q
    .select()
    .from(t)
    .where(batchAfter(t, municipalityCode, afterId))
    .orderBy(asc(t.id))
    .limit(limit);
}

/**
 * Reads of a table whose records belong to an establishment: each row with its establishment's
 * reference. The page first, then its establishments by id: joined in one statement, a planner
 * without statistics (right after a large import, before autovacuum has analysed the tables) looped
 * over every establishment and scanned the municipality's index for each, 2.7 s a page of 1000 at
 * 100 000 actions, against 22 ms for the page alone (docs/performance.md).
 */
function withEstablishmentReferenceAfter<T extends typeof licences | typeof enforcementActions>(t: T) {
  type Row = T['$inferSelect'];
  return async (
    q: Queryable,
    municipalityCode: string,
    afterId: string | null,
    limit: number,
  ): Promise<{ row: Row; establishmentReference: string }[]> => {
    const rows = (await q
      .select()
      .from(t as PgTable)
      .where(batchAfter(t, municipalityCode, afterId))
      .orderBy(asc(t.id))
      .limit(limit)) as Row[];
    const ids = [...new Set(rows.map((r) => r.establishmentId))];
    const references = new Map<string, string>();
    if (ids.length > 0) {
      const found = await q
        .select({ id: establishments.id, establishmentReference })
        .from(establishments)
        .where(sql`${establishments.id} = any(${arrayParam(ids, 'uuid')})`);
      for (const f of found) references.set(f.id, f.establishmentReference);
    }
    // Every row stays (the exporter ends at a page shorter than asked); an establishment not found,
    // which its foreign key rules out, would be named by its id, as one without a reference is.
    return rows.map((row) => ({ row, establishmentReference: references.get(row.establishmentId) ?? row.establishmentId }));
  };
}

export const licencesAfter = withEstablishmentReferenceAfter(licences);

export const enforcementActionsAfter = withEstablishmentReferenceAfter(enforcementActions);

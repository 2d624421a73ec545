import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Queryable } from '../db/client.js';
import { enforcementActions, establishments, licences } from '../db/schema.js';

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

/** Reads of a table whose records belong to an establishment: each row with its establishment's reference. */
function withEstablishmentReferenceAfter<T extends typeof licences | typeof enforcementActions>(t: T) {
  type Batch = { row: T['$inferSelect']; establishmentReference: string }[];
  return async (q: Queryable, municipalityCode: string, afterId: string | null, limit: number): Promise<Batch> =>
    (await q
      .select({ row: t as PgTable, establishmentReference })
      .from(t as PgTable)
      .innerJoin(establishments, eq(establishments.id, t.establishmentId))
      .where(batchAfter(t, municipalityCode, afterId))
      .orderBy(asc(t.id))
      .limit(limit)) as Batch;
}

export const licencesAfter = withEstablishmentReferenceAfter(licences);

export const enforcementActionsAfter = withEstablishmentReferenceAfter(enforcementActions);

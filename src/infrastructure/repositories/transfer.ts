import { and, asc, eq, gt, sql } from 'drizzle-orm';
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

export function establishmentsAfter(q: Queryable, municipalityCode: string, afterId: string | null, limit: number) {
  const t = establishments;
  return q
    .select()
    .from(t)
    .where(and(eq(t.municipalityCode, municipalityCode), afterId ? gt(t.id, afterId) : undefined))
    .orderBy(asc(t.id))
    .limit(limit);
}

export function licencesAfter(q: Queryable, municipalityCode: string, afterId: string | null, limit: number) {
  const t = licences;
  return q
    .select({ row: t, establishmentReference })
    .from(t)
    .innerJoin(establishments, eq(establishments.id, t.establishmentId))
    .where(and(eq(t.municipalityCode, municipalityCode), afterId ? gt(t.id, afterId) : undefined))
    .orderBy(asc(t.id))
    .limit(limit);
}

export function enforcementActionsAfter(q: Queryable, municipalityCode: string, afterId: string | null, limit: number) {
  const t = enforcementActions;
  return q
    .select({ row: t, establishmentReference })
    .from(t)
    .innerJoin(establishments, eq(establishments.id, t.establishmentId))
    .where(and(eq(t.municipalityCode, municipalityCode), afterId ? gt(t.id, afterId) : undefined))
    .orderBy(asc(t.id))
    .limit(limit);
}

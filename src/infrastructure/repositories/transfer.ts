import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { enforcementActions, establishments, licences } from '../db/schema.js';

/**
 * Reads for an export: one municipality's live records in id order, a batch at a time after the
 * last id of the previous batch (keyset), so memory stays flat however many there are.
 */

/** How a record refers to its establishment in a file: the establishment's own reference, else its id. */
const establishmentReference = sql<string>`coalesce(${establishments.externalReference}, ${establishments.id}::text)`;

export function establishmentsAfter(q: Queryable, municipalityCode: string, afterId: string | null, limit: number) {
  const t = establishments;
  return q
    .select()
    .from(t)
    .where(and(eq(t.municipalityCode, municipalityCode), isNull(t.deletedAt), afterId ? gt(t.id, afterId) : undefined))
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
    .where(and(eq(t.municipalityCode, municipalityCode), isNull(t.deletedAt), afterId ? gt(t.id, afterId) : undefined))
    .orderBy(asc(t.id))
    .limit(limit);
}

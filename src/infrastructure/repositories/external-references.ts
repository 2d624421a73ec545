import { and, eq, isNull, ne } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { enforcementActions, establishments, licences } from '../db/schema.js';

/** The record types that carry a municipality's own reference, and their tables. */
const tables = { establishment: establishments, licence: licences, enforcement_action: enforcementActions } as const;
export type ReferencedType = keyof typeof tables;

/**
 * The id of the live record of this type in the municipality with this externalReference, or null
 * (except `exceptId`, when given: the record being replaced).
 */
export async function idByExternalReference(
  q: Queryable,
  type: ReferencedType,
  municipalityCode: string,
  reference: string,
  exceptId?: string,
): Promise<string | null> {
  const t = tables[type];
  const [row] = await q
    .select({ id: t.id })
    .from(t)
    .where(
      and(
        eq(t.municipalityCode, municipalityCode),
        eq(t.externalReference, reference),
        'deletedAt' in t ? isNull(t.deletedAt) : undefined,
        exceptId ? ne(t.id, exceptId) : undefined,
      ),
    )
    .limit(1);
  return row?.id ?? null;
}

type Rows = {
  establishment: typeof establishments.$inferSelect;
  licence: typeof licences.$inferSelect;
  enforcement_action: typeof enforcementActions.$inferSelect;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The live record of this type in the municipality that a file's reference names: the one with
 * that externalReference or, when none has it and the reference is a registry id (an export of a
 * record without a reference), the one with that id. Locked for update: it may be replaced next.
 */
export async function findByReference<K extends ReferencedType>(
  q: Queryable,
  type: K,
  municipalityCode: string,
  reference: string,
): Promise<{ row: Rows[K]; matchedBy: 'reference' | 'id' } | null> {
  const t = tables[type];
  const live = 'deletedAt' in t ? isNull(t.deletedAt) : undefined;
  const lookup = async (where: ReturnType<typeof eq>) => {
    const [row] = await q
      .select()
      .from(t as typeof establishments)
      .where(and(eq(t.municipalityCode, municipalityCode), where, live))
      .limit(1)
      .for('update');
    return row as Rows[K] | undefined;
  };
  const byReference = await lookup(eq(t.externalReference, reference));
  if (byReference) return { row: byReference, matchedBy: 'reference' };
  if (!UUID.test(reference)) return null;
  const byId = await lookup(eq(t.id, reference.toLowerCase()));
  return byId ? { row: byId, matchedBy: 'id' } : null;
}

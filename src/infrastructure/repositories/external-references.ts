import { and, eq, isNull, ne, sql } from 'drizzle-orm';
import { type Queryable, withPlansForPresentSize } from '../db/client.js';
import { violatedUniqueIndex } from '../db/errors.js';
import { enforcementActions, establishments, licences } from '../db/schema.js';
import { arrayParam, rawRows } from './rows.js';

/** The record types that carry a municipality's own reference, and their tables. */
const tables = { establishment: establishments, licence: licences, enforcement_action: enforcementActions } as const;
export type ReferencedType = keyof typeof tables;

/** The unique indexes of migration 0016: one live record per municipality, record type and externalReference. */
const REFERENCE_INDEXES: Record<string, ReferencedType> = {
  establishments_external_reference_key: 'establishment',
  licences_external_reference_key: 'licence',
  enforcement_actions_external_reference_key: 'enforcement_action',
};

/**
 * The record type whose externalReference index a failed write ran into (a concurrent writer
 * committed the same reference first), or null for any other error.
 */
export function referenceIndexViolated(err: unknown): ReferencedType | null {
  const index = violatedUniqueIndex(err);
  return (index && REFERENCE_INDEXES[index]) || null;
}

/**
 * The live record of this type in the municipality with this externalReference, or null (except
 * `exceptId`, when given: the record being replaced): its id, and for a licence its establishment's.
 */
export async function recordByExternalReference(
  q: Queryable,
  type: ReferencedType,
  municipalityCode: string,
  reference: string,
  exceptId?: string,
): Promise<{ id: string; establishmentId: string | null } | null> {
  const t = tables[type];
  const [row] = await q
    .select({ id: t.id, establishmentId: type === 'licence' ? licences.establishmentId : sql<null>`null` })
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
  return row ?? null;
}

/**
 * Which of these references live records of this type in the municipality hold: reference → id.
 * One probe of the unique index (municipality, reference) per reference, planned for the table's
 * present size: an `in (…)` list, or a generic plan cached while the table was nearly empty, let
 * the planner scan the municipality's rows and compare each with every reference (from 130 ms to
 * 18 s a batch during an import, before the table had been analysed).
 */
export function idsByExternalReference(
  q: Queryable,
  type: ReferencedType,
  municipalityCode: string,
  references: readonly string[],
): Promise<Map<string, string>> {
  if (references.length === 0) return Promise.resolve(new Map());
  return withPlansForPresentSize(q, () => referenceHolders(q, type, municipalityCode, references));
}

/** idsByExternalReference without the plan setting, for callers that make it themselves (references not empty). */

async function referenceHolders(
  q: Queryable,
  type: ReferencedType,
  municipalityCode: string,
  references: readonly string[],
): Promise<Map<string, string>> {
  const t = tables[type];
  const live = 'deletedAt' in t ? sql`and ${t.deletedAt} is null` : sql``;
  const rows = await rawRows<{ reference: string; id: string }>(
    q,
    sql`select r.reference, x.id from unnest(${arrayParam(references)}) as r(reference)
        cross join lateral (select ${t.id} as id from ${t}
          where ${t.municipalityCode} = ${municipalityCode} and ${t.externalReference} = r.reference ${live} limit 1) x`,
  );
  return new Map(rows.map((r) => [r.reference, r.id]));
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

/**
 * `findByReference` for many references in one query (an import's batch): reference → the record it
 * names, by externalReference or else by registry id, with the same rules. Locked for update.
 */
export async function findManyByReference<K extends ReferencedType>(
  q: Queryable,
  type: K,
  municipalityCode: string,
  references: readonly string[],
): Promise<Map<string, { row: Rows[K]; matchedBy: 'reference' | 'id' }>> {
  const found = new Map<string, { row: Rows[K]; matchedBy: 'reference' | 'id' }>();
  if (references.length === 0) return found;
  const t = tables[type];
  const rows = await withPlansForPresentSize(q, async () => {
    const held = await referenceHolders(q, type, municipalityCode, references);
    const ids = [...held.values(), ...references.filter((r) => !held.has(r) && UUID.test(r)).map((r) => r.toLowerCase())];
    if (ids.length === 0) return [];
    return (await q
      .select()
      .from(t as typeof establishments)
      .where(
        and(
          sql`${t.id} = any(${arrayParam(ids, 'uuid')})`,
          eq(t.municipalityCode, municipalityCode),
          'deletedAt' in t ? isNull(t.deletedAt) : undefined,
        ),
      )
      .orderBy(t.id)
      .for('update')) as Rows[K][];
  });
  const byReference = new Map(rows.filter((r) => r.externalReference !== null).map((r) => [r.externalReference as string, r]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const reference of references) {
    const row = byReference.get(reference);
    if (row) found.set(reference, { row, matchedBy: 'reference' });
    else if (UUID.test(reference)) {
      const other = byId.get(reference.toLowerCase());
      if (other) found.set(reference, { row: other, matchedBy: 'id' });
    }
  }
  return found;
}

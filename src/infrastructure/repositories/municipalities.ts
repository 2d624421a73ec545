import { asc, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { municipalities } from '../db/schema.js';
import { type PageRequest, selectPage } from './rows.js';

export type MunicipalityRow = typeof municipalities.$inferSelect;

export function listMunicipalities(q: Queryable, programme: string | undefined, page: PageRequest) {
  const where = programme ? sql`${programme} = any(${municipalities.programmes})` : undefined;
  return selectPage(q, municipalities, where, [asc(municipalities.code)], page);
}

export async function findMunicipality(q: Queryable, code: string): Promise<MunicipalityRow | null> {
  const [row] = await q.select().from(municipalities).where(eq(municipalities.code, code));
  return row ?? null;
}

/** Inserts the municipality unless its code is taken; null when it was. */
export async function insertMunicipalityIfAbsent(
  q: Queryable,
  values: typeof municipalities.$inferInsert,
): Promise<MunicipalityRow | null> {
  const [row] = await q.insert(municipalities).values(values).onConflictDoNothing().returning();
  return row ?? null;
}

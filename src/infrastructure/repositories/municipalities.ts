import { asc, eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { enforcementActions, municipalities } from '../db/schema.js';
import { reportingAttestations } from '../db/schema-reporting.js';
import { statisticsDestroyedCells } from '../db/schema-statistics.js';
import { type PageRequest, selectPage } from './rows.js';

export type MunicipalityRow = typeof municipalities.$inferSelect;

export function listMunicipalities(q: Queryable, programme: string | undefined, page: PageRequest) {
  const where = programme ? sql`${programme} = any(${municipalities.programmes})` : undefined;
  return selectPage(q, municipalities, where, [asc(municipalities.code)], page);
}

/**
 * The municipality, or null. `lock`: 'update' for a change of it; 'share' for a write that rests on
 * its years (a record dated in one), so that a change of its years waits for that write and then sees it.
 */
export async function findMunicipality(q: Queryable, code: string, lock?: 'update' | 'share'): Promise<MunicipalityRow | null> {
  const query = q.select().from(municipalities).where(eq(municipalities.code, code));
  const [row] = lock ? await query.for(lock) : await query;
  return row ?? null;
}

export async function updateMunicipality(
  q: Queryable,
  code: string,
  values: Partial<typeof municipalities.$inferInsert>,
): Promise<MunicipalityRow | null> {
  const [row] = await q.update(municipalities).set(values).where(eq(municipalities.code, code)).returning();
  return row ?? null;
}

/**
 * The years before `firstYear` or after `lastYear` (null: open) in which the municipality has records:
 * live enforcement actions (any stage), counts of destroyed ones, live reporting attestations.
 */
export async function yearsWithRecordsOutside(
  q: Queryable,
  code: string,
  firstYear: number | null,
  lastYear: number | null,
): Promise<number[]> {
  const res = (await q.execute(sql`
    select distinct year from (
      select extract(year from ${enforcementActions.decisionDate})::int as year from ${enforcementActions}
      where ${enforcementActions.municipalityCode} = ${code} and ${enforcementActions.deletedAt} is null
      union all
      select ${statisticsDestroyedCells.year} from ${statisticsDestroyedCells}
      where ${statisticsDestroyedCells.municipalityCode} = ${code} and ${statisticsDestroyedCells.actions} <> 0
      union all
      select ${reportingAttestations.year} from ${reportingAttestations}
      where ${reportingAttestations.municipalityCode} = ${code} and ${reportingAttestations.deletedAt} is null
    ) y
    where year < ${firstYear ?? -1} or year > ${lastYear ?? 1_000_000}
    order by year`)) as unknown as { rows: { year: unknown }[] };
  return res.rows.map((r) => Number(r.year));
}

/** Inserts the municipality unless its code is taken; null when it was. */
export async function insertMunicipalityIfAbsent(
  q: Queryable,
  values: typeof municipalities.$inferInsert,
): Promise<MunicipalityRow | null> {
  const [row] = await q.insert(municipalities).values(values).onConflictDoNothing().returning();
  return row ?? null;
}

import { and, asc, desc, eq, gte, isNull, lte, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { openDataReleases, reportingAttestations, statisticsReleases } from '../db/schema-reporting.js';
import type { TenantScope } from '../db/tenant.js';
import { arrayParam, insertRow, type PageRequest, rawRows, selectOne, selectPage, tenantRecords, updateRow } from './rows.js';

export type AttestationRow = typeof reportingAttestations.$inferSelect;
export type AttestationValues = typeof reportingAttestations.$inferInsert;

const records = tenantRecords(reportingAttestations);

export const findAttestation = records.find;

export interface AttestationFilters {
  municipalityCode?: string | undefined;
  yearFrom?: number | undefined;
  yearTo?: number | undefined;
}

export function listAttestations(q: Queryable, scope: TenantScope, f: AttestationFilters, page: PageRequest) {
  const t = reportingAttestations;
  const where = and(
    records.live(scope),
    f.municipalityCode ? eq(t.municipalityCode, f.municipalityCode) : undefined,
    f.yearFrom !== undefined ? gte(t.year, f.yearFrom) : undefined,
    f.yearTo !== undefined ? lte(t.year, f.yearTo) : undefined,
  );
  return selectPage(q, t, where, [asc(t.municipalityCode), asc(t.year), asc(t.id)], page);
}

/**
 * Serialises, until the transaction ends, the attestations of one municipality and year: the look-up
 * after it sees one a concurrent create committed (a 409), instead of both inserting (a 500).
 */
export async function lockAttestationYear(q: Queryable, municipalityCode: string, year: number): Promise<void> {
  await q.execute(sql`select pg_advisory_xact_lock(hashtext(${`reporting_attestation:${municipalityCode}:${year}`}))`);
}

/** The live attestation of a municipality and year, if any (for the one-per-year rule). */
export const findLiveAttestationFor = (q: Queryable, municipalityCode: string, year: number) =>
  selectOne(
    q,
    reportingAttestations,
    and(
      isNull(reportingAttestations.deletedAt),
      eq(reportingAttestations.municipalityCode, municipalityCode),
      eq(reportingAttestations.year, year),
    ),
  );

export const insertAttestation = (q: Queryable, values: AttestationValues) => insertRow(q, reportingAttestations, values);

export const updateAttestation = (q: Queryable, id: string, values: Partial<AttestationValues>) =>
  updateRow(q, reportingAttestations, reportingAttestations.id, id, values);

/** Actions of a municipality in a year in the given stages, from the rollup and the counts of destroyed ones. */
export async function countedActions(q: Queryable, municipalityCode: string, year: number, stages: readonly string[]): Promise<number> {
  const [row] = await rawRows<{ n: number }>(
    q,
    sql`select coalesce(sum(actions), 0)::int as n from (
          select actions, municipality_code, year, stage from statistics_action_cells
          union all
          select actions, municipality_code, year, stage from statistics_destroyed_cells) cells
        where municipality_code = ${municipalityCode} and year = ${year}
          and stage = any(${arrayParam(stages)})`,
  );
  return Number(row?.n ?? 0);
}

/**
 * The municipality-years a live attestation says have nothing to report, as "GM0363:2019" keys (every
 * municipality in the caller's scope). One that says there is something (nothingToReport false)
 * makes no 0 a known figure.
 */
export async function nothingToReportYears(q: Queryable): Promise<Set<string>> {
  const rows = await q
    .select({ code: reportingAttestations.municipalityCode, year: reportingAttestations.year })
    .from(reportingAttestations)
    .where(and(isNull(reportingAttestations.deletedAt), eq(reportingAttestations.nothingToReport, true)));
  return new Set(rows.map((r) => `${r.code}:${r.year}`));
}

export type StatisticsReleaseRow = typeof statisticsReleases.$inferSelect;

/**
 * Stores a statistics release under the next number, without gaps: a transaction-scoped advisory
 * lock serialises concurrent releases, so two cannot take the same number.
 */
export async function insertStatisticsRelease(
  q: Queryable,
  values: Omit<typeof statisticsReleases.$inferInsert, 'number'>,
): Promise<StatisticsReleaseRow> {
  await q.execute(sql`select pg_advisory_xact_lock(hashtext('statistics_releases'))`);
  const [last] = await q
    .select({ n: statisticsReleases.number })
    .from(statisticsReleases)
    .orderBy(desc(statisticsReleases.number))
    .limit(1);
  return insertRow(q, statisticsReleases, { ...values, number: (last?.n ?? 0) + 1 });
}

export const findStatisticsRelease = (q: Queryable, n: number) => selectOne(q, statisticsReleases, eq(statisticsReleases.number, n));

export const listStatisticsReleases = (q: Queryable, page: PageRequest) =>
  selectPage(q, statisticsReleases, undefined, [asc(statisticsReleases.number)], page);

/** Stores the open data of a moment; false when that moment already has its release (another instance was first). */
export async function insertOpenDataRelease(q: Queryable, moment: Date, computedAt: Date, content: unknown): Promise<boolean> {
  const rows = await q
    .insert(openDataReleases)
    .values({ moment, computedAt, content })
    .onConflictDoNothing({ target: openDataReleases.moment })
    .returning({ moment: openDataReleases.moment });
  return rows.length === 1;
}

/** The release of exactly this moment, or null. */
export const findOpenDataRelease = (q: Queryable, moment: Date) => selectOne(q, openDataReleases, eq(openDataReleases.moment, moment));

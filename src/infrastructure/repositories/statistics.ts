import { type SQL, sql } from 'drizzle-orm';
import { YEAR_FLOOR, YEAR_HORIZON } from '../../lib/dates.js';
import type { Queryable } from '../db/client.js';
import { reportingAttestations } from '../db/schema-reporting.js';
import {
  statisticsActionCells,
  statisticsActionGroundCells,
  statisticsDestroyedCells,
  statisticsDestroyedGroundCells,
  statisticsNationalCells,
  statisticsNationalGroundCells,
} from '../db/schema-statistics.js';
import { arrayParam } from './rows.js';
import { type Cell, columnOf, DIMENSIONS, type Dimension, KEY_OF } from './statistics-cells.js';

/** The rollup tables by scope (per municipality or national) and by whether ground is a dimension. */
const ROLLUPS = {
  municipal: { plain: statisticsActionCells, ground: statisticsActionGroundCells },
  national: { plain: statisticsNationalCells, ground: statisticsNationalGroundCells },
} as const;

/** The counts of destroyed actions (Archiefwet), per municipality: statistics add them to the rollups. */
const DESTROYED = { plain: statisticsDestroyedCells, ground: statisticsDestroyedGroundCells } as const;

/** A resolved statistics question: scope, period, filters and grouping, all explicit. */
export interface StatisticsQuery {
  groupBy: readonly Dimension[];
  municipalityCodes: readonly string[];
  /** Inclusive decision-date range; the year range is derived from it. */
  decisionDateFrom: string;
  decisionDateTo: string;
  stages: readonly string[];
  licenceStatuses: readonly string[] | null;
  measures: readonly string[] | null;
  /** Every registered municipality is in scope: national rollups can answer without a municipality filter. */
  allMunicipalities: boolean;
  /** Count the rows that exist only, without the counts of destroyed actions (a list's total). */
  liveOnly?: boolean;
}

export interface MunicipalityRef {
  code: string;
  name: string;
  programmes: string[];
  /** The years it exists (domain/municipalities.ts); null is open. */
  firstYear: number | null;
  lastYear: number | null;
}

/** The rollup holds whole years: a question for whole calendar years can be answered from it. */
export const wholeYears = (from: string, to: string) => from.endsWith('-01-01') && to.endsWith('-12-31');

function toCell(r: Record<string, unknown>, groupBy: readonly Dimension[]): Cell {
  const c: Cell = {
    actions: Number(r.actions),
    fineAmountCents: Number(r.fine_amount_cents),
    penaltyMaximumCents: Number(r.penalty_maximum_cents),
    penaltyForfeitedCents: Number(r.penalty_forfeited_cents),
  };
  for (const d of DIMENSIONS) {
    if (!groupBy.includes(d)) continue;
    const v = r[columnOf(d)];
    (c as unknown as Record<string, unknown>)[KEY_OF[d]] = d === 'year' ? Number(v) : String(v);
  }
  return c;
}

/** Both drivers answer execute() with `{ rows }`; the shared type does not say so. */
const rows = async (q: Queryable, query: SQL) => (await q.execute(query)) as unknown as { rows: unknown[] };

/**
 * The statistics' queries: the municipalities in scope, the years with data, and the grouped counts
 * and sums (from the rollups for whole years, else from the actions). Each runs on the caller's
 * connection or transaction.
 */
export const statisticsRepository = {
  async municipalities(q: Queryable): Promise<MunicipalityRef[]> {
    const res = await rows(q, sql`select code, name, programmes, first_year, last_year from municipalities order by code`);
    const year = (v: unknown) => (v === null || v === undefined ? null : Number(v));
    return (res.rows as Record<string, unknown>[]).map((r) => ({
      code: String(r.code),
      name: String(r.name),
      programmes: r.programmes as string[],
      firstYear: year(r.first_year),
      lastYear: year(r.last_year),
    }));
  },

  /**
   * First and last year with any live action (any stage), from the rollup, or with a live reporting
   * attestation (a year attested with nothing to report is data too: a true 0); null when neither.
   * Only years of the plausible date range count (src/lib/dates.ts): a stored date outside it
   * (entered before the range was enforced) cannot stretch everyone's default period.
   */
  async dataYears(
    q: Queryable,
    municipalityCodes: readonly string[],
    allMunicipalities: boolean,
  ): Promise<{ from: number; to: number } | null> {
    const inScope = allMunicipalities ? sql`` : sql` and municipality_code = any(${arrayParam(municipalityCodes)})`;
    const res = await rows(
      q,
      sql`select min(year) as lo, max(year) as hi from (
            select year from ${allMunicipalities ? statisticsNationalCells : statisticsActionCells}
            where actions <> 0 and year between ${YEAR_FLOOR} and ${YEAR_HORIZON}${inScope}
            union all
            select year from ${statisticsDestroyedCells}
            where actions <> 0 and year between ${YEAR_FLOOR} and ${YEAR_HORIZON}${inScope}
            union all
            select year from ${reportingAttestations}
            where deleted_at is null and year between ${YEAR_FLOOR} and ${YEAR_HORIZON}${inScope}) y`,
    );
    const r = res.rows[0] as { lo: unknown; hi: unknown } | undefined;
    if (!r || r.lo === null || r.lo === undefined) return null;
    return { from: Number(r.lo), to: Number(r.hi) };
  },

  /**
   * Years between `from` and `to` with actions of these municipalities destroyed under the Archiefwet:
   * their counts are kept per year only (migration 0020), so only whole years can answer for them.
   */
  async yearsWithDestroyedActions(q: Queryable, municipalityCodes: readonly string[], from: string, to: string): Promise<number[]> {
    const res = await rows(
      q,
      sql`select distinct year from ${statisticsDestroyedCells}
          where actions <> 0 and year between ${Number(from.slice(0, 4))} and ${Number(to.slice(0, 4))}
            and municipality_code = any(${arrayParam(municipalityCodes)})
          order by 1`,
    );
    return (res.rows as { year: unknown }[]).map((r) => Number(r.year));
  },

  /**
   * Counts and sums for the question, grouped. Whole calendar years come from the rollup (a few
   * rows per year and municipality); any other date range from enforcement_actions through its
   * decision_date index. Both apply the same rule; only non-empty groups are returned.
   */
  async aggregate(db: Queryable, q: StatisticsQuery): Promise<{ cells: Cell[]; source: 'rollup' | 'actions' }> {
    if (q.municipalityCodes.length === 0 && !q.allMunicipalities) return { cells: [], source: 'rollup' };
    const byGround = q.groupBy.includes('ground');
    const groupCols = q.groupBy.map(columnOf).join(', ');
    const useRollup = wholeYears(q.decisionDateFrom, q.decisionDateTo);
    const filters = [
      sql`municipality_code = any(${arrayParam(q.municipalityCodes)})`,
      sql`stage = any(${arrayParam(q.stages)})`,
      q.licenceStatuses ? sql`licence_status = any(${arrayParam(q.licenceStatuses)})` : undefined,
      q.measures ? sql`measure = any(${arrayParam(q.measures)})` : undefined,
    ].filter(Boolean);
    let query: SQL;
    const national = useRollup && q.allMunicipalities && !q.groupBy.includes('municipality');
    if (national) filters.shift(); // the national rollups hold every municipality together
    if (useRollup) {
      const kind = byGround ? 'ground' : 'plain';
      const live = ROLLUPS[national ? 'national' : 'municipal'][kind];
      const columns = [
        'year',
        ...(national ? [] : ['municipality_code']),
        'licence_status',
        'measure',
        'stage',
        ...(byGround ? ['ground'] : []),
        'actions',
        'fine_amount_cents',
        'penalty_maximum_cents',
        'penalty_forfeited_cents',
      ].join(', ');
      // The counts of destroyed actions are kept apart and added here (the national ones summed from them).
      const table = q.liveOnly
        ? sql`${live}`
        : sql`(select ${sql.raw(columns)} from ${live} union all select ${sql.raw(columns)} from ${DESTROYED[kind]}) cells`;
      const yearFrom = Number(q.decisionDateFrom.slice(0, 4));
      const yearTo = Number(q.decisionDateTo.slice(0, 4));
      query = sql`select ${sql.raw(groupCols ? `${groupCols}, ` : '')}
          coalesce(sum(actions), 0) as actions, coalesce(sum(fine_amount_cents), 0) as fine_amount_cents,
          coalesce(sum(penalty_maximum_cents), 0) as penalty_maximum_cents, coalesce(sum(penalty_forfeited_cents), 0) as penalty_forfeited_cents
        from ${table}
        where year between ${yearFrom} and ${yearTo}${filters.length ? sql` and ${sql.join(filters, sql` and `)}` : sql``}
        ${sql.raw(groupCols ? `group by ${groupCols} having sum(actions) <> 0` : '')}`;
    } else {
      const groundJoin = byGround ? sql` cross join lateral (select distinct unnest(a.grounds) as ground) g` : sql``;
      query = sql`select ${sql.raw(groupCols ? `${groupCols}, ` : '')}
          count(*) as actions, coalesce(sum(fine_amount_cents), 0) as fine_amount_cents,
          coalesce(sum(penalty_maximum_cents), 0) as penalty_maximum_cents, coalesce(sum(penalty_forfeited_cents), 0) as penalty_forfeited_cents
        from (select extract(year from decision_date)::int as year, municipality_code, licence_status, measure, stage, grounds,
                     fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents
              from enforcement_actions
              where deleted_at is null and decision_date between ${q.decisionDateFrom}::date and ${q.decisionDateTo}::date) a${groundJoin}
        where ${sql.join(filters, sql` and `)}
        ${sql.raw(groupCols ? `group by ${groupCols}` : '')}`;
    }
    const res = await rows(db, query);
    const cells = (res.rows as Record<string, unknown>[]).map((r) => toCell(r, q.groupBy));
    return { cells, source: useRollup ? 'rollup' : 'actions' };
  },
};

import { type Cell, DIMENSIONS, type Dimension, KEY_OF } from '../infrastructure/repositories/statistics-cells.js';
import { firstDayOf, isFirstOfMonth, isIsoDate, isLastOfMonth, lastDayOf } from '../lib/dates.js';
import { GROUNDS, LICENCE_STATUSES, MEASURES, STAGES } from './codes.js';
import { COUNTED_STAGES, type StageName } from './enforcement-actions.js';
import type { InvalidParam } from './errors.js';
import type { MunicipalityYears } from './municipalities.js';

export { type Cell, DIMENSIONS, type Dimension, GROUNDS, KEY_OF, LICENCE_STATUSES, MEASURES, STAGES };

/** Dimensions open data may be grouped by: each action counts once in them, so margins add up. */
export const OPEN_DATA_DIMENSIONS = ['year', 'municipality', 'licenceStatus', 'measure'] as const;
export type OpenDataDimension = (typeof OPEN_DATA_DIMENSIONS)[number];
export const DEFAULT_STAGES: readonly StageName[] = COUNTED_STAGES;

/** Orders dimension values the way the enumerations are listed (years and codes ascending). */
const ORDER: Record<Dimension, readonly (string | number)[] | null> = {
  year: null,
  municipality: null,
  licenceStatus: LICENCE_STATUSES,
  measure: MEASURES,
  ground: GROUNDS,
  stage: STAGES,
};

function compareCells(groupBy: readonly Dimension[]) {
  return (a: Cell, b: Cell): number => {
    for (const d of DIMENSIONS) {
      if (!groupBy.includes(d)) continue;
      const av = a[KEY_OF[d]] as string | number;
      const bv = b[KEY_OF[d]] as string | number;
      const order = ORDER[d];
      const diff = order ? order.indexOf(av) - order.indexOf(bv) : av < bv ? -1 : av > bv ? 1 : 0;
      if (diff !== 0) return diff;
    }
    return 0;
  };
}

/** The period of a statistics question as sent: years or decision dates. */
export interface Period {
  yearFrom?: unknown;
  yearTo?: unknown;
  decisionDateFrom?: unknown;
  decisionDateTo?: unknown;
}

/**
 * A period's cross-field rules: years or dates, not both; neither end before the other. Each end
 * is judged only when it is well-formed (a number, a calendar date): its own issue is the schema's.
 */
export function periodIssues(p: Period): InvalidParam[] {
  const issues: InvalidParam[] = [];
  const usesYears = p.yearFrom !== undefined || p.yearTo !== undefined;
  const usesDates = p.decisionDateFrom !== undefined || p.decisionDateTo !== undefined;
  if (usesYears && usesDates) {
    issues.push({ name: 'yearFrom', code: 'period_twice', reason: 'give the period as years or as decision dates, not both' });
  }
  if (typeof p.yearFrom === 'number' && typeof p.yearTo === 'number' && p.yearFrom > p.yearTo) {
    issues.push({ name: 'yearTo', code: 'before_year_from', reason: 'yearTo is before yearFrom' });
  }
  if (isIsoDate(p.decisionDateFrom) && isIsoDate(p.decisionDateTo) && p.decisionDateFrom > p.decisionDateTo) {
    issues.push({ name: 'decisionDateTo', code: 'before_decision_date_from', reason: 'decisionDateTo is before decisionDateFrom' });
  }
  return issues;
}

/** The parameter a too long period is named by: the first end the client sent, as years or as dates. */
export function periodParameter(p: Period): string {
  if (p.decisionDateFrom !== undefined || p.decisionDateTo !== undefined) {
    return p.decisionDateFrom !== undefined ? 'decisionDateFrom' : 'decisionDateTo';
  }
  return p.yearTo !== undefined && p.yearFrom === undefined ? 'yearTo' : 'yearFrom';
}

/** Puts dimensions in canonical order without repeats. */
export const canonicalGroupBy = (dims: readonly Dimension[]): Dimension[] => DIMENSIONS.filter((d) => dims.includes(d));

/**
 * Every combination of the grouped dimensions' values in scope, so that a municipality or year
 * without actions shows as 0 rather than missing. `found` holds the rows the database returned.
 * `inScope` leaves out the combinations of a municipality and a year in which it did not exist.
 */
export function withZeroCells(
  groupBy: readonly Dimension[],
  domains: Record<Dimension, readonly (string | number)[]>,
  found: Cell[],
  inScope: (municipalityCode: string, year: number) => boolean = () => true,
): Cell[] {
  const key = (c: Cell) => groupBy.map((d) => String(c[KEY_OF[d]])).join('\u0000');
  const byKey = new Map(found.map((c) => [key(c), c]));
  let combos: Cell[] = [{ actions: 0, fineAmountCents: 0, penaltyMaximumCents: 0, penaltyForfeitedCents: 0 }];
  for (const d of groupBy) {
    const next: Cell[] = [];
    for (const c of combos) for (const v of domains[d]) next.push({ ...c, [KEY_OF[d]]: v });
    combos = next;
  }
  const outside = (c: Cell) => c.municipalityCode !== undefined && c.year !== undefined && !inScope(c.municipalityCode, c.year);
  return combos.flatMap((c) => byKey.get(key(c)) ?? (outside(c) ? [] : [c])).sort(compareCells(groupBy));
}

export const cellCount = (groupBy: readonly Dimension[], domains: Record<Dimension, readonly unknown[]>) =>
  groupBy.reduce((n, d) => n * domains[d].length, 1);

/**
 * An average `total ÷ count` (whole numbers, count above 0) rounded half up to a number of decimals,
 * in integer arithmetic: 23 ÷ 40 = 0.575 gives 0.58. Rounding the floating-point quotient instead
 * gave 0.57, since 23 / 40 * 100 is 57.49999….
 */
export const averageOf = (total: number, count: number, decimals: number) => {
  const f = 10 ** decimals;
  return Math.floor((2 * total * f + count) / (2 * count)) / f;
};

/**
 * A period's length in years, as the fraction `numerator / denominator` (whole numbers, so averages
 * over it stay exact): whole calendar months ÷ 12 when it runs from a month's first day to a month's
 * last (three years before March 2020, 2017-03-01 to 2020-02-29: 36 ÷ 12 = 3), else days ÷ 365.25.
 */
export function periodInYears(from: string, to: string, unit?: 12 | 1461): { numerator: number; denominator: 12 | 1461 } {
  const [y1, m1] = from.split('-').map(Number) as [number, number];
  const [y2, m2] = to.split('-').map(Number) as [number, number];
  if (unit !== 1461 && isFirstOfMonth(from) && isLastOfMonth(to)) return { numerator: (y2 - y1) * 12 + (m2 - m1) + 1, denominator: 12 };
  const days = Math.round((Date.parse(to) - Date.parse(from)) / 86_400_000) + 1;
  return { numerator: 4 * days, denominator: 1461 };
}

/**
 * The part of a period that falls in each of these calendar years, together, as a fraction of years
 * measured as the whole period is (periodInYears): the divisor of an average over the municipality-years
 * that reported, each counted for as much of it as the period covers.
 */
export function calendarYearsIn(from: string, to: string, years: readonly number[]): { numerator: number; denominator: 12 | 1461 } {
  const whole = periodInYears(from, to);
  let numerator = 0;
  for (const year of years) {
    const start = firstDayOf(year) > from ? firstDayOf(year) : from;
    const end = lastDayOf(year) < to ? lastDayOf(year) : to;
    if (start <= end) numerator += periodInYears(start, end, whole.denominator).numerator;
  }
  return { numerator, denominator: whole.denominator };
}

/**
 * The municipality-years of a period, as a fraction of years like periodInYears: each municipality
 * for the part of the period it exists (domain/municipalities.ts), measured as the whole period is (a
 * period of whole months stays whole months when cut at 1 January or 31 December). For whole calendar
 * years it is the number of municipality-years in scope; for municipalities that exist throughout,
 * their number × the period's length.
 */
export function municipalityYearsIn(
  from: string,
  to: string,
  municipalities: readonly MunicipalityYears[],
): { numerator: number; denominator: 12 | 1461 } {
  const whole = periodInYears(from, to);
  let numerator = 0;
  for (const m of municipalities) {
    const start = m.firstYear !== null && firstDayOf(m.firstYear) > from ? firstDayOf(m.firstYear) : from;
    const end = m.lastYear !== null && lastDayOf(m.lastYear) < to ? lastDayOf(m.lastYear) : to;
    if (start <= end) numerator += periodInYears(start, end, whole.denominator).numerator;
  }
  return { numerator, denominator: whole.denominator };
}

/** CBS StatLine period code for a whole year: 2019 → 2019JJ00. */
export const cbsYear = (year: number) => `${year}JJ00`;

/**
 * Whether a municipality has reported for a year: `reported` when it has counted actions,
 * `nothing_to_report` when it has none and a live attestation says its records are complete with
 * nothing to report (`attested`), `not_reported` otherwise (its 0 is not a known figure; also when an
 * attestation says there is something to report and no counted action is recorded).
 */
export type ReportingStatus = 'reported' | 'nothing_to_report' | 'not_reported';

export const reportingStatus = (actions: number, attested: boolean): ReportingStatus =>
  actions > 0 ? 'reported' : attested ? 'nothing_to_report' : 'not_reported';

/**
 * The status of a 0 from the municipality-years it covers: `not_reported` when any one of them has
 * neither actions nor an attestation (its part of the 0 is not a known figure, so neither is the
 * sum); else `nothing_to_report` when every one is attested without actions; else `zero` (a true 0
 * of municipality-years that all reported or attested, or of none: a year in which no municipality
 * in scope existed).
 */
export function zeroStatus(covered: readonly ReportingStatus[]): 'zero' | 'nothing_to_report' | 'not_reported' {
  if (covered.length === 0) return 'zero'; // no municipality-year in scope (none existed then): nobody to report, a known 0
  if (covered.some((s) => s === 'not_reported')) return 'not_reported';
  if (covered.every((s) => s === 'nothing_to_report')) return 'nothing_to_report';
  return 'zero';
}

import type { InvalidParam } from './errors.js';

/**
 * The calendar years a municipality exists: from 1 January of `firstYear` (formed, e.g. by a merger)
 * to 31 December of `lastYear` (merged away: its successor starts on 1 January of the next year);
 * null is open. Municipal boundaries change on 1 January only (Wet arhi), so whole years suffice.
 */
export interface MunicipalityYears {
  firstYear: number | null;
  lastYear: number | null;
}

/** Whether the municipality exists in `year`: a municipality-year outside its years is in no scope. */
export const existsIn = (m: MunicipalityYears, year: number): boolean =>
  (m.firstYear === null || year >= m.firstYear) && (m.lastYear === null || year <= m.lastYear);

/** The year of its years nearest to `year`: `year` itself while it exists. */
export const nearestYearOf = (m: MunicipalityYears, year: number): number =>
  Math.min(Math.max(year, m.firstYear ?? year), m.lastYear ?? year);

/** Its years as a phrase: "from 2022", "until 2021", "2019–2021", or "" when both are open. */
export function describeYears(m: MunicipalityYears): string {
  if (m.firstYear !== null && m.lastYear !== null) return `${m.firstYear}–${m.lastYear}`;
  if (m.firstYear !== null) return `from ${m.firstYear}`;
  if (m.lastYear !== null) return `until ${m.lastYear}`;
  return '';
}

/** A municipality's own rule, judged on the body as sent (listed beside the schema's issues): the years in order. */
export function checkMunicipalityYears(input: { firstYear?: unknown; lastYear?: unknown }): InvalidParam[] {
  const { firstYear, lastYear } = input;
  if (typeof firstYear === 'number' && typeof lastYear === 'number' && lastYear < firstYear) {
    return [{ name: 'lastYear', code: 'before_first_year', reason: `the last year (${lastYear}) comes before the first (${firstYear})` }];
  }
  return [];
}

/** The rule of every record dated in a year: its municipality exists in that year. */
export function yearOfMunicipalityIssues(field: string, code: string, m: MunicipalityYears, year: number): InvalidParam[] {
  if (existsIn(m, year)) return [];
  return [
    {
      name: field,
      code: 'outside_municipality_years',
      reason: `municipality ${code} exists ${describeYears(m)} only, not in ${year}: record it with the municipality of that year`,
    },
  ];
}

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

/**
 * The years of a default period (no period asked): the years with data, reaching to the own years of each
 * municipality named (one that ended before them, or began after them); without data, the named
 * municipalities' years nearest to this one, or this year when none is named.
 */
export function defaultYears(
  data: { from: number; to: number } | null,
  named: readonly MunicipalityYears[],
  thisYear: number,
): { from: number; to: number } {
  if (!data) {
    const nearest = named.map((m) => nearestYearOf(m, thisYear));
    return nearest.length ? { from: Math.min(...nearest), to: Math.max(...nearest) } : { from: thisYear, to: thisYear };
  }
  return {
    from: Math.min(data.from, ...named.map((m) => (m.lastYear !== null && m.lastYear < data.from ? m.lastYear : data.from))),
    to: Math.max(data.to, ...named.map((m) => (m.firstYear !== null && m.firstYear > data.to ? m.firstYear : data.to))),
  };
}

/** Its years as a phrase: "from 2022", "until 2021", "2019–2021", or "" when both are open. */
export function describeYears(m: MunicipalityYears): string {
  if (m.firstYear !== null && m.lastYear !== null) return `${m.firstYear}–${m.lastYear}`;
  if (m.firstYear !== null) return `from ${m.firstYear}`;
  if (m.lastYear !== null) return `until ${m.lastYear}`;
  return '';
}

/** A code that names no registered municipality, at input `name`. */
export const unknownMunicipality = (code: string, name = 'municipalityCode'): InvalidParam => ({
  name,
  code: 'unknown_municipality',
  reason: `municipality ${code} is not registered`,
});

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

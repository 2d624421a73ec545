// Built once: constructing an Intl.DateTimeFormat costs far more than formatting with one, and the
// create path asks for today's date on every request (a CPU profile showed it at 3% of the service's time).
const NL_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/Amsterdam',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's calendar date in the Netherlands (decisions are dated in local time). */
export function todayInNetherlands(now: Date = new Date()): string {
  return NL_DATE.format(now);
}

/** The year of today's date in the Netherlands: from 23:00 UTC on 31 December already the next one. */
export const yearInNetherlands = (now: Date = new Date()): number => Number(todayInNetherlands(now).slice(0, 4));

/** The calendar date before an ISO date (YYYY-MM-DD). */
export function dayBefore(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/**
 * The plausible range of every calendar date the registry accepts (decisions, licence validity and
 * status changes, closures, compliance deadlines, list and statistics filters, audit search):
 * nothing before the floor, nothing after the horizon. A decision date is further limited to today.
 * Documented in docs/api.md ("Dates"); stored data outside it is left out of statistics' default period.
 */
export const DATE_FLOOR = '1990-01-01';
export const DATE_HORIZON = '2100-12-31';
export const YEAR_FLOOR = 1990;
export const YEAR_HORIZON = 2100;

/** Is this YYYY-MM-DD (or the date part of a timestamp) within [DATE_FLOOR, DATE_HORIZON]? */
export function isPlausibleDate(isoDateOrTimestamp: string): boolean {
  const day = isoDateOrTimestamp.slice(0, 10);
  return day >= DATE_FLOOR && day <= DATE_HORIZON;
}

/** A year as ISO 8601 writes it: four digits, zero-padded (99 → 0099, never `99-01-01`). */
const year4 = (year: number) => String(year).padStart(4, '0');

/** The first and last day of a calendar year, as ISO dates. */
export const firstDayOf = (year: number) => `${year4(year)}-01-01`;
export const lastDayOf = (year: number) => `${year4(year)}-12-31`;

/** Is this ISO date the first day of its month? */
export const isFirstOfMonth = (isoDate: string) => isoDate.endsWith('-01');

/** Is this ISO date the last day of its month? */
export function isLastOfMonth(isoDate: string): boolean {
  const next = new Date(`${isoDate}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.getUTCDate() === 1;
}

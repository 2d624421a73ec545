/** The time zone decisions are dated in, and "today" is read in (IANA name, as PostgreSQL knows it too). */
export const NETHERLANDS_TIME_ZONE = 'Europe/Amsterdam';

// Built once: constructing an Intl.DateTimeFormat costs far more than formatting with one, and the
// create path asks for today's date on every request (a CPU profile showed it at 3% of the service's time).
const NL_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: NETHERLANDS_TIME_ZONE,
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

/** Is this a calendar date as YYYY-MM-DD, a day that exists (not 2019-02-29)? The form the schemas accept. */
export function isIsoDate(v: unknown): v is string {
  if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

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

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '([0-9]{2}):([0-9]{2}):([0-9]{2})';
const IMF_FIXDATE = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([0-9]{2}) ${MONTH} ([0-9]{4}) ${TIME} GMT$`);
const RFC_850 = new RegExp(`^(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day, ([0-9]{2})-${MONTH}-([0-9]{2}) ${TIME} GMT$`);
const ASCTIME = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ( [1-9]|[0-9]{2}) ${TIME} ([0-9]{4})$`);

/**
 * An HTTP-date (RFC 9110 §5.6.7) in ms since 1970, or null: IMF-fixdate, or one of the two obsolete
 * forms a recipient must read too (RFC 850, asctime), all in GMT; a two-digit year more than 50 years
 * ahead is the last century's. Nothing else, so that text holding a number is not taken for a date.
 * The day of the week is not checked against the date (RFC 9110 does not ask a recipient to).
 */
export function parseHttpDate(text: string, now: number = Date.now()): number | null {
  const parts = httpDateParts(text, new Date(now).getUTCFullYear());
  if (!parts) return null;
  const [year, month, day, hours, minutes, seconds] = parts;
  const at = new Date(0);
  // setUTCFullYear, not Date.UTC, which reads years 0-99 as 1900-1999; a leap second (:60) as :59.
  at.setUTCFullYear(year, month, day);
  at.setUTCHours(hours, minutes, Math.min(seconds, 59));
  // 31 Feb rolls over into March: such a date is no date.
  const whole = at.getUTCFullYear() === year && at.getUTCMonth() === month && at.getUTCDate() === day;
  const leapSecond = seconds === 60 && hours === 23 && minutes === 59;
  return whole && hours < 24 && minutes < 60 && (seconds < 60 || leapSecond) ? at.getTime() : null;
}

type DateParts = [year: number, month: number, day: number, hours: number, minutes: number, seconds: number];

/** The parts of an HTTP-date in any of its three forms (month 0-11). */
function httpDateParts(text: string, thisYear: number): DateParts | null {
  const of = (year: number, month = '', day = '', h = '', m = '', sec = ''): DateParts => [
    year,
    MONTHS.indexOf(month),
    Number(day),
    Number(h),
    Number(m),
    Number(sec),
  ];
  const imf = IMF_FIXDATE.exec(text);
  if (imf) return of(Number(imf[3]), imf[2], imf[1], imf[4], imf[5], imf[6]);
  const rfc850 = RFC_850.exec(text);
  if (rfc850) {
    const year = Math.floor(thisYear / 100) * 100 + Number(rfc850[3]);
    return of(year > thisYear + 50 ? year - 100 : year, rfc850[2], rfc850[1], rfc850[4], rfc850[5], rfc850[6]);
  }
  const asctime = ASCTIME.exec(text);
  return asctime ? of(Number(asctime[6]), asctime[1], asctime[2], asctime[3], asctime[4], asctime[5]) : null;
}

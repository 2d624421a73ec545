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

/** The calendar date before an ISO date (YYYY-MM-DD). */
export function dayBefore(isoDate: string): string {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

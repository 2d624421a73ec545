import t from 'tap';
import { todayInNetherlands, yearInNetherlands } from '../../src/lib/dates.js';

t.test('today and this year are the Netherlands’ calendar, not UTC’s', async (t) => {
  // 23:30 UTC on New Year's Eve is 00:30 on 1 January in Amsterdam (UTC+1 in winter).
  const newYear = new Date('2026-12-31T23:30:00Z');
  t.equal(newYear.getUTCFullYear(), 2026, 'UTC is still in the old year');
  t.equal(todayInNetherlands(newYear), '2027-01-01');
  t.equal(yearInNetherlands(newYear), 2027, 'the year statistics default to when there are no data');
  t.equal(yearInNetherlands(new Date('2026-12-31T22:59:59Z')), 2026, 'an hour earlier, still 2026');
  // Summer time (UTC+2): 22:30 UTC on 30 June is already 1 July.
  t.equal(todayInNetherlands(new Date('2026-06-30T22:30:00Z')), '2026-07-01');
});

import t from 'tap';
import { cutOffDate, refusedAsOf } from '../../src/domain/retention.js';

t.test('a destruction runs as of today or an earlier day, never a later one or no day at all', async (t) => {
  // An operator review: as of 2030-05-02 an action of 2019 went two and a half years early, and 2026-13-45 rolled over.
  const today = '2026-12-07';
  t.equal(refusedAsOf(today, today), null, 'today');
  t.equal(refusedAsOf('2026-06-01', today), null, 'an earlier day (destroys less)');
  t.equal(
    refusedAsOf('2026-12-08', today),
    '2026-12-08 is after today (2026-12-07): a destruction as of a later day destroys records before their period has run',
  );
  for (const day of ['2026-13-45', '2025-02-29', '2026-02-30', '1-3-2026', '2026-1-3', '', '20261207'])
    t.equal(refusedAsOf(day, today), `${day} is not a date (YYYY-MM-DD)`, JSON.stringify(day));
  t.equal(refusedAsOf('2024-02-29', today), null, 'a leap day that exists');
});

t.test('the cut-off is whole years before the day; 29 February falls back to the 28th', async (t) => {
  t.equal(cutOffDate('2026-12-07', 10), '2016-12-07');
  t.equal(cutOffDate('2024-02-29', 1), '2023-02-28');
  t.equal(cutOffDate('2024-02-29', 4), '2020-02-29');
});

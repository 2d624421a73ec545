import t from 'tap';
import { REPEAT_EVERY_MS, repeatedFailure } from '../../src/lib/repeated-failure.js';

/**
 * A background loop whose database is out: one error line, then a warning a minute, one line when it
 * works again, and a wait that doubles up to its cap (an operator's review counted 14 error lines with
 * stacks in 12 s, from each of two loops).
 */
t.test('a failure that goes on is said once, then once a minute, and its end once; the wait doubles', async (t) => {
  let clock = 0;
  const said: string[] = [];
  const log = {
    info: (_: object, msg: string) => said.push(`info ${msg}`),
    warn: (o: object, msg: string) => said.push(`warn ${msg} ${(o as { failures: number }).failures}`),
    error: (o: object, msg: string) => said.push(`error ${msg} ${(o as { err: Error }).err.message}`),
  };
  const loop = repeatedFailure({ first: 'cannot claim', still: 'still cannot claim', again: 'claims again' }, 250, 4000, () => clock);
  const waits: number[] = [];
  for (let i = 0; i < 8; i++) {
    waits.push(loop.failed(log, new Error('connection refused')));
    clock += 1000;
  }
  t.same(waits, [250, 500, 1000, 2000, 4000, 4000, 4000, 4000], 'from the poll interval, doubling, up to the cap');
  t.same(said, ['error cannot claim connection refused'], 'eight failures in eight seconds: one line');

  clock += REPEAT_EVERY_MS;
  loop.failed(log, new Error('connection refused'));
  loop.failed(log, new Error('connection refused'));
  t.same(said.slice(1), ['warn still cannot claim 9'], 'a minute later: one warning, with the count');

  loop.succeeded(log);
  loop.succeeded(log);
  t.same(said.slice(2), ['info claims again'], 'the recovery, once');
  t.equal(loop.failed(log, new Error('reset')), 250, 'a new outage starts from the poll interval again');
  t.same(said.slice(3), ['error cannot claim reset'], 'and is said at once');

  // A loop that polls less often than the cap never waits less than its own interval after a failure.
  const slow = repeatedFailure({ first: 'a', still: 'b', again: 'c' }, 60_000, 30_000, () => clock);
  t.equal(slow.failed(log, new Error('x')), 60_000, 'the poll interval, not the shorter cap');
  const quiet = repeatedFailure({ first: 'a', still: 'b', again: 'c' }, 250);
  quiet.succeeded(log);
  t.equal(said.length, 5, 'a success without failures says nothing');
});

import { sql } from 'drizzle-orm';
import t from 'tap';
import { postgresRateLimitStore } from '../../src/infrastructure/rate-limit-store.js';
import { testDatabase } from '../support/helper.js';

type Store = {
  incr(key: string, cb: (err: Error | null, r?: { current: number; ttl: number }) => void, windowMs: number, max: number): void;
};
const incr = (store: Store, key: string, max: number) =>
  new Promise<number>((resolve, reject) =>
    store.incr(key, (err, r) => (err ? reject(err) : resolve(r?.current ?? Number.NaN)), 60_000, max),
  );
/** Sweeps that failed: none should. */
const sweepFailures: unknown[] = [];
t.teardown(() => {
  if (sweepFailures.length > 0) throw new Error(`${sweepFailures.length} counter sweeps failed: ${String(sweepFailures[0])}`);
});
const newStore = (db: Awaited<ReturnType<typeof testDatabase>>) => {
  const Store = postgresRateLimitStore(
    () => db.db,
    (err) => {
      sweepFailures.push(err);
    },
  );
  return new Store({}) as unknown as Store;
};
const sharedCount = async (db: Awaited<ReturnType<typeof testDatabase>>, key: string) => {
  const res = (await db.db.execute(sql`select count from rate_limit_counters where key = ${key}`)) as unknown as {
    rows: { count: number }[];
  };
  return Number(res.rows[0]?.count ?? 0);
};

t.test('far below the limit, one upsert serves many requests', async (t) => {
  const db = await testDatabase(t);
  const store = newStore(db);
  const counts = await Promise.all(Array.from({ length: 40 }, () => incr(store, 'client:far', 100_000)));
  t.same(
    [...counts].sort((a, b) => a - b),
    Array.from({ length: 40 }, (_, i) => i + 1),
    'every request gets its own count, in order',
  );
  t.equal(await sharedCount(db, 'client:far'), 64, 'the shared count moved once, by one lease of 64');
});

t.test('two instances on one database never allow more than the limit together, and refuse none early at the end', async (t) => {
  const db = await testDatabase(t);
  const a = newStore(db);
  const b = newStore(db);
  const LIMIT = 50;
  // 3 × the limit, in bursts that interleave the two instances
  const results: number[] = [];
  for (let round = 0; round < 15; round++) {
    const burst = Array.from({ length: 10 }, (_, i) => incr(i % 3 === 0 ? a : b, 'client:shared', LIMIT));
    results.push(...(await Promise.all(burst)));
  }
  const allowed = results.filter((c) => c <= LIMIT).length;
  t.ok(allowed <= LIMIT, `allowed ${allowed} of ${results.length} (limit ${LIMIT})`);
  t.ok(allowed >= LIMIT - 2 * 8, 'counts an instance took and did not use are few (near the limit leases are single counts)');
  t.equal(new Set(results).size, results.length, 'no count handed out twice across the instances');
});

t.test('near the limit every request takes its own count', async (t) => {
  const db = await testDatabase(t);
  const store = newStore(db);
  for (let i = 1; i <= 5; i++) t.equal(await incr(store, 'client:small', 5), i);
  t.equal(await sharedCount(db, 'client:small'), 5, 'a limit of 5 is counted one by one');
  t.equal(await incr(store, 'client:small', 5), 6, 'the sixth is over the limit');
});

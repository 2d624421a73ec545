import { sql } from 'drizzle-orm';
import type { Db } from './db/client.js';

interface Counted {
  current: number;
  ttl: number;
}

/** The store interface of @fastify/rate-limit: increment a key's count in its window. */
export interface RateLimitStore {
  incr(key: string, callback: (error: Error | null, result?: Counted) => void, timeWindow: number, max: number): void;
  child(routeOptions: { path?: string; url?: string }): RateLimitStore;
}

/** One in this many increments also deletes windows long past, so the table stays small. */
const SWEEP_EVERY = 1000;

/**
 * Rate-limit counts in PostgreSQL (migration 0015, an unlogged table), so every instance behind the
 * load balancer counts against the same limit: one atomic upsert per counted request, which starts
 * a new window when the old one has passed and answers the count and the window's remaining time.
 */
export async function incrementCounter(db: Db, key: string, windowMs: number): Promise<Counted> {
  const result = (await db.execute(sql`
    insert into rate_limit_counters as c (key, window_start, count) values (${key}, clock_timestamp(), 1)
    on conflict (key) do update set
      count = case when c.window_start + ${windowMs} * interval '1 millisecond' <= clock_timestamp() then 1 else c.count + 1 end,
      window_start = case when c.window_start + ${windowMs} * interval '1 millisecond' <= clock_timestamp() then clock_timestamp() else c.window_start end
    returning count,
      greatest(0, ceil(extract(epoch from (window_start + ${windowMs} * interval '1 millisecond' - clock_timestamp())) * 1000))::int as ttl`)) as unknown as {
    rows: { count: number; ttl: number }[];
  };
  const row = result.rows[0];
  return { current: Number(row?.count ?? 1), ttl: Number(row?.ttl ?? windowMs) };
}

export async function sweepCounters(db: Db, olderThanMs: number): Promise<void> {
  await db.execute(sql`delete from rate_limit_counters where window_start < clock_timestamp() - ${olderThanMs} * interval '1 millisecond'`);
}

/** The store class @fastify/rate-limit instantiates, counting in this database (looked up at first use). */
export function postgresRateLimitStore(database: () => Db) {
  let calls = 0;
  const store = (prefix: string): RateLimitStore => ({
    incr(key, callback, timeWindow) {
      calls += 1;
      if (calls % SWEEP_EVERY === 0) sweepCounters(database(), Math.max(timeWindow, 3_600_000)).catch(() => {});
      incrementCounter(database(), `${prefix}${key}`, timeWindow).then(
        (counted) => callback(null, counted),
        (err: Error) => callback(err),
      );
    },
    child: (route) => store(`${route.url ?? route.path ?? ''}:`),
  });
  return class PostgresRateLimitStore {
    constructor() {
      // biome-ignore lint/correctness/noConstructorReturn: @fastify/rate-limit wants a class; the store is a closure over the database
      return store('');
    }
  } as unknown as new (
    options: unknown,
  ) => RateLimitStore;
}

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

/** One in this many leases also deletes windows long past, so the table stays small. */
const SWEEP_EVERY = 1000;
/** The most counts one lease takes at once. */
const MAX_LEASE = 64;
/** A lease takes at most this fraction of what is left of the limit, so it shrinks to 1 near the limit. */
const LEASE_SHARE = 8;

/**
 * Rate-limit counts in PostgreSQL (an unlogged table), so every instance behind the load balancer
 * counts against the same limit. One atomic upsert adds `amount` to a key's count (or starts a new
 * window when the old one has passed) and answers the new count and the window's remaining time.
 */
export async function incrementCounter(db: Db, key: string, windowMs: number, amount = 1): Promise<Counted> {
  const result = (await db.execute(sql`
    insert into rate_limit_counters as c (key, window_start, count) values (${key}, clock_timestamp(), ${amount})
    on conflict (key) do update set
      count = case when c.window_start + ${windowMs} * interval '1 millisecond' <= clock_timestamp() then ${amount} else c.count + ${amount} end,
      window_start = case when c.window_start + ${windowMs} * interval '1 millisecond' <= clock_timestamp() then clock_timestamp() else c.window_start end
    returning count,
      greatest(0, ceil(extract(epoch from (window_start + ${windowMs} * interval '1 millisecond' - clock_timestamp())) * 1000))::int as ttl`)) as unknown as {
    rows: { count: number; ttl: number }[];
  };
  const row = result.rows[0];
  return { current: Number(row?.count ?? amount), ttl: Number(row?.ttl ?? windowMs) };
}

export async function sweepCounters(db: Db, olderThanMs: number): Promise<void> {
  await db.execute(sql`delete from rate_limit_counters where window_start < clock_timestamp() - ${olderThanMs} * interval '1 millisecond'`);
}

/** Counts this instance has taken from the shared count and not yet handed out, for one key. */
interface Lease {
  /** The next count to hand out, and the last one taken. */
  next: number;
  last: number;
  /** When the window the counts belong to ends (this process's clock). */
  windowEnd: number;
  /** A lease being taken: requests for the key wait for it instead of taking one each. */
  pending?: Promise<void> | undefined;
}

/**
 * The counts of one key, taken from PostgreSQL in leases: a request uses the next count of the
 * instance's lease, and only when the lease is used up (or its window has passed) does the instance
 * take the next one, with one upsert that adds the lease's size to the shared count. The size is
 * at most MAX_LEASE and at most 1/LEASE_SHARE of what the limit has left, so far below the limit one
 * upsert serves up to 64 requests, and near it every request takes its own count. Counts are taken
 * before they are handed out, so all instances together never allow more than the limit; a count an
 * instance has taken but not used when the window ends is lost, which can make another instance
 * refuse a few requests early (at most what the leases held), never late.
 */
function leasedCounter(database: () => Db, key: string, onLease: (windowMs: number) => void) {
  let lease: Lease = { next: 1, last: 0, windowEnd: 0 };
  let lastCount = 0;
  const take = async (windowMs: number, max: number) => {
    const size = Math.max(1, Math.min(MAX_LEASE, Math.floor((max - lastCount) / LEASE_SHARE)));
    onLease(windowMs);
    const counted = await incrementCounter(database(), key, windowMs, size);
    lastCount = counted.current;
    lease = { next: counted.current - size + 1, last: counted.current, windowEnd: Date.now() + counted.ttl };
  };
  const incr = async (windowMs: number, max: number): Promise<Counted> => {
    for (;;) {
      const now = Date.now();
      if (lease.next <= lease.last && now < lease.windowEnd) {
        const current = lease.next;
        lease.next += 1;
        return { current, ttl: lease.windowEnd - now };
      }
      if (!lease.pending) {
        if (now >= lease.windowEnd) lastCount = 0;
        const pending = take(windowMs, max).finally(() => {
          if (lease.pending === pending) lease.pending = undefined;
        });
        lease.pending = pending;
      }
      await lease.pending;
    }
  };
  /** Nothing held: no lease in its window and none being taken. */
  const idle = (now: number) => !lease.pending && now >= lease.windowEnd;
  return { incr, idle };
}

/** Past this many keys, the counters of keys with nothing held are dropped (they start again from the table). */
const MAX_KEYS = 10_000;

/**
 * The store class @fastify/rate-limit instantiates, counting in this database (looked up at first use).
 * `sweepFailed` hears of a sweep of old counters that failed (the next one tries again; counting goes on).
 */
export function postgresRateLimitStore(database: () => Db, sweepFailed: (err: unknown) => void) {
  let leases = 0;
  const onLease = (windowMs: number) => {
    leases += 1;
    if (leases % SWEEP_EVERY === 0) sweepCounters(database(), Math.max(windowMs, 3_600_000)).catch(sweepFailed);
  };
  const counters = new Map<string, ReturnType<typeof leasedCounter>>();
  const store = (prefix: string): RateLimitStore => ({
    incr(key, callback, timeWindow, max) {
      const name = `${prefix}${key}`;
      let counter = counters.get(name);
      if (!counter) {
        if (counters.size >= MAX_KEYS) {
          const now = Date.now();
          for (const [k, c] of counters) if (c.idle(now)) counters.delete(k);
        }
        counter = leasedCounter(database, name, onLease);
        counters.set(name, counter);
      }
      counter.incr(timeWindow, max).then(
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

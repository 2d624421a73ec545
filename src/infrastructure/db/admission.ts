/**
 * Admission control for write transactions: at most `limit` run at once, the rest wait in arrival
 * order. Sixteen concurrent creates on a small database server do not finish sooner than four:
 * they queue inside PostgreSQL on the audit chain's lock and the hot statistics cell, and the
 * tail grows with every transaction let in (a lock convoy; docs/performance.md). Waiting here,
 * before a connection is taken, costs nothing on the database and keeps the pool free for reads.
 */
export interface Admission {
  readonly limit: number;
  run<T>(work: () => Promise<T>): Promise<T>;
  /** Transactions running and waiting now (for metrics). */
  stats(): { running: number; waiting: number };
}

/**
 * A write that waited `maxWaitMs` for admission: the database is not keeping up. Answered as the
 * database being unavailable (503 with Retry-After), as a request that finds no pool connection is.
 */
export class AdmissionTimeout extends Error {
  constructor(maxWaitMs: number) {
    super(`no write admission within ${maxWaitMs} ms`);
  }
}

/** `maxWaitMs`: how long a write waits for its turn before AdmissionTimeout (unset: as long as it takes). */
export function createAdmission(limit: number, maxWaitMs?: number): Admission {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`admission limit must be a positive integer, not ${limit}`);
  let running = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    const next = waiting.shift();
    if (next)
      next(); // the slot passes on; running stays the same
    else running -= 1;
  };
  return {
    limit,
    async run<T>(work: () => Promise<T>): Promise<T> {
      if (running < limit) running += 1;
      else {
        await new Promise<void>((resolve, reject) => {
          const turn = () => {
            clearTimeout(timer);
            resolve();
          };
          const timer =
            maxWaitMs === undefined
              ? undefined
              : setTimeout(() => {
                  waiting.splice(waiting.indexOf(turn), 1); // never handed the slot: it stays with the others
                  reject(new AdmissionTimeout(maxWaitMs));
                }, maxWaitMs);
          waiting.push(turn);
        });
      }
      try {
        return await work();
      } finally {
        release();
      }
    },
    stats: () => ({ running, waiting: waiting.length }),
  };
}

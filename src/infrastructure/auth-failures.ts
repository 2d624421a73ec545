/**
 * Counting failed authentications per source address, behind a small interface: this process's
 * memory today; a store shared by every instance (Redis, the database) can implement the same two
 * calls later without the HTTP layer changing.
 */
export interface FailureCounter {
  /** Seconds until `key` may try again (0: it is under the limit). */
  retryAfter(key: string): Promise<number>;
  /** Counts one failure of `key` in the current window. */
  fail(key: string): Promise<void>;
  /**
   * Waits until `key` may try a credential: while as many of its tries are under way as it has failures
   * left in the window, the next waits for one to end, so tries sent in parallel cannot pass the limit.
   * Resolves with the call that ends the try (after `fail`, when it failed).
   */
  admit(key: string): Promise<() => void>;
}

/**
 * Fixed one-minute (`windowMs`) windows per key, in this process's memory. At most `maxKeys`
 * addresses are held; when full, the oldest window is dropped first (a flood from many addresses
 * cannot grow memory without bound).
 */
export class MemoryFailureCounter implements FailureCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  /** Tries under way per key, and the tries waiting for one of them to end. */
  private readonly underWay = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 100_000,
  ) {}

  private current(key: string, now: number) {
    const w = this.windows.get(key);
    if (w && w.resetAt > now) return w;
    if (w) this.windows.delete(key);
    return null;
  }

  async retryAfter(key: string): Promise<number> {
    const now = Date.now();
    const w = this.current(key, now);
    return w && w.count >= this.limit ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : 0;
  }

  async admit(key: string): Promise<() => void> {
    for (;;) {
      const failures = this.current(key, Date.now())?.count ?? 0;
      const busy = this.underWay.get(key) ?? 0;
      // Over the limit already: no try to hold (the caller's retryAfter refuses it without a look-up).
      if (failures >= this.limit) return () => {};
      if (failures + busy < this.limit) {
        this.underWay.set(key, busy + 1);
        let ended = false;
        return () => {
          if (ended) return;
          ended = true;
          const left = (this.underWay.get(key) ?? 1) - 1;
          if (left > 0) this.underWay.set(key, left);
          else this.underWay.delete(key);
          // Every waiting try looks again: one may start, or (the limit reached) all are refused.
          const queue = this.waiting.get(key) ?? [];
          this.waiting.delete(key);
          for (const wake of queue) wake();
        };
      }
      // busy > 0 here, so a try under way will end and wake this one.
      await new Promise<void>((resolve) => {
        const queue = this.waiting.get(key) ?? [];
        queue.push(resolve);
        this.waiting.set(key, queue);
      });
    }
  }

  async fail(key: string): Promise<void> {
    const now = Date.now();
    const w = this.current(key, now);
    if (w) {
      w.count += 1;
      return;
    }
    if (this.windows.size >= this.maxKeys) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
  }
}

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
}

/**
 * Fixed one-minute (`windowMs`) windows per key, in this process's memory. At most `maxKeys`
 * addresses are held; when full, the oldest window is dropped first (a flood from many addresses
 * cannot grow memory without bound).
 */
export class MemoryFailureCounter implements FailureCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

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

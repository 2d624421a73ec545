/**
 * A negative cache: hashes of tokens the database did not know, remembered for `ttlMs`
 * (AUTH_UNKNOWN_TOKEN_TTL_MS), so that a client retrying with a wrong or revoked token costs a
 * memory look-up instead of a database round trip each time.
 *
 * - It cannot refuse a new client: a new token is 256 random bits, so its hash has never been
 *   looked up. The one token that can become valid after a failed look-up is REGISTRY_ADMIN_TOKEN
 *   (registered or re-keyed at start); registering it calls `clear()`.
 * - `clear()` ends the current generation: a look-up that was under way (and found nothing) is not
 *   remembered when it returns.
 * - At most `maxEntries` hashes are held, the oldest dropped first, so a flood of random tokens
 *   cannot grow memory (the per-address failure limit stops such a flood anyway).
 */
export class UnknownTokenCache {
  private readonly entries = new Map<string, number>();
  private currentGeneration = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  has(tokenHash: string): boolean {
    const expires = this.entries.get(tokenHash);
    if (expires === undefined) return false;
    if (expires <= Date.now()) {
      this.entries.delete(tokenHash);
      return false;
    }
    return true;
  }

  /** Take it before a look-up and hand it to `add`. */
  generation(): number {
    return this.currentGeneration;
  }

  add(tokenHash: string, generation: number): void {
    if (this.ttlMs <= 0 || generation !== this.currentGeneration) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(tokenHash); // re-inserted last: the map's order stays oldest-first
    this.entries.set(tokenHash, Date.now() + this.ttlMs);
  }

  clear(): void {
    this.currentGeneration += 1;
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}

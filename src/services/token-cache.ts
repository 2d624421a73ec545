import type { Principal } from './context.js';

/**
 * A short-lived, per-process cache of token hash → principal, so that an authenticated request
 * does not cost a database round trip each time.
 *
 * - Entries live `ttlMs` (default 10 s). Revoking a client in this process drops its entries at
 *   once; another instance behind the same load balancer keeps accepting a revoked token for at
 *   most `ttlMs`. That bound is the price of the saved round trip: set AUTH_CACHE_TTL_MS=0 to
 *   turn the cache off.
 * - Only successful look-ups are cached (unknown tokens always reach the database, so guessing
 *   cannot fill memory), and at most `maxEntries` clients are held (oldest dropped first).
 */
export class TokenCache {
  private readonly entries = new Map<string, { principal: Principal; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(tokenHash: string): Principal | null {
    const e = this.entries.get(tokenHash);
    if (!e) return null;
    if (e.expires <= Date.now()) {
      this.entries.delete(tokenHash);
      return null;
    }
    return e.principal;
  }

  set(tokenHash: string, principal: Principal): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(tokenHash, { principal, expires: Date.now() + this.ttlMs });
  }

  /** Forgets every token of this client (revoked, or re-keyed). */
  forgetClient(clientId: string): void {
    for (const [k, e] of this.entries) if (e.principal.clientId === clientId) this.entries.delete(k);
  }
}

/** AUTH_CACHE_TTL_MS from the environment (default 10 000 ms; 0 turns the cache off). */
export function authCacheTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const v = Number(env.AUTH_CACHE_TTL_MS ?? 10_000);
  return Number.isFinite(v) && v >= 0 ? Math.min(v, 300_000) : 10_000;
}

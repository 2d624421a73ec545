/**
 * A short-lived, per-process cache of token hash → the client holding it, so that an authenticated
 * request does not cost a database round trip each time.
 *
 * - Entries live `ttlMs` (AUTH_CACHE_TTL_MS, default 10 s; 0 turns the cache off).
 * - Several instances: on PostgreSQL a revocation or re-keying is announced on a channel
 *   (LISTEN/NOTIFY) and every instance forgets the client when it hears it. While that channel is
 *   down, the cache is `distrusted`: it holds nothing and every look-up asks the database, so no
 *   instance can accept a revoked token for longer than the notification takes to arrive.
 * - Revoking or re-keying a client forgets its entries, and every look-up that was under way at that
 *   moment is not cached when it returns (the generation it started in is over): a look-up that read
 *   the client's row just before the revocation committed cannot put the token back.
 * - Only successful look-ups are cached here, at most `maxEntries` tokens (oldest dropped first).
 *   Tokens nobody holds are remembered apart, briefly and in bounded number (`UnknownTokenCache`,
 *   AUTH_UNKNOWN_TOKEN_TTL_MS), so that guessing can neither fill memory nor reach the database each time.
 */
export class TokenCache<P extends { clientId: string }> {
  private readonly entries = new Map<string, { principal: P; expires: number }>();
  private currentGeneration = 0;
  private trusted = true;

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(tokenHash: string): P | null {
    if (!this.trusted) return null;
    const e = this.entries.get(tokenHash);
    if (!e) return null;
    if (e.expires <= Date.now()) {
      this.entries.delete(tokenHash);
      return null;
    }
    return e.principal;
  }

  /** Take it before a look-up and hand it to `set`: a client forgotten meanwhile is not cached. */
  generation(): number {
    return this.currentGeneration;
  }

  set(tokenHash: string, principal: P, generation: number): void {
    if (this.ttlMs <= 0 || !this.trusted || generation !== this.currentGeneration) return;
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(tokenHash, { principal, expires: Date.now() + this.ttlMs });
  }

  /** Changes may go unheard (the notification channel is down): forget everything and cache nothing until `trust()`. */
  distrust(): void {
    this.trusted = false;
    this.forgetAll();
  }

  /** Changes are heard again; what happened while they were not is forgotten with everything else. */
  trust(): void {
    this.forgetAll();
    this.trusted = true;
  }

  private forgetAll(): void {
    this.currentGeneration += 1;
    this.entries.clear();
  }

  /** Forgets every token of this client (revoked, or re-keyed) and ends the current generation. */
  forgetClient(clientId: string): void {
    this.currentGeneration += 1;
    for (const [k, e] of this.entries) if (e.principal.clientId === clientId) this.entries.delete(k);
  }
}

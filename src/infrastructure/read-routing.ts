/**
 * Read-your-own-writes with a replica: a replica lags the primary by a little, so a client that
 * has just written would not find its write in a list served by the replica.
 *
 * This per-process map remembers when each client last wrote; for `windowMs` after that (default
 * 5 s, READ_YOUR_WRITES_MS) the client's reads that would go to the replica go to the primary (the request context's
 * `readFromPrimary`, which queries pass to `database.reader`).
 * Single-resource GETs always read the primary. Behind a load balancer each instance keeps its own
 * map: a client whose next request lands on another instance is not protected unless the balancer
 * keeps clients on one instance (sticky by token) or the window is covered by replica lag checks.
 */
export class RecentWriters {
  private readonly lastWrite = new Map<string, number>();
  private sweeps = 0;

  constructor(readonly windowMs: number) {}

  noteWrite(clientId: string, now = Date.now()): void {
    if (this.windowMs <= 0) return;
    this.lastWrite.set(clientId, now);
    if (++this.sweeps % 1000 === 0) this.sweep(now);
  }

  wroteRecently(clientId: string, now = Date.now()): boolean {
    const t = this.lastWrite.get(clientId);
    return t !== undefined && now - t < this.windowMs;
  }

  private sweep(now: number): void {
    for (const [k, t] of this.lastWrite) if (now - t >= this.windowMs) this.lastWrite.delete(k);
  }
}

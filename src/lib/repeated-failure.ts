/** What a background loop logs through (pino's methods). */
export interface LoopLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** How often a failure that goes on is said again while it lasts. */
export const REPEAT_EVERY_MS = 60_000;

/**
 * A background loop (the import worker, the webhook dispatcher) that fails round after round while
 * its database is out would log an error with a stack every poll, and try again as often. Instead:
 * the first failure is logged at error level with its cause, the ones that follow at most once a
 * minute at warn level with how many there were, and the recovery once at info level; and the wait
 * before the next round doubles from the loop's own interval up to `maxWaitMs` (or that interval, if longer).
 */
export function repeatedFailure(
  says: { first: string; still: string; again: string },
  pollMs: number,
  maxWaitMs = 30_000,
  now = () => Date.now(),
) {
  let failures = 0;
  let since = 0;
  let lastSaid = 0;
  return {
    /** A round failed: logs it as above, and says how long to wait before the next one. */
    failed(log: LoopLog, err: unknown): number {
      failures += 1;
      const at = now();
      if (failures === 1) {
        since = at;
        lastSaid = at;
        log.error({ err }, says.first);
      } else if (at - lastSaid >= REPEAT_EVERY_MS) {
        lastSaid = at;
        const reason = err instanceof Error ? err.message : String(err);
        log.warn({ failures, sinceMs: at - since, reason }, says.still);
      }
      // Never shorter than the loop's own interval, even where that is longer than the cap.
      return Math.max(pollMs, Math.min(maxWaitMs, Math.max(pollMs, 1) * 2 ** Math.min(failures - 1, 20)));
    },
    /** A round succeeded: after failures, says so once. */
    succeeded(log: LoopLog): void {
      if (failures === 0) return;
      log.info({ failures, afterMs: now() - since }, says.again);
      failures = 0;
    },
  };
}

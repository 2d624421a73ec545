import { AdmissionTimeout } from './admission.js';

/** pg's error for a statement left unanswered past query_timeout (client.ts: the server can no longer answer). */
export const READ_TIMEOUT = 'Query read timeout';

/**
 * What kind of database outage an error is, looking through the errors that wrap it: `lost`, the
 * server cannot be reached or went away (connection-class SQLSTATEs 08xxx, an administrator shutdown
 * or a server starting up 57P01-57P03, the node-level errors of a refused or broken connection, a
 * statement the server never answered: READ_TIMEOUT);
 * `busy`, it is there but cannot take the work now (too many connections 53300, a statement
 * cancelled 57014: past DATABASE_STATEMENT_TIMEOUT_MS, say behind a lock held elsewhere, or no write
 * admission in time, a transaction chosen to end a deadlock 40P01 or a serialization failure 40001
 * that its retries did not get past: retryOnConflict); null for anything else.
 */
function outage(err: unknown): 'lost' | 'busy' | null {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    if (e instanceof AdmissionTimeout) return 'busy';
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return 'lost';
      if (code === '53300' || code === '57014' || TRANSACTION_CONFLICTS.has(code)) return 'busy';
      if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return 'lost';
    }
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|Client was closed and is not queryable|Connection terminated due to connection timeout/i.test(
        message,
      ) ||
        message === READ_TIMEOUT)
    ) {
      return 'lost';
    }
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** SQLSTATEs of a transaction the server rolled back for running into others: deadlock_detected, serialization_failure. */
const TRANSACTION_CONFLICTS = new Set(['40P01', '40001']);

/** Did the server roll the transaction back for running into others (a deadlock, a serialization failure)? Run again, it may pass. */
export function isTransactionConflict(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && TRANSACTION_CONFLICTS.has(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Runs a whole transaction again when the server rolled it back for a deadlock or a serialization
 * failure (nothing of it was kept), at most `attempts` times in all, after a short random wait so
 * that the two sides do not meet again. Only for a transaction of its own: one that shares an open
 * transaction cannot be run again alone.
 */
export async function retryOnConflict<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (attempt >= attempts || !isTransactionConflict(err)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}

/** Is this error an outage of the database (either kind) rather than a fault in the request? Answered 503. */
export const isDatabaseUnavailable = (err: unknown): boolean => outage(err) !== null;

/** Is the server unreachable or gone (not merely busy)? A read a replica failed so may go to the primary instead. */
export const isDatabaseLost = (err: unknown): boolean => outage(err) === 'lost';

/**
 * The unique index (or constraint) a failed statement violated (SQLSTATE 23505), looking through
 * the errors that wrap it (drizzle's DrizzleQueryError); null for any other error.
 */
export function violatedUniqueIndex(err: unknown): string | null {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    const { code, constraint } = e as { code?: unknown; constraint?: unknown };
    if (code === '23505') return typeof constraint === 'string' ? constraint : null;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/** The innermost cause's message and SQLSTATE: a driver's error wrapped by drizzle's "Failed query". */
export function innermostReason(err: unknown): { message: string; code?: string } {
  let e = err;
  // A host with several addresses fails with one error per address (AggregateError): the first says why.
  while (e instanceof Error && (e.cause instanceof Error || (e instanceof AggregateError && e.errors[0] instanceof Error))) {
    e = e instanceof AggregateError && !(e.cause instanceof Error) ? e.errors[0] : e.cause;
  }
  const code = (e as { code?: unknown })?.code;
  return { message: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * Why migrations were not applied, in one line, with the likely fix: 42501 (insufficient_privilege)
 * where no DATABASE_MIGRATION_URL is set means DATABASE_URL's plain role was asked to change the schema.
 */
export function migrationFailure(err: unknown, migrationUrlSet: boolean): string {
  const { message, code } = innermostReason(err);
  const hint =
    code === '42501' && !migrationUrlSet
      ? ' (DATABASE_URL’s role may not change the schema: set DATABASE_MIGRATION_URL to the database owner’s, or run `npm run db:migrate` with it first; docs/operations.md)'
      : '';
  return `migrations not applied: ${message}${code ? ` [${code}]` : ''}${hint}`;
}

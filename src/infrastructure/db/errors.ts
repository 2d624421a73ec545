import { AdmissionTimeout } from './admission.js';

/**
 * Is this error an outage of the database rather than a fault in the request? Connection-class
 * SQLSTATEs (08xxx), an administrator shutdown or a server starting up (57P01-57P03), too many
 * connections (53300), a statement cancelled (57014: past DATABASE_STATEMENT_TIMEOUT_MS, say behind
 * a lock held elsewhere, or by an operator), no write admission in time (AdmissionTimeout), and the
 * node-level errors of a refused or broken connection.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const seen = new Set<unknown>();
  let e: unknown = err;
  while (e && typeof e === 'object' && !seen.has(e)) {
    seen.add(e);
    if (e instanceof AdmissionTimeout) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300') return true;
      if (code === '57014') return true;
      if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
    }
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended unexpectedly|Client was closed and is not queryable|Connection terminated due to connection timeout/i.test(
        message,
      )
    ) {
      return true;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

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

import pino, { type Logger } from 'pino';

/** Paths that must never reach the log: tokens in any form. */
const REDACT_PATHS = [
  'req.headers.authorization',
  'headers.authorization',
  'authorization',
  'token',
  '*.token',
  'tokenHash',
  '*.tokenHash',
  'REGISTRY_ADMIN_TOKEN',
  '*.REGISTRY_ADMIN_TOKEN',
  'DATABASE_URL',
  'DATABASE_READ_URL',
  'AUDIT_SIGNING_KEY',
  'privateKey',
  '*.privateKey',
  '*.AUDIT_SIGNING_KEY',
  'rawPacket',
  '*.rawPacket',
];

/**
 * Fields of a PostgreSQL (pg, PGlite) error that name where it happened, never what was in the row:
 * `detail`, `where`, `hint`, `internalQuery` and the parameters can hold record content or token
 * hashes (a unique violation's detail quotes the key), so they are left out.
 */
const DATABASE_FIELDS = ['severity', 'constraint', 'table', 'column', 'schema', 'dataType', 'routine'] as const;

/** Quoted values in a database message ("invalid input syntax for type uuid: \"…\"") become "…". */
const withoutQuoted = (message: string) => message.replace(/"[^"]*"/g, '"…"');

/**
 * The one error serializer: an error is logged with its type, code and a message that carries no
 * values, plus the stack frames (not the stack's first line, which repeats the message), and the
 * same for its cause. A query error (`query` + `params`: drizzle's, whose message lists the
 * parameters, and PGlite's) keeps only its parameterised SQL text; a database error only the fields
 * above and its message with quoted values blanked.
 */
export function serializeError(err: unknown, depth = 0): Record<string, unknown> {
  if (!(err instanceof Error) || depth > 4) return { type: typeof err, message: String(err).slice(0, 200) };
  const e = err as Error & Record<string, unknown>;
  const out: Record<string, unknown> = { type: e.constructor?.name ?? e.name };
  const isQueryError = typeof e.query === 'string' && 'params' in e;
  const isDatabaseError = typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && ('severity' in e || 'routine' in e);
  if (e.code !== undefined) out.code = e.code;
  if (isQueryError) out.query = (e.query as string).slice(0, 500);
  if (typeof e.statusCode === 'number') out.statusCode = e.statusCode;
  // A database error first: PGlite's carries the query and its parameters too, and its message is the one that says why.
  if (isDatabaseError) {
    out.message = withoutQuoted(e.message);
    for (const f of DATABASE_FIELDS) if (e[f] !== undefined) out[f] = e[f];
  } else if (isQueryError) {
    out.message = 'Failed query';
  } else {
    out.message = e.message;
  }
  if (typeof e.stack === 'string') {
    out.stack = e.stack
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .join('\n');
  }
  if (e.cause !== undefined) out.cause = serializeError(e.cause, depth + 1);
  return out;
}

/**
 * Request lines: method, path (never the query string: its values are search terms), route and the
 * query keys. A fastify request or Node message (fastify logs those under `req`) is cut down the same way.
 */
export function serializeRequest(req: unknown): Record<string, unknown> {
  const r = (req ?? {}) as Record<string, unknown>;
  const url = typeof r.url === 'string' ? r.url.split('?')[0] : undefined;
  return {
    method: r.method,
    url,
    ...(typeof r.route === 'string' ? { route: r.route } : {}),
    ...(Array.isArray(r.queryKeys) ? { queryKeys: r.queryKeys } : {}),
  };
}

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError, req: serializeRequest },
      timestamp: pino.stdTimeFunctions.isoTime,
      base: { service: 'enforcement-registry' },
    },
    destination,
  );
}

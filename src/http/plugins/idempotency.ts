import type { FastifyInstance, FastifyReply, FastifyRequest, onSendHookHandler, preHandlerHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { type IdempotencyClaim, requestFingerprint } from '../../infrastructure/idempotency.js';
import { Problem, UUID_TEXT } from '../schemas/common.js';
import { declareResponseHeaders } from './openapi.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Response fields an idempotent replay must not repeat because they are shown only once. */
    idempotencyWithheld?: readonly string[];
    /** The answer's Location names the resource the request made, at the request's path + `/{id}` (creates, imports). */
    idempotencyLocation?: boolean;
  }
}

const IDEMPOTENCY_HEADER = 'idempotency-key';

const unquote = (key: string) => (key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key);

/** Keys are 1 to 255 printable ASCII characters; a quoted key is read without its quotes. */
const IdempotencyKey = z
  .string()
  // An empty key fails here and nowhere else: one entry, not one per check.
  .min(1, { abort: true })
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be 1 to 255 printable ASCII characters without spaces')
  // A quoted key is read without its quotes (`"abc"` is `abc`), so `""` would be the empty key.
  .refine((key) => key === '' || unquote(key) !== '', { message: 'must not be empty, also not `""`', params: { rule: 'empty_key' } });

const KEY_RULES =
  'The same key with another body is a 422; a retry while the first request is still being processed is a 409 on PostgreSQL (on the embedded database, which runs one write at a time, it waits for the first and gets its response). Keys are scoped per API client. Use a fresh random value, such as a UUID, per new request.';

/**
 * The Idempotency-Key header of one operation. Where the answer shows something only once (a token, a
 * secret: `withheld`), a retry cannot answer it again: it changes nothing and says so with a 409.
 */
const idempotencyKeyHeader = (withheld: readonly string[]) =>
  IdempotencyKey.meta({
    description:
      withheld.length === 0
        ? `Makes this request safe to retry (IETF httpapi Idempotency-Key draft): a retry with the same key and body, within the key’s lifetime (24 hours by default), answers the first response again and changes nothing. ${KEY_RULES}`
        : `Makes this request safe to retry (IETF httpapi Idempotency-Key draft): a retry with the same key and body, within the key’s lifetime (24 hours by default), changes nothing; since the first response’s ${withheld.join(', ')} was shown only once and is not stored, the retry is a 409 (idempotent-replay-withheld) naming what the first request did. ${KEY_RULES}`,
    example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
  });

const DOC_409 = 'A request with the same Idempotency-Key is still being processed (retry after Retry-After seconds)';
const DOC_422 = 'The Idempotency-Key was already used for a different request (another path, query or body).';

export interface IdempotencyOptions {
  ttlHours: number;
  recordFinalResponse(claim: IdempotencyClaim, status: number, payload: string, headers: Record<string, string>): Promise<unknown>;
  /** Deletes expired keys; returns how many. Absent when there is no database (document generation). */
  purgeExpired?: () => Promise<number>;
}

/** UUIDs in a path, in any case (RFC 9562: compared case-insensitively). */
const PATH_UUID = new RegExp(UUID_TEXT, 'gi');

/**
 * The request's path with its UUIDs lower-cased, as the Id schema does with the ids it reads, and
 * its query as the route's schema read it (keys sorted, defaults in): a retry that writes an id in
 * another case, or the query's keys in another order, is the same request. A Location is canonical.
 */
export function canonicalTarget(request: FastifyRequest): { path: string; url: string } {
  const path = (request.url.split('?')[0] ?? '').replace(PATH_UUID, (id) => id.toLowerCase());
  const query = Object.entries((request.query ?? {}) as Record<string, unknown>)
    .filter(([, value]) => value !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]): [string, string] => [key, String(value)]);
  return { path, url: query.length > 0 ? `${path}?${new URLSearchParams(query)}` : path };
}

/**
 * Idempotency-Key on every authenticated POST, as one mechanism: each POST route gets the header
 * (validated, documented with its 409 and 422), and a key sent with it goes into the request
 * context, where the command runner claims it in the command's own transaction (`create` and
 * `changeOnce` in src/application/commands/run.ts). A replay is answered by `replay()` in
 * routes/replies.ts (through `sendCreated` for a create).
 */
export default fp(
  async function idempotency(app: FastifyInstance, opts: IdempotencyOptions) {
    // The exact bytes, status, Location and ETag of a stored create, for its retries (on the POST routes only).
    const storeFinalResponse: onSendHookHandler = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      const claim = request.context?.idempotency;
      if (!claim?.stored || typeof payload !== 'string' || reply.statusCode >= 300) return payload;
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'location', 'etag']) {
        const v = reply.getHeader(name);
        if (typeof v === 'string') headers[name] = v;
      }
      try {
        await opts.recordFinalResponse(claim, reply.statusCode, payload, headers);
      } catch (err) {
        // The record from the transaction stays: a retry still gets the resource, as serialised there.
        request.log.warn({ err }, 'could not store the final response of an idempotent request');
      }
      return payload;
    };

    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.includes('POST') || !route.config?.roles) return;
      route.schema ??= {};
      const schema = route.schema as Record<string, unknown>;
      const headers = schema.headers as z.ZodObject | undefined;
      const withheld = route.config.idempotencyWithheld ?? [];
      schema.headers = (headers ?? z.object({})).extend({ [IDEMPOTENCY_HEADER]: idempotencyKeyHeader(withheld).optional() });
      schema.response ??= {};
      const responses = schema.response as Record<number, { description: string; content?: unknown }>;
      const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
      const doc409 =
        withheld.length > 0
          ? `${DOC_409}; or a retry of a request that succeeded, whose ${withheld.join(', ')} was shown only once and is not stored (idempotent-replay-withheld)`
          : DOC_409;
      responses[409] = problem(responses[409] ? `${responses[409].description} Also: ${doc409}.` : `${doc409}.`);
      responses[422] = problem(DOC_422);

      const located = route.config.idempotencyLocation === true;
      // What a stored response answers before the handler's own bytes replace it: the route's success status.
      const success = Object.keys(responses)
        .map(Number)
        .filter((s) => s >= 200 && s < 300);
      const status = success.length > 0 ? Math.min(...success) : 201;
      // What the answers carry: a replay says so (one that withholds a field is a 409 instead, with the
      // Location of what the first request made); a busy key's 409 says when to retry.
      if (withheld.length === 0) declareResponseHeaders(schema, status, 'Idempotent-Replayed');
      if (located) declareResponseHeaders(schema, status, 'Location');
      declareResponseHeaders(schema, 409, 'Retry-After', ...(located && withheld.length > 0 ? (['Location'] as const) : []));
      const claimKey: preHandlerHookHandler = async (request: FastifyRequest) => {
        const raw = request.headers[IDEMPOTENCY_HEADER];
        if (typeof raw !== 'string' || !request.principal || !request.context) return;
        const { path, url } = canonicalTarget(request);
        request.context.idempotency = {
          clientId: request.principal.clientId,
          key: unquote(raw),
          fingerprint: requestFingerprint(request.method, url, request.body),
          ttlHours: opts.ttlHours,
          withheld,
          stored: false,
          status,
          collection: located ? path : null,
        };
      };
      const existing = route.preHandler;
      route.preHandler = existing ? [...(Array.isArray(existing) ? existing : [existing]), claimKey] : [claimKey];
      const onSend = route.onSend;
      route.onSend = onSend ? [...(Array.isArray(onSend) ? onSend : [onSend]), storeFinalResponse] : [storeFinalResponse];
    });

    // Expired keys: purged at start and then every 15 minutes (reads already ignore them).
    const purgeExpired = opts.purgeExpired;
    if (purgeExpired) {
      const purge = () =>
        Promise.resolve()
          .then(purgeExpired)
          .then(
            (n) => n > 0 && app.log.info({ purged: n }, 'expired idempotency keys purged'),
            (err) => app.log.warn({ err }, 'could not purge expired idempotency keys'),
          );
      let timer: NodeJS.Timeout | undefined;
      app.addHook('onReady', async () => {
        void purge();
        timer = setInterval(purge, 15 * 60_000).unref();
      });
      app.addHook('onClose', async () => clearInterval(timer));
    }
  },
  { name: 'idempotency', dependencies: ['auth'] },
);

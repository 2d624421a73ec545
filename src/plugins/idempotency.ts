import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { HttpProblem } from '../lib/problem.js';
import { Problem } from '../schemas/common.js';
import {
  type Claim,
  type IdempotencyRecord,
  IdempotentReplay,
  idempotencyHooks,
  keyReused,
  purgeExpiredIdempotencyKeys,
  recordFinalResponse,
  requestFingerprint,
} from '../services/idempotency.js';
import { addTransactionHooks, runInUnitOfWork } from '../services/unit-of-work.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Response fields an idempotent replay must not repeat because they are shown only once. */
    idempotencyWithheld?: readonly string[];
  }
  interface FastifyRequest {
    idempotencyClaim: Claim | null;
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';

export const IdempotencyKeyHeader = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7e]+$/, 'must be 1 to 255 printable ASCII characters without spaces')
  .meta({
    description:
      'Makes this create safe to retry (IETF httpapi Idempotency-Key draft): a retry with the same key and body, within the key’s lifetime (24 hours by default), answers the first response again and creates nothing. The same key with another body is a 422; a retry while the first request is still being processed is a 409. Keys are scoped per API client. Use a fresh random value, such as a UUID, per new request.',
    example: '8e03978e-40d5-43e8-bc93-6894a57f9324',
  });

const DOC_409 = 'A request with the same Idempotency-Key is still being processed (retry after Retry-After seconds)';
const DOC_422 = 'The Idempotency-Key was already used for a different request (another path or body).';

/** A stored key's response, sent again (Idempotent-Replayed: true). */
function replay(reply: FastifyReply, record: IdempotencyRecord) {
  const headers = record.responseHeaders as Record<string, string>;
  if (record.withheld && record.withheld.length > 0) {
    throw new HttpProblem({
      status: 409,
      code: 'idempotent-replay-withheld',
      title: 'Conflict',
      detail: `This Idempotency-Key already created ${headers.location ?? 'a resource'}; its ${record.withheld.join(', ')} was shown only once and is not stored. Revoke it if it was lost, and create another with a new key.`,
      headers: headers.location ? { Location: headers.location } : {},
    });
  }
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  reply.header('Idempotent-Replayed', 'true');
  return reply.code(record.responseStatus).send(record.responseBody);
}

const unquote = (key: string) => (key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key);

/**
 * Idempotency-Key on every authenticated POST, as one mechanism: each POST route gets the header
 * (validated, documented with its 409 and 422), and its handler runs in a unit of work whose hooks
 * put the key into the same transaction as the create (see services/idempotency.ts). A key seen
 * before is answered from the store: the transaction's first step finds it, before any change.
 */
export default fp(
  async function idempotency(app: FastifyInstance, opts: { ttlHours: number }) {
    app.decorateRequest('idempotencyClaim', null);

    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (!methods.includes('POST') || !route.config?.roles) return;
      route.schema ??= {};
      const schema = route.schema as Record<string, unknown>;
      const headers = schema.headers as z.ZodObject | undefined;
      schema.headers = (headers ?? z.object({})).extend({ [IDEMPOTENCY_HEADER]: IdempotencyKeyHeader.optional() });
      schema.response ??= {};
      const responses = schema.response as Record<number, { description: string; content?: unknown }>;
      const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: Problem } } });
      responses[409] = problem(responses[409] ? `${responses[409].description} Also: ${DOC_409}.` : `${DOC_409}.`);
      responses[422] = problem(DOC_422);

      const withheld = route.config.idempotencyWithheld ?? [];
      const original = route.handler as RouteHandlerMethod;
      route.handler = async function idempotentHandler(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
        const raw = request.headers[IDEMPOTENCY_HEADER];
        if (typeof raw !== 'string' || !request.principal) return original.call(this, request, reply);
        const claim: Claim = {
          clientId: request.principal.clientId,
          key: unquote(raw),
          fingerprint: requestFingerprint(request.method, request.url, request.body),
          ttlHours: opts.ttlHours,
          withheld,
          stored: false,
          collection: request.url.split('?')[0] ?? request.url,
        };
        // No look-up before the transaction: its first statement claims the key and finds a stored
        // one (IdempotentReplay below) before the change runs, one round trip less per create.
        request.idempotencyClaim = claim;
        try {
          return await runInUnitOfWork(() => {
            addTransactionHooks(idempotencyHooks(claim));
            return original.call(this, request, reply);
          });
        } catch (err) {
          if (!(err instanceof IdempotentReplay)) throw err;
          if (err.record.fingerprint !== claim.fingerprint) throw keyReused();
          return replay(reply, err.record);
        }
      };
    });

    // The exact bytes, status, Location and ETag of a stored create, for its retries.
    app.addHook('onSend', async (request, reply, payload) => {
      const claim = request.idempotencyClaim;
      if (!claim?.stored || typeof payload !== 'string' || reply.statusCode >= 300) return payload;
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'location', 'etag']) {
        const v = reply.getHeader(name);
        if (typeof v === 'string') headers[name] = v;
      }
      try {
        await recordFinalResponse(app.database.db, claim, reply.statusCode, payload, headers);
      } catch (err) {
        // The record from the transaction stays: a retry still gets the resource, as serialised there.
        request.log.warn({ err }, 'could not store the final response of an idempotent request');
      }
      return payload;
    });

    // Expired keys: purged at start and then every 15 minutes (reads already ignore them).
    if (app.hasDecorator('database')) {
      const purge = () =>
        purgeExpiredIdempotencyKeys(app.database.db).then(
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
  { name: 'idempotency' },
);

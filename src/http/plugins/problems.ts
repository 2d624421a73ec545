import { Readable } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, validatorCompiler } from 'fastify-type-provider-zod';
import {
  Conflict,
  DomainError,
  Forbidden,
  IdempotencyKeyReused,
  NotFound,
  RuleViolation,
  ShuttingDown,
  VersionConflict,
} from '../../domain/errors.js';
import { isDatabaseUnavailable } from '../../infrastructure/db/errors.js';
import { SpoolUnavailable } from '../../infrastructure/spool.js';
import {
  ABSENT_CODES,
  HttpProblem,
  INVALID_INPUT,
  type InvalidParam,
  invalidParamsOf,
  problemType,
  type SchemaIssue,
  titleFor,
  UNKNOWN_FIELD,
} from '../problem.js';
import { declaredQueryKeys } from './strict-query.js';

const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** Writes a problem+json response (RFC 9457), bypassing the route's response schemas. */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  p: {
    status: number;
    code: string;
    title: string;
    detail: string;
    invalidParams?: InvalidParam[] | undefined;
    headers?: Record<string, string>;
  },
) {
  const body = {
    type: problemType(p.code),
    title: p.title,
    status: p.status,
    detail: p.detail,
    instance: `${request.url.split('?')[0]}#request-${request.id}`,
    code: p.code,
    ...(p.invalidParams ? { invalidParams: p.invalidParams } : {}),
  };
  for (const [k, v] of Object.entries(p.headers ?? {})) reply.header(k, v);
  return reply.code(p.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

/** Why a key the schema does not have is refused; in the query string, with the keys the operation takes (strict-query.ts). */
function unknownKeyReason(request: FastifyRequest, context: string | undefined): string {
  if (context !== 'querystring') return UNKNOWN_FIELD;
  const keys = declaredQueryKeys(request.routeOptions.schema);
  return `unknown query parameter; this operation takes${keys.length > 0 ? `: ${keys.join(', ')}` : ' none'}`;
}

type Validation = { instancePath: string; keyword: string; message: string; params: Record<string, unknown> }[];

/**
 * Is nothing sent at this path of a part of the request (a member, a parameter, a header left out)?
 * Only a member of an object can be left out: an item of a list is never "required" (a query list
 * is split on commas before zod sees it, so its indexes are not those of the raw parameter).
 */
function absentAt(data: unknown, path: readonly string[]): boolean {
  let at: unknown = data;
  for (const key of path) {
    if (typeof at !== 'object' || at === null || Array.isArray(at)) return false;
    if (!Object.hasOwn(at, key)) return true;
    at = (at as Record<string, unknown>)[key];
  }
  return at === undefined;
}

/**
 * fastify's validation entries of one part of the request (zod issues, reshaped) → invalidParams
 * entries. A required member, parameter or header left out is `required` ("is required"), whatever
 * zod calls it: it is no wrong type and no wrong option, and the fix is to send it.
 */
function invalidParamsFrom(validation: Validation, context: string | undefined, request: FastifyRequest): InvalidParam[] {
  const data = PARTS.find((part) => part.context === (context ?? 'body'))?.data(request);
  const issues = validation.map((v) => {
    const path = v.instancePath.split('/').filter(Boolean);
    const absent = path.length > 0 && ABSENT_CODES.has(v.keyword) && absentAt(data, path);
    return {
      path,
      code: absent ? 'required' : v.keyword,
      message: absent ? 'is required' : v.message,
      keys: Array.isArray(v.params.keys) ? (v.params.keys as string[]) : undefined,
      params: v.params.params as SchemaIssue['params'],
    };
  });
  return invalidParamsOf(issues, context ?? 'body', unknownKeyReason(request, context));
}

/** The parts of a request in the order fastify validates them (its validation contexts), each in words and with its data. */
const PARTS: { context: string; words: string; data: (r: FastifyRequest) => unknown }[] = [
  { context: 'params', words: 'path', data: (r) => r.params },
  { context: 'body', words: 'body', data: (r) => r.body },
  { context: 'querystring', words: 'query string', data: (r) => r.query },
  { context: 'headers', words: 'headers', data: (r) => r.headers },
];

/** What the route's own schema for one part of the request finds wrong with it (nothing when it has none). */
function partInvalidParams(request: FastifyRequest, { context, data }: (typeof PARTS)[number]): InvalidParam[] {
  const partSchema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[context];
  const value = data(request);
  if (!partSchema || value instanceof Readable) return []; // an upload's body is read by its route (routes/transfer.ts)
  const result = validatorCompiler({ schema: partSchema } as never)(value) as { error?: Validation };
  return result.error ? invalidParamsFrom(result.error, context, request) : [];
}

/** The invalid parameters of every part of the request (for a 400 raised before fastify validates). */
export const schemaInvalidParams = (request: FastifyRequest): InvalidParam[] => PARTS.flatMap((part) => partInvalidParams(request, part));

/**
 * Every invalid parameter of the request, in every part. Fastify stops at the first part that
 * fails (path, body, query string, headers); the parts after it are checked here against the
 * route's own schemas, so one 400 lists everything the client must fix.
 */
function allInvalidParams(err: FastifyError & { validation: unknown[] }, request: FastifyRequest) {
  const failed: string = err.validationContext ?? 'body';
  const found = [{ context: failed, params: invalidParamsFrom(err.validation as Validation, failed, request) }];
  const at = PARTS.findIndex((part) => part.context === failed);
  for (const part of at === -1 ? [] : PARTS.slice(at + 1)) {
    const params = partInvalidParams(request, part);
    if (params.length > 0) found.push({ context: part.context, params });
  }
  return {
    invalidParams: found.flatMap((f) => f.params),
    parts: found.map((f) => PARTS.find((part) => part.context === f.context)?.words ?? 'input').join(' and '),
  };
}

/**
 * The one place where the registry's domain errors become HTTP answers: every command, query and
 * rule throws these, and only this function knows their status codes.
 */
export function fromDomainError(err: DomainError) {
  const base = { title: '', detail: err.message, headers: {} as Record<string, string> };
  const problem = (status: number, code: string, extra: Partial<typeof base> & { invalidParams?: InvalidParam[] } = {}) => ({
    ...base,
    status,
    code,
    title: titleFor(status),
    ...extra,
  });
  if (err instanceof NotFound) return problem(404, 'not-found');
  if (err instanceof RuleViolation)
    return problem(400, INVALID_INPUT.code, { title: INVALID_INPUT.title, invalidParams: err.invalidParams });
  if (err instanceof VersionConflict) return problem(412, 'version-mismatch', { headers: { ETag: `"${err.storedVersion}"` } });
  if (err instanceof Conflict) {
    const headers: Record<string, string> = {};
    if (err.extra.retryAfterSeconds !== undefined) headers['Retry-After'] = String(err.extra.retryAfterSeconds);
    if (err.extra.location) headers.Location = err.extra.location;
    return problem(409, err.code, { headers });
  }
  if (err instanceof Forbidden) return problem(403, 'forbidden');
  if (err instanceof IdempotencyKeyReused) return problem(422, 'idempotency-key-reused');
  if (err instanceof ShuttingDown) return problem(503, 'shutting-down', { headers: { 'Retry-After': String(err.retryAfterSeconds) } });
  return problem(500, 'internal-error');
}

/** Fastify's own error codes for malformed requests, mapped to stable problem codes. */
const FASTIFY_CODES: Record<string, { status: number; code: string; detail: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported-media-type', detail: 'Send the body as application/json.' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid-content-length',
    detail: 'The Content-Length does not match the body.',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body-too-large', detail: 'The request body is larger than this service accepts.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'empty-body', detail: 'The body is empty; send a JSON document.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'malformed-json', detail: 'The body is not valid JSON.' },
};

/**
 * Every error leaves as application/problem+json. Validation errors list every invalid input
 * in `invalidParams`; an unavailable database is a 503 with Retry-After; anything unexpected is
 * a 500 whose detail reveals nothing internal.
 */
export default fp(
  async function problems(app: FastifyInstance) {
    // Method and path of every route, to tell 405 (known path, other method) from 404.
    const routes: { pattern: RegExp; methods: Set<string> }[] = [];
    app.addHook('onRoute', (r) => {
      if (r.url === '*' || r.url.includes('*')) return;
      const pattern = new RegExp(`^${r.url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z]+/g, '[^/]+')}$`);
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      const existing = routes.find((x) => x.pattern.source === pattern.source);
      if (existing) for (const m of methods) existing.methods.add(m);
      else routes.push({ pattern, methods: new Set(methods) });
    });

    app.setNotFoundHandler((request, reply) => {
      const path = request.url.split('?')[0] ?? '';
      const match = routes.find((r) => r.pattern.test(path));
      if (match) {
        // HEAD included: every GET route answers it (RFC 9110 §10.2.1: the methods the resource supports).
        const allow = [...match.methods].sort().join(', ');
        return sendProblem(request, reply, {
          status: 405,
          code: 'method-not-allowed',
          title: titleFor(405),
          detail: `${request.method} is not allowed on ${path}; allowed: ${allow}.`,
          headers: { Allow: allow },
        });
      }
      return sendProblem(request, reply, {
        status: 404,
        code: 'not-found',
        title: titleFor(404),
        detail: path.endsWith('/') && path !== '/' ? `No resource at ${path}; paths have no trailing slash.` : `No resource at ${path}.`,
      });
    });

    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (hasZodFastifySchemaValidationErrors(err)) {
        const { invalidParams, parts } = allInvalidParams(err, request);
        return sendProblem(request, reply, {
          ...INVALID_INPUT,
          detail: `${invalidParams.length} invalid parameter${invalidParams.length === 1 ? '' : 's'} in the request's ${parts}; see invalidParams.`,
          invalidParams,
        });
      }
      if (err instanceof DomainError) return sendProblem(request, reply, fromDomainError(err));
      if (err instanceof HttpProblem) {
        return sendProblem(request, reply, {
          status: err.status,
          code: err.code,
          title: err.title,
          detail: err.message,
          invalidParams: err.invalidParams,
          headers: err.headers,
        });
      }
      const known = err.code ? FASTIFY_CODES[err.code] : undefined;
      if (known) return sendProblem(request, reply, { ...known, title: titleFor(known.status) });
      // The client closed the connection before its body was in: Node's own `aborted` (ECONNRESET) on the
      // request stream, not a database connection reset. Nobody is left to answer; no outage to report.
      if (err.code === 'ECONNRESET' && err.message === 'aborted' && request.raw.readableAborted) {
        request.log.info({ code: 'client-aborted' }, 'the client closed the connection before its request was read');
        return sendProblem(request, reply, {
          status: 400,
          code: 'incomplete-body',
          title: titleFor(400),
          detail: 'The connection closed before the whole body arrived.',
        });
      }
      /** A part the service needs is unavailable for a moment: 503, to be retried after `seconds`. */
      const unavailable = (code: string, detail: string, seconds: number) =>
        sendProblem(request, reply, { status: 503, code, title: titleFor(503), detail, headers: { 'Retry-After': String(seconds) } });
      if (err instanceof SpoolUnavailable) {
        request.log.error({ err }, 'temporary storage unavailable');
        return unavailable(
          'storage-unavailable',
          'The service has no room for this file for a moment (its temporary storage failed). Retry after the number of seconds in Retry-After.',
          30,
        );
      }
      if (isDatabaseUnavailable(err)) {
        request.log.warn({ err }, 'database unavailable');
        return unavailable(
          'database-unavailable',
          'The database is unavailable for a moment. Retry after the number of seconds in Retry-After, with the same Idempotency-Key for a create: the change may or may not have been made.',
          2,
        );
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) {
        request.log.error({ err }, 'unhandled error');
        return sendProblem(request, reply, {
          status,
          code: 'internal-error',
          title: titleFor(500),
          detail: `Something went wrong on our side. Quote request id ${request.id} when you report it.`,
        });
      }
      return sendProblem(request, reply, {
        status,
        code: (err.code ?? 'client-error').toLowerCase().replace(/_/g, '-'),
        title: titleFor(status),
        detail: err.message,
      });
    });
  },
  { name: 'problems' },
);

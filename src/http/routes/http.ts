import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Created } from '../../application/commands/run.js';
import type { Role } from '../../application/context.js';
import type { IdempotencyRecord } from '../../infrastructure/idempotency.js';
import { HttpProblem } from '../problem.js';
import { AuditReasonHeader, Problem } from '../schemas/common.js';

const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: every invalid parameter is listed in invalidParams.',
  401: 'No bearer token, or an unknown or revoked one.',
  403: 'The client’s role may not do this.',
  404: 'No such resource, or not one this client may see.',
  409: 'The request conflicts with the current state of the registry.',
  412: 'If-Match does not name the current version: the resource changed since it was read.',
  413: 'The body is too large.',
  415: 'The body is not application/json.',
  428: 'If-Match is required: send the ETag of the version you read.',
  429: 'Too many requests from this client: wait Retry-After seconds.',
  503: 'The database is unavailable for a moment: retry after Retry-After seconds.',
};

/** Problem responses in the document, as application/problem+json. */
export function problems(...statuses: number[]) {
  const out: Record<number, { description: string; content: { 'application/problem+json': { schema: typeof Problem } } }> = {};
  for (const s of statuses) {
    out[s] = { description: PROBLEM_DESCRIPTIONS[s] ?? 'Error.', content: { 'application/problem+json': { schema: Problem } } };
  }
  return out;
}

/** Route options for a route that needs a bearer token with one of these roles. */
export const roles = (...r: Role[]) => ({ roles: r });
export const BEARER = [{ bearerAuth: [] as string[] }];

/** Problems any authenticated route can answer. */
export const AUTH_PROBLEMS = [401, 403, 429, 503] as const;

export const ifMatchHeaders = z.object({
  'if-match': z
    .string()
    .optional()
    .meta({ description: 'The ETag of the version being changed, as returned by the last read or write. Required.' }),
  'x-audit-reason': AuditReasonHeader.optional(),
});

export const deleteHeaders = z.object({
  'if-match': ifMatchHeaders.shape['if-match'],
  'x-audit-reason': AuditReasonHeader.regex(/\S/, 'must say why; a blank reason is no reason').meta({
    description: 'Why this record is deleted; required, not blank, and kept in the audit trail. No personal data.',
  }),
});

export const ifNoneMatchHeaders = z.object({
  'if-none-match': z
    .string()
    .optional()
    .meta({ description: 'An ETag from an earlier read; answers 304 when the resource has not changed.' }),
});

export const etag = (version: number) => `"${version}"`;

/** The version named by a required If-Match header: 428 without it, 412 when it cannot match. */
export function expectedVersion(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (header === undefined || header === '') {
    throw new HttpProblem({
      status: 428,
      code: 'if-match-required',
      detail: 'Send If-Match with the ETag of the version you are changing, so that no one else’s change is overwritten.',
    });
  }
  const m = /^\s*"([1-9][0-9]{0,9})"\s*$/.exec(header);
  if (!m) {
    throw new HttpProblem({
      status: 412,
      code: 'version-mismatch',
      title: 'Precondition Failed',
      detail: 'If-Match must be one strong ETag as returned by this API, such as "3".',
    });
  }
  return Number(m[1]);
}

/** Sends a single resource with its ETag; answers 304 when If-None-Match already names it. */
export function sendResource<T extends { version: number }>(request: FastifyRequest, reply: FastifyReply, resource: T, status = 200) {
  const tag = etag(resource.version);
  reply.header('ETag', tag);
  const inm = request.headers['if-none-match'];
  if (status === 200 && typeof inm === 'string' && inm.split(',').some((t) => t.trim() === tag || t.trim() === '*')) {
    return reply.code(304).send();
  }
  return reply.code(status).send(resource);
}

/** A stored create's response, sent again for a retry with the same Idempotency-Key (Idempotent-Replayed: true). */
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

/** Answers a create: 201 with Location and ETag, or the first response again for a replayed Idempotency-Key. */
export function sendCreated<T extends { version: number }>(
  request: FastifyRequest,
  reply: FastifyReply,
  created: Created<T>,
  location: (resource: T) => string,
) {
  if (created.replayed) return replay(reply, created.record);
  reply.header('Location', location(created.value));
  return sendResource(request, reply, created.value, 201);
}

/** Sets the RFC 8288 Link header for a page and returns the page envelope. */
export function paged<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  page: { page: number; pageSize: number },
  result: { items: T[]; totalItems: number },
) {
  const totalPages = Math.max(1, Math.ceil(result.totalItems / page.pageSize));
  const url = new URL(request.url, 'http://localhost');
  const link = (p: number, rel: string) => {
    url.searchParams.set('page', String(p));
    url.searchParams.set('pageSize', String(page.pageSize));
    return `<${url.pathname}${url.search}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (page.page > 1) links.push(link(Math.min(page.page - 1, totalPages), 'prev'));
  if (page.page < totalPages) links.push(link(page.page + 1, 'next'));
  links.push(link(totalPages, 'last'));
  reply.header('Link', links.join(', '));
  return { items: result.items, page: page.page, pageSize: page.pageSize, totalItems: result.totalItems, totalPages };
}

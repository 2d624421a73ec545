import { z } from 'zod';
import type { Role } from '../../application/context.js';
import { AuditReasonHeader, oneLine, Problem, RequiredAuditReasonHeader } from '../schemas/common.js';

/**
 * How routes describe themselves in the OpenAPI document: who may call them, their headers and
 * problem responses, and builders for the usual operations (read one, list, create, replace, delete).
 */

// 415 and 503 are described per operation, from its body and its token (describeProblems in src/http/plugins/openapi.ts).
const PROBLEM_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input: every invalid parameter is listed in invalidParams.',
  401: 'No bearer token, or an unknown or revoked one.',
  403: 'The client’s role may not do this, or an officer named another municipality than their own where the operation takes one (another municipality’s record itself is a 404).',
  404: 'No such resource, or not one this client may see.',
  409: 'The request conflicts with the current state of the registry.',
  412: 'If-Match does not name the current version: the resource changed since it was read (or If-Match is not one strong ETag of a version, such as `*` or `W/"3"`). A stale version is answered with the current ETag.',
  406: 'Not Acceptable: the client’s Accept admits none of the media types this operation answers (those of its 2xx responses).',
  413: 'The body is too large.',
  428: 'If-Match is required: send the ETag of the version you read.',
  429: 'Too many requests from this client, or too many unknown or malformed tokens from this address: wait Retry-After seconds.',
};

/**
 * The 503 of an operation that needs neither the database nor a token: only an instance that is
 * shutting down answers it so (src/http/plugins/closing.ts). describeProblems leaves it as it is.
 */
export const SHUTTING_DOWN_ONLY =
  'Service Unavailable for a moment: the request reached an instance that is shutting down (shutting-down; another instance answers the retry). Retry after the seconds in Retry-After.';

/** The 503 response of an operation that needs no database (see SHUTTING_DOWN_ONLY). */
export const closingOnly = () => ({ 503: { ...problems(503)[503], description: SHUTTING_DOWN_ONLY } });

export const MERGE_PATCH = 'application/merge-patch+json';

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

const actingUser = oneLine().max(255).optional().meta({
  description:
    'For an API-client token: the person (officer) this change is made for, such as an account name; kept in the audit trail as declared (actor.verified false). No personal data of sex workers. Ignored for OpenID Connect tokens, which carry the person themselves.',
  example: 'j.devries',
});

/** The acting person an API client may declare with a write (src/http/plugins/auth.ts). */
const actingHeaders = {
  'x-acting-user': actingUser,
  'x-acting-user-name': oneLine().max(255).optional().meta({ description: 'Display name of X-Acting-User.', example: 'J. de Vries' }),
};

export const ifMatchHeaders = z.object({
  'if-match': z.string().meta({
    description:
      'The ETag of the version being changed, as returned by the last read or write: the record’s version in double quotes, so `"3"` for a list item with version 3 (one strong ETag: `"` 1 to 10 digits `"`). Required: without it 428 (answered before the body is validated). Any other value (another version, `*`, a weak `W/"3"`, a list) is a 412: a change must name the version it changes.',
    example: '"1"',
  }),
  'x-audit-reason': AuditReasonHeader.optional(),
  ...actingHeaders,
});

const deleteHeaders = z.object({
  ...actingHeaders,
  'if-match': ifMatchHeaders.shape['if-match'],
  'x-audit-reason': RequiredAuditReasonHeader.meta({
    description: 'Why this record is deleted; required, not blank, and kept in the audit trail. No personal data.',
  }),
});

/** A read's conditional headers (src/http/routes/replies.ts, sendResource). */
const readPreconditionHeaders = z.object({
  'if-match': z.string().optional().meta({
    description:
      'Read only this version: one or more strong ETags (`"3"`, `"3", "4"`) or `*`; any other current version answers 412 with its ETag. Rarely needed; a change always sends If-Match.',
  }),
  'if-none-match': z
    .string()
    .optional()
    .meta({ description: 'An ETag from an earlier read; answers 304 when the resource has not changed.' }),
});

/** How an operation is named and explained in the document. */
export interface OperationDoc {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
}

const NOT_MODIFIED = z.undefined().meta({ description: 'Not modified.' });
const DELETED = z.undefined().meta({ description: 'Deleted.' });
const WRITE_PROBLEMS = [413, 415] as const;

/** Reading one record: 200 with it and its ETag, 304 for a matching If-None-Match, 412 for an If-Match that names another version, 404. */
export const readOne = <P extends z.ZodType, R extends z.ZodType>(doc: OperationDoc, params: P, record: R) => ({
  ...doc,
  security: BEARER,
  params,
  headers: readPreconditionHeaders,
  response: {
    200: record,
    304: NOT_MODIFIED,
    ...problems(400, ...AUTH_PROBLEMS, 404),
    412: { ...problems(412)[412], description: 'If-Match names neither the current version nor `*`; answered with the current ETag.' },
  },
});

/** A page of a collection, with its filters. */
export const listOf = <Q extends z.ZodType, R extends z.ZodType>(doc: OperationDoc, querystring: Q, page: R, ...more: number[]) => ({
  ...doc,
  security: BEARER,
  querystring,
  response: { 200: page, ...problems(400, ...AUTH_PROBLEMS, ...more) },
});

/** A create: 201 with Location and ETag; an optional X-Audit-Reason (Idempotency-Key is added by its plugin). */
export const createOne = <B extends z.ZodType, R extends z.ZodType>(doc: OperationDoc, body: B, record: R, ...more: number[]) => ({
  ...doc,
  security: BEARER,
  headers: ifMatchHeaders.pick({ 'x-audit-reason': true, 'x-acting-user': true, 'x-acting-user-name': true }),
  body,
  response: { 201: record, ...problems(400, ...AUTH_PROBLEMS, ...more, ...WRITE_PROBLEMS) },
});

/** What a replace or a patch is declared with: its doc, path parameters, body, the record it answers and more problems. */
type ChangeArgs<P, B, R> = [doc: OperationDoc, params: P, body: B, record: R, ...more: number[]];

/** A full replacement under If-Match. */
export const replaceOne = <P extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(
  ...[doc, params, body, record, ...more]: ChangeArgs<P, B, R>
) => ({
  ...doc,
  security: BEARER,
  params,
  headers: ifMatchHeaders,
  body,
  response: { 200: record, ...problems(400, ...AUTH_PROBLEMS, 404, ...more, 412, ...WRITE_PROBLEMS, 428) },
});

/** A JSON Merge Patch (RFC 7396, `application/merge-patch+json`) under If-Match. */
export const patchOne = <P extends z.ZodType, B extends z.ZodType, R extends z.ZodType>(...args: ChangeArgs<P, B, R>) => ({
  ...replaceOne(...args),
  consumes: [MERGE_PATCH],
});

/** A delete under If-Match, with a required X-Audit-Reason: 204. */
export const deleteOne = <P extends z.ZodType>(doc: OperationDoc, params: P, ...more: number[]) => ({
  ...doc,
  security: BEARER,
  params,
  headers: deleteHeaders,
  response: { 204: DELETED, ...problems(400, ...AUTH_PROBLEMS, 404, ...more, 412, ...WRITE_PROBLEMS, 428) },
});

/** Names operations under one tag: `op(operationId, summary, description)`. */
export const operations =
  (...tags: string[]) =>
  (operationId: string, summary: string, description: string): OperationDoc => ({ operationId, summary, description, tags });

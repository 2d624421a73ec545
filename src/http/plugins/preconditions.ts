import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { z } from 'zod';
import { mediaTypeOf } from '../../lib/media-type.js';
import { badRequest, HttpProblem } from '../problem.js';
import { MERGE_PATCH } from '../routes/operations.js';
import { expectedVersion } from '../routes/replies.js';
import { bodyMayBeOmitted } from './openapi.js';
import { schemaInvalidParams } from './problems.js';

/**
 * Whether the route's header schema requires If-Match (every PUT, PATCH and DELETE of a versioned
 * resource, a secret's rotation). A read declares it optional (replies.ts evaluates it there).
 */
function requiresIfMatch(headers: unknown): boolean {
  const ifMatch = (headers as { shape?: Record<string, z.ZodType> } | undefined)?.shape?.['if-match'];
  return ifMatch !== undefined && !ifMatch.safeParse(undefined).success;
}

/**
 * A JSON body sent to an operation that takes none (plugins/http-hygiene.ts parses it, `{}` as none):
 * the 400 that names what it holds, beside whatever else of the request is invalid.
 */
function unwantedBody(body: unknown, others: ReturnType<typeof schemaInvalidParams>) {
  const reason = 'this operation takes no body';
  const named =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? Object.keys(body).map((key) => ({ name: key || '(empty)', code: 'unknown_field', reason }))
      : [{ name: 'body', code: 'unexpected_body', reason: `${reason}: send none (or {})` }];
  return badRequest([...named, ...others]);
}

/**
 * Before the body is validated: a PATCH body must be a merge patch (and only a PATCH body may be
 * one), and a route that declares If-Match answers 428 without it (412 when it cannot match), so
 * that a client learns it first, whatever else is wrong with its body or query; then a body sent
 * to an operation that takes none is a 400. Registered before http-hygiene.ts, whose malformed-query
 * 400 comes after these.
 */
export default fp(
  async function preconditions(app: FastifyInstance) {
    app.addHook('preValidation', async (request) => {
      const schema = request.routeOptions.schema;
      if (!schema) return; // not a route of the API (404, 405, docs): their own answers
      const type = mediaTypeOf(request.headers['content-type']);
      // The media type of a GET or HEAD body does not matter: the body is ignored (and with none, there is no type).
      if (request.method === 'GET' || request.method === 'HEAD') return;
      if (request.method === 'PATCH' && type !== MERGE_PATCH) {
        throw new HttpProblem({
          status: 415,
          code: 'unsupported-media-type',
          detail: `Send a PATCH body as ${MERGE_PATCH} (JSON Merge Patch, RFC 7396).`,
        });
      }
      if (request.method !== 'PATCH' && type === MERGE_PATCH) {
        throw new HttpProblem({
          status: 415,
          code: 'unsupported-media-type',
          detail: `Only PATCH takes ${MERGE_PATCH}; send application/json.`,
        });
      }
      if (requiresIfMatch(schema.headers)) expectedVersion(request);
      if (!schema.body && request.body instanceof Readable) {
        // A file (text/csv, NDJSON: the import's parsers hand over a stream) where no body is taken.
        throw new HttpProblem({
          status: 415,
          code: 'unsupported-media-type',
          detail: 'This operation takes no body; send none, not a file.',
        });
      }
      if (!schema.body && request.body !== undefined) throw unwantedBody(request.body, schemaInvalidParams(request));
      // A body every member of which has a default may be left out (openapi.ts optionalBody): none is `{}`.
      if (bodyMayBeOmitted(schema) && request.body === undefined) request.body = {};
    });
  },
  { name: 'preconditions' },
);

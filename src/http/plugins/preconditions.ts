import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../problem.js';
import { MERGE_PATCH } from '../routes/operations.js';
import { expectedVersion } from '../routes/replies.js';

/** Whether the route's header schema declares If-Match (every PUT, PATCH and DELETE of a versioned resource). */
function declaresIfMatch(headers: unknown): boolean {
  const shape = (headers as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape !== undefined && 'if-match' in shape;
}

const mediaType = (header: string | undefined) => (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/**
 * Before the body is validated: a PATCH body must be a merge patch (and only a PATCH body may be
 * one), and a route that declares If-Match answers 428 without it (412 when it cannot match), so
 * that a client learns it first, whatever else is wrong with its body.
 */
export default fp(
  async function preconditions(app: FastifyInstance) {
    app.addHook('preValidation', async (request) => {
      const schema = request.routeOptions.schema;
      if (!schema) return; // not a route of the API (404, 405, docs): their own answers
      const type = mediaType(request.headers['content-type']);
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
      if (declaresIfMatch(schema.headers)) expectedVersion(request);
    });
  },
  { name: 'preconditions' },
);

import { createHash } from 'node:crypto';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { closingOnly } from './operations.js';

/** Is this entity tag among those of an If-None-Match list (the weak comparison, RFC 9110 §13.1.2)? `*` names any. */
const namesTag = (list: string, tag: string) =>
  list.split(',').some((item) => item.trim() === '*' || item.trim().replace(/^W\//, '') === tag);

/**
 * GET /v1/openapi.json: the contract, public and CORS-open (NL GOV ADR /core/publish-openapi). Every
 * answer of this path carries `Access-Control-Allow-Origin: *` (set with the common headers, in
 * plugins/http-hygiene.ts), its errors too, so that a browser's code can read why; a CORS preflight
 * (OPTIONS) is answered 204. The document is served from memory
 * with an ETag: `Cache-Control: no-cache` lets a client keep it and ask again with If-None-Match (304).
 */
const openapiDocumentRoute: FastifyPluginAsyncZod = async (app) => {
  let cached: { body: string; etag: string } | undefined;
  const documentOf = () => {
    if (!cached) {
      const body = JSON.stringify(app.swagger());
      cached = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    return cached;
  };
  app.options('/openapi.json', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .code(204)
      .header('Access-Control-Allow-Methods', 'GET, HEAD, OPTIONS')
      .header('Access-Control-Allow-Headers', '*')
      .header('Access-Control-Max-Age', '86400')
      .send(),
  );
  app.get('/openapi.json', {
    schema: {
      operationId: 'getOpenApiDocument',
      summary: 'This OpenAPI document',
      description:
        'The OpenAPI 3.0.3 document of this API. Needs no token, and no database: it is served from memory, with an ETag (If-None-Match answers 304). Open to every origin (CORS).',
      tags: ['Documentation'],
      headers: z.object({
        'if-none-match': z
          .string()
          .optional()
          .meta({ description: 'The ETag of a copy of the document kept earlier; answers 304 while it is current.' }),
      }),
      response: {
        200: {
          description: 'The OpenAPI document.',
          content: { 'application/json': { schema: z.object({}).catchall(z.unknown()) } },
        },
        304: z.undefined().meta({ description: 'Not modified: If-None-Match names the document’s current ETag.' }),
        ...closingOnly(),
      },
    },
    handler: async (request, reply) => {
      const { body, etag } = documentOf();
      reply.header('ETag', etag).header('Cache-Control', 'no-cache');
      const inm = request.headers['if-none-match'];
      if (typeof inm === 'string' && namesTag(inm, etag)) return reply.code(304).send();
      return reply.type('application/json; charset=utf-8').send(body as never); // already serialised JSON: sent as is
    },
  });
};

export default openapiDocumentRoute;

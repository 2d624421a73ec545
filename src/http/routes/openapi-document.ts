import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { closingOnly } from './operations.js';

/** GET /v1/openapi.json: the contract, public and CORS-open (NL GOV ADR /core/publish-openapi). */
const openapiDocumentRoute: FastifyPluginAsyncZod = async (app) => {
  let cached: string | undefined;
  app.get('/openapi.json', {
    schema: {
      operationId: 'getOpenApiDocument',
      summary: 'This OpenAPI document',
      description: 'The OpenAPI 3.0.3 document of this API. Needs no token, and no database: it is served from memory.',
      tags: ['Documentation'],
      response: {
        200: {
          description: 'The OpenAPI document.',
          content: { 'application/json': { schema: z.object({}).catchall(z.unknown()) } },
        },
        ...closingOnly(),
      },
    },
    handler: async (_request, reply) => {
      cached ??= JSON.stringify(app.swagger());
      return reply
        .header('Access-Control-Allow-Origin', '*')
        .type('application/json; charset=utf-8')
        .send(cached as never); // already serialised JSON: sent as is
    },
  });
};

export default openapiDocumentRoute;

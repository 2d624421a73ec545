import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { problems } from '../routes/operations.js';

/**
 * Every operation of the contract (`/v1`) refuses query keys it does not declare: `?yaer=2024`
 * answers 400, never figures for another question. The route's own query schema is made strict
 * here, once for all routes, so an unknown key is a zod issue (`unrecognized_keys`) listed beside
 * the other invalid values of the query (plugins/problems.ts names each key). A route without a
 * query schema takes no query keys at all, and one that did not declare a 400 gets it in the
 * document. Outside `/v1` (health, docs, dashboard pages and assets: no contract, and probes,
 * browsers and Swagger UI add keys of their own) nothing changes.
 */

/** The query keys a route declares, in the order of its schema. */
export function declaredQueryKeys(schema: FastifySchema | undefined): string[] {
  const query = schema?.querystring;
  return query instanceof z.ZodObject ? Object.keys(query.shape) : [];
}

export default fp(
  async function strictQuery(app: FastifyInstance) {
    app.addHook('onRoute', (route) => {
      if (!route.url.startsWith('/v1/')) return;
      const query = route.schema?.querystring ?? z.object({});
      if (!(query instanceof z.ZodObject)) {
        throw new Error(`${route.method} ${route.url}: a query schema must be a z.object, so that unknown keys can be refused`);
      }
      // Every operation can now answer 400, so the document declares it for each (most already do).
      const response = route.schema?.response as Record<string, unknown> | undefined;
      const with400 = response && !('400' in response) ? { response: { ...response, ...problems(400) } } : {};
      route.schema = { ...route.schema, querystring: query.strict(), ...with400 };
    });
  },
  { name: 'strict-query' },
);

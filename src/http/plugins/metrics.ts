import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Metrics } from '../../infrastructure/metrics.js';

/**
 * Counts every answered request and its duration per method, route pattern and status. The route
 * is the pattern (`/v1/establishments/:id`), never the URL, so the number of series stays bounded;
 * requests no route matched are counted as `unmatched`.
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance, opts: { metrics: Metrics }) {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      opts.metrics.observeRequest(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    });
  },
  { name: 'metrics' },
);

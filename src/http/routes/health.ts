import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';

const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  database: z.string().optional(),
  /** Webhook outbox: undelivered events and the oldest one's age (docs/notifications.md). */
  notifications: z.object({ backlog: z.number().int(), oldestUndeliveredAgeSeconds: z.number().int().nullable() }).optional(),
});

/** Liveness and readiness for orchestrators; outside /v1 and outside the contract. */
const healthRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get('/health/live', { schema: { hide: true, response: { 200: Health } } }, async () => ({ status: 'ok' as const }));

  app.get('/health/ready', { schema: { hide: true, response: { 200: Health, 503: Health } } }, async (request, reply) => {
    try {
      return { status: 'ok' as const, database: await services.ping(), notifications: await services.notifications.backlog() };
    } catch (err) {
      request.log.warn({ err }, 'readiness check failed');
      return reply
        .code(503)
        .header('Retry-After', '2')
        .send({ status: 'unavailable' as const, database: services.database.kind });
    }
  });
};

export default healthRoutes;

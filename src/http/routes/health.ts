import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Services } from '../../application/services.js';
import { repeatedFailure } from '../../lib/repeated-failure.js';

const Health = z.object({
  status: z.enum(['ok', 'unavailable']),
  database: z.string().optional(),
  /** Webhook outbox: undelivered events and the oldest one's age (docs/notifications.md). */
  notifications: z.object({ backlog: z.number().int(), oldestUndeliveredAgeSeconds: z.number().int().nullable() }).optional(),
});

/** Liveness and readiness for orchestrators; outside /v1 and outside the contract. */
const healthRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get('/health/live', { schema: { hide: true, response: { 200: Health } } }, async () => ({ status: 'ok' as const }));

  // Every prober (the orchestrator, a load balancer, the image's HEALTHCHECK) asks every few seconds: an
  // outage is told once with its cause, then once a minute with a count, and its end once.
  const readiness = repeatedFailure(
    {
      first: 'readiness check failed: the database does not answer',
      still: 'readiness check still failing',
      again: 'readiness check passes again',
    },
    0,
  );
  app.get('/health/ready', { schema: { hide: true, response: { 200: Health, 503: Health } } }, async (request, reply) => {
    try {
      const ready = { status: 'ok' as const, database: await services.ping(), notifications: await services.notifications.backlog() };
      readiness.succeeded(request.log);
      return ready;
    } catch (err) {
      readiness.failed(request.log, err);
      return reply
        .code(503)
        .header('Retry-After', '2')
        .send({ status: 'unavailable' as const, database: services.database.kind });
    }
  });
};

export default healthRoutes;

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { titleFor } from '../problem.js';
import { setCommonHeaders } from './http-hygiene.js';
import { sendProblem } from './problems.js';

/** Seconds a client is told to wait before it retries a request this closing instance refused. */
export const CLOSING_RETRY_AFTER_S = 1;

/**
 * While the app closes (SIGTERM), from the moment `app.close()` begins:
 *
 * - a request that arrives (on a connection still open: its headers came in after the close began)
 *   is answered 503 problem+json `shutting-down` with Retry-After, so a load balancer or client sends
 *   it to another instance. Fastify's own answer (`return503OnClosing`, turned off in app.ts) was
 *   plain JSON without Retry-After.
 * - every answer, to these and to the requests in flight, ends its connection (`Connection: close`).
 *   Node's server.close() ends only the connections idle at that moment: a keep-alive client (a load
 *   balancer, a pooled HTTP client) would otherwise hold the shutdown until SHUTDOWN_GRACE_MS and its exit 1.
 */
export default fp(
  async function closing(app: FastifyInstance) {
    let closing = false;
    app.addHook('preClose', async () => {
      closing = true;
    });
    app.addHook('onRequest', async (request, reply) => {
      if (!closing) return;
      setCommonHeaders(request, reply); // this answer comes before http-hygiene's own hook would set them
      return sendProblem(request, reply, {
        status: 503,
        code: 'shutting-down',
        title: titleFor(503),
        detail: 'This instance is shutting down. Retry after the seconds in Retry-After; another instance will answer.',
        headers: { 'Retry-After': String(CLOSING_RETRY_AFTER_S) },
      });
    });
    app.addHook('onSend', async (_request, reply) => {
      if (closing) reply.header('Connection', 'close');
    });
  },
  { name: 'closing' },
);

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { RecentWriters, readRouting } from '../services/read-your-writes.js';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Read-your-own-writes across a replica: after a client's write succeeds it is remembered for
 * `windowMs`, and during that time its requests run with `readRouting` set to the primary, which
 * `database.readDb` honours. Runs after auth (preHandler), so the client is known.
 */
export default fp(
  async function readRoutingPlugin(app: FastifyInstance, opts: { windowMs: number }) {
    const writers = new RecentWriters(opts.windowMs);
    app.decorate('recentWriters', writers);
    app.addHook('preHandler', (request, _reply, done) => {
      const clientId = request.principal?.clientId;
      if (clientId && !READS.has(request.method)) writers.noteWrite(clientId); // a write in flight
      readRouting.run({ primary: clientId ? writers.wroteRecently(clientId) : false }, done);
    });
    app.addHook('onResponse', async (request, reply) => {
      const clientId = request.principal?.clientId;
      if (clientId && !READS.has(request.method) && reply.statusCode < 400) writers.noteWrite(clientId);
    });
  },
  { name: 'read-routing', dependencies: ['auth'] },
);

declare module 'fastify' {
  interface FastifyInstance {
    recentWriters: RecentWriters;
  }
}

import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../db/client.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
  }
}

/**
 * Makes the opened database available as `app.database` and closes it when the app closes
 * (after in-flight requests have finished). Opening and migrating happen before the app is built,
 * in server.ts or the test helper, so start-up failures surface there with a clear message.
 */
export default fp(
  async function database(app: FastifyInstance, opts: { database: Database; closeWithApp: boolean }) {
    app.decorate('database', opts.database);
    if (opts.closeWithApp) app.addHook('onClose', async () => opts.database.close());
  },
  { name: 'database' },
);

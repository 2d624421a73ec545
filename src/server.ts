import closeWithGrace from 'close-with-grace';
import { BootstrapTokenRevoked } from './application/commands/api-clients.js';
import { systemContext } from './application/context.js';
import { ConfigError, firstStartHints, loadConfig } from './config.js';
import { firstStartLines } from './first-start.js';
import { connectionRole, type Database, openDatabase, prepareDatabase } from './infrastructure/db/client.js';
import { createLogger } from './logger.js';

/**
 * The process: read configuration, open and migrate the database, register the bootstrap admin
 * (from REGISTRY_ADMIN_TOKEN, or on a first embedded start one with a random token), listen, tell a
 * person what to do next (src/first-start.ts), and on SIGTERM/SIGINT stop accepting, finish
 * in-flight requests, close the database.
 */
async function main() {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const started = performance.now();
  // Start-up in parallel: the embedded database's WebAssembly is compiled off the main thread
  // while the app's modules (fastify, zod schemas, routes) load and the app is built.
  const opening = openDatabase(config, (err) => logger.warn({ err }, 'idle database connection failed')).then(async (d) => {
    await prepareDatabase(d, config.DATABASE_MIGRATION_URL);
    return d;
  });
  opening.catch(() => {}); // handled below; do not crash as unhandled while the app module loads
  const { buildApp, servicesFor } = await import('./app.js');
  let database: Database;
  try {
    database = await opening;
  } catch (err) {
    logger.fatal({ err }, 'cannot open the database');
    process.exit(1);
  }
  if (database.kind === 'postgres' && (await connectionRole(database)).superuser) {
    logger.warn(
      'connected to PostgreSQL as a superuser: row-level security still binds (every transaction switches to registry_app), but run the service as a plain role with DATABASE_MIGRATION_URL for migrations (docs/operations.md)',
    );
  }
  const services = servicesFor(database, config);
  // For a person trying it out: the embedded database only, never PostgreSQL (a real installation).
  const hints = database.kind === 'pglite' && firstStartHints(config);
  let firstAdmin: { id: string; token: string } | null = null;
  if (!config.REGISTRY_ADMIN_TOKEN && hints) {
    firstAdmin = await services.commands.apiClients.ensureFirstAdmin(
      systemContext('first start on the embedded database without REGISTRY_ADMIN_TOKEN'),
    );
    if (firstAdmin) logger.info({ clientId: firstAdmin.id }, 'created the bootstrap admin; its token is printed once on stderr');
  }
  if (config.REGISTRY_ADMIN_TOKEN) {
    try {
      await services.commands.apiClients.ensureBootstrapAdmin(
        systemContext('REGISTRY_ADMIN_TOKEN at start-up'),
        config.REGISTRY_ADMIN_TOKEN,
      );
    } catch (err) {
      if (!(err instanceof BootstrapTokenRevoked)) throw err;
      process.stderr.write(`Invalid configuration:\n  REGISTRY_ADMIN_TOKEN: ${err.message}\n`);
      await database.close();
      process.exit(78); // EX_CONFIG
    }
  }
  const app = await buildApp({ config, services, closeDatabase: true, logger });

  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });

  const url = await app.listen({ port: config.PORT, host: config.HOST });
  app.log.info(
    {
      url, // the bound address: with PORT=0 the only place the chosen port shows
      database: database.kind,
      dataDir: database.kind === 'pglite' ? config.DATA_DIR : undefined,
      startupMs: Math.round(performance.now() - started),
    },
    'ready',
  );
  if (hints) {
    process.stderr.write(
      firstStartLines({
        url,
        dataDir: config.DATA_DIR,
        newAdminToken: firstAdmin?.token ?? null,
        tokenConfigured: Boolean(config.REGISTRY_ADMIN_TOKEN),
      }),
    );
  }
}

await main();

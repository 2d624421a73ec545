import closeWithGrace from 'close-with-grace';
import { ConfigError, loadConfig } from './config.js';
import { type Database, migrateDatabase, openDatabase } from './db/client.js';
import { createLogger } from './logger.js';
import { createApiClientRepository } from './repositories/api-clients.js';
import { systemActor } from './services/context.js';

/**
 * The process: read configuration, open and migrate the database, register the bootstrap admin,
 * listen, and on SIGTERM/SIGINT stop accepting, finish in-flight requests, close the database.
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
    await migrateDatabase(d);
    return d;
  });
  opening.catch(() => {}); // handled below; do not crash as unhandled while the app module loads
  const { buildApp } = await import('./app.js');
  let database: Database;
  try {
    database = await opening;
  } catch (err) {
    logger.fatal({ err }, 'cannot open the database');
    process.exit(1);
  }
  if (config.REGISTRY_ADMIN_TOKEN) {
    await createApiClientRepository(database).ensureBootstrapAdmin(
      systemActor('REGISTRY_ADMIN_TOKEN at start-up'),
      config.REGISTRY_ADMIN_TOKEN,
    );
  }
  const app = await buildApp({ config, database, closeDatabase: true, logger });

  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await app.close();
  });

  await app.listen({ port: config.PORT, host: config.HOST });
  app.log.info(
    {
      database: database.kind,
      dataDir: database.kind === 'pglite' ? config.DATA_DIR : undefined,
      startupMs: Math.round(performance.now() - started),
    },
    'ready',
  );
}

await main();

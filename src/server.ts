import { statSync } from 'node:fs';
import path from 'node:path';
import closeWithGrace from 'close-with-grace';
import { sql } from 'drizzle-orm';
import { BootstrapTokenRevoked } from './application/commands/api-clients.js';
import { systemContext } from './application/context.js';
import { type Config, ConfigError, DEFAULT_NOTIFICATIONS_SOURCE, firstStartHints, loadConfig } from './config.js';
import { firstStartLines, newAdminLines } from './first-start.js';
import { serveMetrics } from './http/metrics-server.js';
import { GENERATED_KEY_FILE, resolveSigningKey, SigningKeyError } from './infrastructure/audit/signing-key.js';
import { connectionRole, type Database, databaseKind, openDatabase, prepareDatabase } from './infrastructure/db/client.js';
import { innermostReason, isDatabaseUnavailable, migrationFailure } from './infrastructure/db/errors.js';
import { withTenant } from './infrastructure/db/tenant.js';
import { hostOf, isLoopback } from './lib/networks.js';
import { createLogger } from './logger.js';
import { startTracing } from './telemetry.js';

/** Migrations that could not be applied at start (the message says why and how to fix it). */
class MigrationFailed extends Error {}

/**
 * A connection's address for a log line: user, host, port and database, nothing else. Not the password,
 * and not the query either, where the driver also takes one (`?password=`, `?sslpassword=`).
 */
const shownUrl = (url: string): string => {
  try {
    const u = new URL(url);
    u.password = '';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return '(not a URL)';
  }
};

/**
 * Why the database could not be opened, and where it was looked for, in one line: the driver's own
 * reason (a refused connection, a role or database that does not exist: names from the configuration,
 * never record content) and each connection the start used, so the operator sees which setting is wrong.
 */
function openingFailure(err: unknown, config: Config): string {
  const { message, code } = innermostReason(err);
  const where = config.DATABASE_URL
    ? [
        `DATABASE_URL ${shownUrl(config.DATABASE_URL)}`,
        ...(config.DATABASE_MIGRATION_URL ? [`migrations through DATABASE_MIGRATION_URL ${shownUrl(config.DATABASE_MIGRATION_URL)}`] : []),
      ].join('; ')
    : `the embedded database in DATA_DIR ${path.resolve(config.DATA_DIR)}`;
  return `${message}${code && /^[0-9A-Z]{5}$/.test(code) ? ` [${code}]` : ''} (${where})`;
}

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
  // What can be checked without the database is checked before it is opened and migrated: a bad
  // audit signing key stops the start with exit 78 and leaves the database as it was. (A revoked
  // REGISTRY_ADMIN_TOKEN is known only to the database: it is found after migrating, below.)
  let signing: ReturnType<typeof resolveSigningKey>;
  try {
    signing = resolveSigningKey(config, databaseKind(config), false);
  } catch (err) {
    if (!(err instanceof SigningKeyError)) throw err;
    process.stderr.write(`Invalid configuration:\n  ${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const logger = createLogger(config.LOG_LEVEL);
  const tracing = startTracing(config); // before the app: its spans need the provider
  const started = performance.now();
  // Start-up in parallel: the embedded database's WebAssembly is compiled off the main thread
  // while the app's modules (fastify, zod schemas, routes) load and the app is built.
  const opening = openDatabase(config, (err) => logger.warn({ err }, 'idle database connection failed')).then(async (d) => {
    try {
      await prepareDatabase(d, config.DATABASE_MIGRATION_URL);
    } catch (err) {
      // PostgreSQL connects lazily: a server out of reach, a refused login (28xxx) or a database that does not
      // exist (3D000) fails here first, and is no migration's fault. Anything else is said as what it is, with
      // the fix where there is one.
      const { code } = innermostReason(err);
      if (isDatabaseUnavailable(err) || code?.startsWith('28') || code === '3D000') throw err;
      throw new MigrationFailed(migrationFailure(err, config.DATABASE_MIGRATION_URL !== undefined), { cause: err });
    }
    return d;
  });
  opening.catch(() => {}); // handled below; do not crash as unhandled while the app module loads
  const { buildApp, servicesFor } = await import('./app.js');
  let database: Database;
  try {
    database = await opening;
  } catch (err) {
    if (err instanceof MigrationFailed) logger.fatal({ err: err.cause }, err.message);
    else logger.fatal({ err }, `cannot open the database: ${openingFailure(err, config)}`);
    process.exit(1);
  }
  if (database.kind === 'postgres' && (await connectionRole(database)).superuser) {
    logger.warn(
      'connected to PostgreSQL as a superuser: row-level security still binds (every transaction switches to registry_app), but run the service as a plain role with DATABASE_MIGRATION_URL for migrations (docs/operations.md)',
    );
  }
  if (database.kind === 'postgres') {
    // The service's own connection must see what was migrated: a DATABASE_MIGRATION_URL naming another
    // database would otherwise start a service, ready by its health check, whose every request fails.
    try {
      await withTenant(database.db, { kind: 'all' }, (tx) => tx.execute(sql`select 1 from audit_log limit 0`));
    } catch (err) {
      logger.fatal(
        { err },
        'the registry’s tables are not there on DATABASE_URL’s connection after migrating: DATABASE_MIGRATION_URL must name the same database as DATABASE_URL',
      );
      await database.close();
      process.exit(1);
    }
  }
  if (database.kind === 'pglite') {
    const mode = statSync(config.DATA_DIR).mode & 0o777;
    if (mode & 0o077) {
      logger.warn(
        { dataDir: config.DATA_DIR, mode: mode.toString(8) },
        'DATA_DIR is open to other accounts on this machine: whoever can read it reads every municipality’s records, and whoever can write it can alter the audit trail; make it the service’s alone (chmod 700, docs/operations.md)',
      );
    }
  }
  // The embedded database's own key, generated into DATA_DIR on its first start (now that the folder is ours).
  if (!signing.key && database.kind === 'pglite') signing = resolveSigningKey(config, database.kind, true);
  if (!signing.key) {
    logger.warn(
      'no AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE: audit checkpoints are off, so a rewritten or cut audit trail is found only against anchors kept by hand (docs/audit-trail.md)',
    );
  } else if (signing.source === 'generated') {
    logger.info({ keyId: signing.key.keyId }, `audit signing key generated in DATA_DIR (${GENERATED_KEY_FILE}): back it up with the data`);
  }
  const services = servicesFor(database, config, signing.key);
  // For a person trying it out: the embedded database only, never PostgreSQL (a real installation).
  const hints = database.kind === 'pglite' && firstStartHints(config);
  let firstAdmin: { id: string; token: string } | null = null;
  if (!config.REGISTRY_ADMIN_TOKEN && hints) {
    firstAdmin = await services.commands.apiClients.ensureFirstAdmin(
      systemContext('first start on the embedded database without REGISTRY_ADMIN_TOKEN'),
    );
    if (firstAdmin) {
      logger.info({ clientId: firstAdmin.id }, 'created the bootstrap admin; its token is printed once on stderr');
      process.stderr.write(newAdminLines(firstAdmin.token));
    }
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
  const app = await buildApp({ config, services, closeDatabase: true, logger, tracing: tracing !== null });
  if (tracing) app.addHook('onClose', () => tracing.shutdown()); // flushes the last spans
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | null = null;
  if (config.METRICS_PORT !== undefined) {
    try {
      metricsServer = await serveMetrics(services.metrics, config.METRICS_PORT, config.METRICS_HOST);
    } catch (err) {
      // Port taken, or a host this machine does not have: say which setting, and close the database.
      logger.fatal({ err }, `cannot listen for metrics on METRICS_HOST ${config.METRICS_HOST}, METRICS_PORT ${config.METRICS_PORT}`);
      await app.close();
      process.exit(1);
    }
    app.addHook('onClose', () => metricsServer?.close());
  }
  if (signing.key && config.AUDIT_CHECKPOINT_INTERVAL_S > 0) {
    // One run at a time: a tick while the last one still runs (a slow database) is skipped, and the
    // close waits for the one in hand before the database goes.
    let running: Promise<unknown> | null = null;
    const checkpoint = () => {
      running ??= services.commands.auditCheckpoints
        .signIfMoved(systemContext('periodic audit checkpoint'))
        .then(
          (c) => c && app.log.info({ seq: c.seq, keyId: c.keyId }, 'audit checkpoint signed'),
          (err) => app.log.warn({ err }, 'could not sign an audit checkpoint'),
        )
        .finally(() => {
          running = null;
        });
    };
    const timer = setInterval(checkpoint, config.AUDIT_CHECKPOINT_INTERVAL_S * 1000).unref();
    app.addHook('preClose', async () => {
      clearInterval(timer);
      await running;
    });
    checkpoint(); // one at start: the head as this process found it
  }
  // Every process that writes stamps its events with this source, whether it delivers them or not.
  if (database.kind === 'postgres' && config.NOTIFICATIONS_SOURCE === DEFAULT_NOTIFICATIONS_SOURCE) {
    logger.warn(
      `NOTIFICATIONS_SOURCE is left at ${DEFAULT_NOTIFICATIONS_SOURCE}: set it to your organisation’s URN with its OIN (the NL GOV profile for CloudEvents asks it of source), so that a receiver fed by more than one registry can tell their events apart (docs/notifications.md)`,
    );
  }
  // Events keep the dataref they were written with: a loopback base sends every receiver to its own host, for good.
  if (database.kind === 'postgres' && isLoopback(hostOf(new URL(config.PUBLIC_BASE_URL)))) {
    logger.warn(
      `PUBLIC_BASE_URL is ${config.PUBLIC_BASE_URL}, a loopback address: every event's dataref (kept with the event, redeliveries too) and the OpenAPI document's server point there. Set it to the API's public URL, ending in /v1 (docs/notifications.md#configuration)`,
    );
  }
  // Unset, callbacks may reach every private network: fine for one municipality's own hosting, not for central hosting.
  if (database.kind === 'postgres' && config.NOTIFICATIONS_PRIVATE_NETWORKS === undefined) {
    logger.warn(
      'NOTIFICATIONS_PRIVATE_NETWORKS is not set, so webhook callbacks may reach any private-network address, and anyone with a token may subscribe one: set the ranges of the municipalities’ case systems, or none (docs/notifications.md#safe-outbound-calls)',
    );
  }
  // Webhooks: this process delivers the outbox too (several instances share the work safely).
  const dispatcher =
    config.NOTIFICATIONS_DISPATCH === 'on' ? services.notifications.dispatcher(logger.child({ component: 'notifications' })) : null;
  if (dispatcher) {
    // A setting narrowed since these subscriptions were made: say so now, not only in their failed deliveries.
    const refused = await services.notifications.refusedCallbacks();
    if (refused.length > 0) {
      logger.warn(
        { count: refused.length, subscriptions: refused.slice(0, 100) },
        'active subscriptions whose callbackUrl NOTIFICATIONS_HTTP_HOSTS or NOTIFICATIONS_PRIVATE_NETWORKS now refuses: their deliveries fail until the subscription or the setting changes (docs/notifications.md)',
      );
    }
  }

  // Its own messages (the grace running out, a second signal) as JSON log lines too, not console text.
  const graceLog = {
    error: (m: unknown) => (m instanceof Error ? logger.error({ err: m }, 'error while shutting down') : logger.error(String(m))),
  };
  const onTimeout = (ms: number) => logger.error(`SHUTDOWN_GRACE_MS (${ms} ms) ran out before in-flight work finished: exiting`);
  closeWithGrace({ delay: config.SHUTDOWN_GRACE_MS, logger: graceLog, onTimeout }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error');
    else app.log.info({ signal }, 'shutting down');
    await dispatcher?.stop();
    if (config.IMPORT_WORKER === 'on') await services.imports.worker.stop(); // gives its import up after the batch in hand
    await app.close();
  });

  let url: string;
  try {
    url = await app.listen({ port: config.PORT, host: config.HOST });
  } catch (err) {
    // Port taken, or a host this machine does not have: say which setting, as for the metrics listener.
    logger.fatal({ err }, `cannot listen on HOST ${config.HOST}, PORT ${config.PORT}`);
    await app.close();
    process.exit(1);
  }
  dispatcher?.start();
  if (config.IMPORT_WORKER === 'on') services.imports.worker.start(logger.child({ component: 'imports' }));
  app.log.info(
    {
      url, // the bound address: with PORT=0 the only place the chosen port shows
      database: database.kind,
      dataDir: database.kind === 'pglite' ? config.DATA_DIR : undefined,
      startupMs: Math.round(performance.now() - started),
      metrics: metricsServer?.url,
      tracing: config.OTEL_TRACES_EXPORTER,
    },
    'ready',
  );
  if (hints) {
    process.stderr.write(
      firstStartLines({
        url,
        dataDir: config.DATA_DIR,
        adminCreated: firstAdmin !== null,
        tokenConfigured: Boolean(config.REGISTRY_ADMIN_TOKEN),
      }),
    );
  }
}

await main();

import { availableParallelism } from 'node:os';
import Fastify, { type FastifyServerOptions, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { createTokenIdentities } from './application/identity.js';
import { createServices, type Services } from './application/services.js';
import { type Config, trustedIssuers } from './config.js';
import { clientErrorHandler, refuseWhatNodeWould } from './http/client-errors.js';
import auth from './http/plugins/auth.js';
import closing from './http/plugins/closing.js';
import contentNegotiation from './http/plugins/content-negotiation.js';
import httpHygiene, { frameworkErrors } from './http/plugins/http-hygiene.js';
import idempotency from './http/plugins/idempotency.js';
import metrics from './http/plugins/metrics.js';
import openapi from './http/plugins/openapi.js';
import preconditions from './http/plugins/preconditions.js';
import problems from './http/plugins/problems.js';
import rateLimit from './http/plugins/rate-limit.js';
import readLog from './http/plugins/read-log.js';
import strictQuery from './http/plugins/strict-query.js';
import tracing from './http/plugins/tracing.js';
import { requestIdFor } from './http/request-id.js';
import apiClientRoutes from './http/routes/api-clients.js';
import auditTrailRoutes from './http/routes/audit-trail.js';
import dashboardRoutes from './http/routes/dashboard.js';
import enforcementActionRoutes from './http/routes/enforcement-actions.js';
import establishmentRoutes from './http/routes/establishments.js';
import healthRoutes from './http/routes/health.js';
import licenceRoutes from './http/routes/licences.js';
import municipalityRoutes from './http/routes/municipalities.js';
import openapiDocumentRoute from './http/routes/openapi-document.js';
import reportingAttestationRoutes from './http/routes/reporting-attestations.js';
import statisticsRoutes from './http/routes/statistics.js';
import statisticsMetadataRoutes from './http/routes/statistics-metadata.js';
import statisticsReleaseRoutes from './http/routes/statistics-releases.js';
import subscriptionRoutes from './http/routes/subscriptions.js';
import transferRoutes from './http/routes/transfer.js';
import type { SigningKey } from './infrastructure/audit/checkpoints.js';
import { MemoryFailureCounter } from './infrastructure/auth-failures.js';
import type { Database } from './infrastructure/db/client.js';
import { createOidcVerifier } from './infrastructure/oidc.js';
import { postgresRateLimitStore } from './infrastructure/rate-limit-store.js';
import { notificationsFor } from './notifications-config.js';

/** What the HTTP app reads of the configuration: as loadConfig gives it, defaults applied (config.ts is their one home). */
export type AppConfig = Pick<
  Config,
  | 'PUBLIC_BASE_URL'
  | 'BODY_LIMIT_BYTES'
  | 'REQUEST_TIMEOUT_MS'
  | 'IDEMPOTENCY_TTL_HOURS'
  | 'RATE_LIMIT_PER_MINUTE'
  | 'READ_YOUR_WRITES_MS'
  | 'AUTH_FAILURES_PER_MINUTE'
  | 'AUTH_FAILURE_DELAY_MS'
  | 'RATE_LIMIT_STORE'
  | 'OIDC_ISSUER'
  | 'OIDC_AUDIENCE'
  | 'OIDC_ROLE_CLAIM'
  | 'OIDC_MUNICIPALITY_CLAIM'
  | 'OIDC_ISSUERS'
  | 'OIDC_CLOCK_TOLERANCE_S'
  | 'OIDC_MAX_TOKEN_AGE_S'
  | 'IMPORT_BODY_LIMIT_BYTES'
>;

export interface BuildAppOptions {
  config: AppConfig;
  /** The application (src/application/services.ts) on an opened, migrated database. */
  services: Services;
  /** Close the database when the app closes (the server does; tests that share one do not). */
  closeDatabase?: boolean;
  logger?: FastifyServerOptions['loggerInstance'];
  /** OpenTelemetry request spans and traceparent (src/telemetry.ts registers the provider). */
  tracing?: boolean;
}

/**
 * Builds the HTTP application: plugins first (errors, headers, auth and the request context,
 * idempotency, docs), then the routes under /v1, each handed the services it calls. It does not
 * listen; server.ts does, and tests use `app.inject`.
 */
export async function buildApp(opts: BuildAppOptions) {
  const { config, services } = opts;
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: requestIdFor,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    frameworkErrors, // a path the router cannot read (bad escape, over-long parameter): a 400 problem
    clientErrorHandler, // what Node's parser refuses (bad header byte, 431): problem+json, logged without the raw bytes
    // A request that has not arrived whole in time (a body that stalls, a slow sender): 408, connection closed
    // (client-errors.ts). Node looks at its connections every connectionsCheckingInterval.
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    http: {
      requireHostHeader: false, // a request without Host: refused as problem+json by plugins/http-hygiene.ts, not Node's empty 400
      headersTimeout: Math.min(60_000, config.REQUEST_TIMEOUT_MS),
      connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(config.REQUEST_TIMEOUT_MS / 4))),
    },
    ajv: undefined,
    // zod validates and serialises every route: without these factories fastify would load (and
    // compile the meta-schemas of) ajv and fast-json-stringify at start-up, for nothing.
    schemaController: {
      compilersFactory: { buildValidator: (() => validatorCompiler) as never, buildSerializer: (() => serializerCompiler) as never },
    },
    // one log line per request (onResponse below) instead of fastify's two: half the hot-path logging
    logController: new LogController({ disableRequestLogging: true }),
    // A request arriving while the app closes is answered by plugins/closing.ts (problem+json, Retry-After), not fastify's plain 503.
    return503OnClosing: false,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  refuseWhatNodeWould(app); // Expect other than 100-continue, CONNECT, no Host: problem+json, not Node's empty answers
  await app.register(closing); // while closing: 503 shutting-down for new requests, Connection: close on every answer
  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    // The path and the names of the query keys, never their values (search terms: `?name=`).
    const [path, query] = request.url.split('?', 2);
    const queryKeys = query
      ? [...new Set([...new URLSearchParams(query).keys()])].slice(0, 20).map((k) => (/^[A-Za-z][A-Za-z0-9]{0,39}$/.test(k) ? k : '?'))
      : undefined;
    // Orchestrators probe health every few seconds: at info those lines would drown the rest.
    const level = path?.startsWith('/health/') ? 'debug' : 'info';
    request.log[level](
      {
        req: { method: request.method, url: path, route: request.routeOptions.url, ...(queryKeys ? { queryKeys } : {}) },
        res: { statusCode: reply.statusCode },
        responseTime: reply.elapsedTime,
      },
      'request completed',
    );
  });
  // A closing service stops the open-data computation in progress (a worker thread, minutes at national
  // scale) at once: its waiting requests get a 503 shutting-down rather than holding the shutdown up.
  app.addHook('preClose', async () => services.statistics.openData.stop());
  if (opts.closeDatabase) app.addHook('onClose', async () => services.database.close());

  if (opts.tracing) await app.register(tracing); // first: every later hook runs inside the request's span
  await app.register(metrics, { metrics: services.metrics });
  await app.register(problems);
  await app.register(strictQuery);
  await app.register(contentNegotiation); // 406 when Accept admits nothing the operation answers, before any 400
  await app.register(preconditions); // 415 for the wrong PATCH type, 428/412, a body where none is taken: before any other 400
  await app.register(httpHygiene);
  const issuers = trustedIssuers(config);
  await app.register(auth, {
    authenticate: services.queries.apiClients.authenticate,
    readYourWritesMs: config.READ_YOUR_WRITES_MS,
    identify:
      issuers.length > 0
        ? createTokenIdentities(
            createOidcVerifier({
              issuers,
              clockToleranceSeconds: config.OIDC_CLOCK_TOLERANCE_S,
              maxTokenAgeSeconds: config.OIDC_MAX_TOKEN_AGE_S,
            }),
            services.queries.municipalities.registered,
          )
        : undefined,
    refusalDelayMs: config.AUTH_FAILURE_DELAY_MS,
    ...(config.AUTH_FAILURES_PER_MINUTE ? { failures: new MemoryFailureCounter(config.AUTH_FAILURES_PER_MINUTE) } : {}),
  });
  const sharedCounts =
    config.RATE_LIMIT_STORE === 'postgres' || (config.RATE_LIMIT_STORE === 'auto' && services.database.kind === 'postgres');
  await app.register(rateLimit, {
    perMinute: config.RATE_LIMIT_PER_MINUTE,
    store: sharedCounts
      ? postgresRateLimitStore(
          () => services.database.db,
          (err) => app.log.warn({ err }, 'old rate-limit counters could not be swept; the next sweep tries again'),
        )
      : undefined,
  });
  await app.register(readLog);
  await app.register(idempotency, { ttlHours: config.IDEMPOTENCY_TTL_HOURS, ...services.idempotency });
  await app.register(openapi, { publicBaseUrl: config.PUBLIC_BASE_URL });

  await app.register(healthRoutes, { services });
  await app.register(dashboardRoutes);
  await app.register(
    async (v1) => {
      await v1.register(openapiDocumentRoute);
      await v1.register(municipalityRoutes, { services });
      await v1.register(establishmentRoutes, { services });
      await v1.register(licenceRoutes, { services });
      await v1.register(enforcementActionRoutes, { services });
      await v1.register(apiClientRoutes, { services });
      await v1.register(auditTrailRoutes, { services });
      await v1.register(statisticsRoutes, { services });
      await v1.register(statisticsMetadataRoutes, { services });
      await v1.register(subscriptionRoutes, { services });
      await v1.register(reportingAttestationRoutes, { services });
      await v1.register(statisticsReleaseRoutes, { services });
      await v1.register(transferRoutes, { services, importLimitBytes: config.IMPORT_BODY_LIMIT_BYTES });
    },
    { prefix: '/v1' },
  );
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

/** The services a configuration asks for, on an opened, migrated database. */
export const servicesFor = (database: Database, config: Config, auditSigningKey: SigningKey | null = null, clock?: () => Date) =>
  createServices(database, {
    auditSigningKey,
    ...(clock ? { clock } : {}),
    authCacheTtlMs: config.AUTH_CACHE_TTL_MS,
    unknownTokenTtlMs: config.AUTH_UNKNOWN_TOKEN_TTL_MS,
    suppressionThreshold: config.STATISTICS_SUPPRESSION_THRESHOLD,
    writeConcurrency: config.DATABASE_WRITE_CONCURRENCY ?? 2 * availableParallelism(),
    // On PostgreSQL a write waits for its turn as long as for a connection (then 503); the embedded database has no pool to time out on.
    ...(database.kind === 'postgres' ? { writeAdmissionWaitMs: config.DATABASE_CONNECT_TIMEOUT_MS } : {}),
    ...notificationsFor(config), // the outbox hook and the webhook dispatcher's settings
    imports: { batchSize: config.IMPORT_BATCH_SIZE, leaseMs: config.IMPORT_LEASE_MS },
  });

/** The usual way to an app: its services from the configuration, on this database (the server, scripts, tests). */
export async function buildAppFor(
  database: Database,
  config: Config,
  opts: Omit<BuildAppOptions, 'config' | 'services'> & { auditSigningKey?: SigningKey | null; clock?: () => Date } = {},
) {
  const { auditSigningKey = null, clock, ...appOpts } = opts;
  const services = servicesFor(database, config, auditSigningKey, clock);
  return { app: await buildApp({ ...appOpts, config, services }), services };
}

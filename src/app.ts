import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyServerOptions, LogController } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Database } from './db/client.js';
import auth from './plugins/auth.js';
import database from './plugins/database.js';
import httpHygiene, { frameworkErrors } from './plugins/http-hygiene.js';
import idempotency from './plugins/idempotency.js';
import openapi from './plugins/openapi.js';
import problems from './plugins/problems.js';
import rateLimit from './plugins/rate-limit.js';
import readLog from './plugins/read-log.js';
import readRouting from './plugins/read-routing.js';
import repositories from './plugins/repositories.js';
import statistics from './plugins/statistics.js';
import apiClientRoutes from './routes/api-clients.js';
import auditTrailRoutes from './routes/audit-trail.js';
import enforcementActionRoutes from './routes/enforcement-actions.js';
import establishmentRoutes from './routes/establishments.js';
import healthRoutes from './routes/health.js';
import licenceRoutes from './routes/licences.js';
import municipalityRoutes from './routes/municipalities.js';
import openapiDocumentRoute from './routes/openapi-document.js';
import statisticsRoutes from './routes/statistics.js';

export type AppConfig = Pick<Config, 'PUBLIC_BASE_URL' | 'BODY_LIMIT_BYTES' | 'IDEMPOTENCY_TTL_HOURS'> &
  Partial<Pick<Config, 'RATE_LIMIT_PER_MINUTE' | 'READ_YOUR_WRITES_MS' | 'STATISTICS_SUPPRESSION_THRESHOLD'>>;

export interface BuildAppOptions {
  config: AppConfig;
  /** The opened, migrated database. Absent only when generating the OpenAPI document. */
  database?: Database;
  /** Close the database when the app closes (the server does; tests that share one do not). */
  closeDatabase?: boolean;
  logger?: FastifyServerOptions['loggerInstance'];
}

/**
 * Builds the application: plugins first (errors, headers, data, auth, docs), then the routes
 * under /v1. It does not listen; server.ts does, and tests use `app.inject`.
 */
export async function buildApp(opts: BuildAppOptions) {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    bodyLimit: opts.config.BODY_LIMIT_BYTES,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
    },
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 200 },
    frameworkErrors, // a path the router cannot read (bad escape, over-long parameter): a 400 problem
    ajv: undefined,
    // one log line per request (onResponse below) instead of fastify's two: half the hot-path logging
    logController: new LogController({ disableRequestLogging: true }),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('X-Request-Id', request.id);
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { req: { method: request.method, url: request.url }, res: { statusCode: reply.statusCode }, responseTime: reply.elapsedTime },
      'request completed',
    );
  });

  await app.register(problems);
  await app.register(httpHygiene);
  if (opts.database) {
    await app.register(database, { database: opts.database, closeWithApp: opts.closeDatabase ?? false });
    await app.register(repositories);
    await app.register(statistics, { suppressionThreshold: opts.config.STATISTICS_SUPPRESSION_THRESHOLD ?? 5 });
  }
  await app.register(auth);
  await app.register(rateLimit, { perMinute: opts.config.RATE_LIMIT_PER_MINUTE ?? 0 });
  await app.register(readLog);
  await app.register(readRouting, { windowMs: opts.config.READ_YOUR_WRITES_MS ?? 5000 });
  await app.register(idempotency, { ttlHours: opts.config.IDEMPOTENCY_TTL_HOURS });
  await app.register(openapi, { publicBaseUrl: opts.config.PUBLIC_BASE_URL });

  await app.register(healthRoutes);
  await app.register(
    async (v1) => {
      await v1.register(openapiDocumentRoute);
      await v1.register(municipalityRoutes);
      await v1.register(establishmentRoutes);
      await v1.register(licenceRoutes);
      await v1.register(enforcementActionRoutes);
      await v1.register(apiClientRoutes);
      await v1.register(auditTrailRoutes);
      await v1.register(statisticsRoutes);
    },
    { prefix: '/v1' },
  );
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

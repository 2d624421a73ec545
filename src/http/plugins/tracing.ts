import { FastifyOtelInstrumentation } from '@fastify/otel';
import { propagation } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * OpenTelemetry for requests (registered only when tracing is on: src/telemetry.ts). @fastify/otel
 * opens a span per request, continuing the caller's trace from a W3C `traceparent` header, with a
 * child span for the route handler; the database spans (src/infrastructure/db/tracing.ts) hang
 * below. Every response carries `traceparent` (its request span), and the request's log lines carry
 * `traceId` and `spanId`. Health probes are not traced. No span carries a query string or a value.
 */
export default fp(
  async function tracing(app: FastifyInstance) {
    const instrumentation = new FastifyOtelInstrumentation({
      instrumentHooks: false, // one span per request and one for its handler, not one per hook
      recordExceptions: false, // an exception event holds the error's message, which may quote values (telemetry.ts)
      ignorePaths: ({ url }) => url.startsWith('/health/'),
      requestHook: (span, request) => {
        span.updateName(`${request.method} ${request.routeOptions.url ?? 'unmatched'}`);
        // @fastify/otel records the URL with its query, where a search term (?name=…) may stand: the
        // path only, as the logs keep it (src/logger.ts).
        span.setAttribute('url.path', request.url.split('?')[0] ?? '');
      },
    });
    await app.register(instrumentation.plugin());
    app.addHook('onRequest', async (request) => {
      const { span } = request.opentelemetry();
      if (!span?.isRecording()) return;
      const { traceId, spanId } = span.spanContext();
      request.log = request.log.child({ traceId, spanId });
    });
    app.addHook('onSend', async (request, reply) => {
      const otel = request.opentelemetry();
      if (!otel.span) return;
      const carrier: Record<string, string> = {};
      propagation.inject(otel.context, carrier);
      if (carrier.traceparent) reply.header('traceparent', carrier.traceparent);
    });
  },
  { name: 'tracing' },
);

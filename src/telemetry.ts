import type { Context, SpanStatus } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  type Span,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';
import type { Config } from './config.js';

/**
 * OpenTelemetry tracing, off by default. OTEL_TRACES_EXPORTER=otlp sends spans over OTLP/HTTP to
 * the collector the standard variables name (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, OTEL_EXPORTER_OTLP_HEADERS, …); `console` prints them.
 * OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the service, OTEL_TRACES_SAMPLER(_ARG) sample,
 * OTEL_PROPAGATORS picks the propagators (W3C traceparent and baggage by default), OTEL_BSP_* tune
 * the batch: all read by the SDK itself. OTEL_SDK_DISABLED=true turns it off whatever else is set.
 */
export function startTracing(config: Pick<Config, 'OTEL_TRACES_EXPORTER'>, env: NodeJS.ProcessEnv = process.env) {
  if (config.OTEL_TRACES_EXPORTER === 'none' || env.OTEL_SDK_DISABLED === 'true') return null;
  const exporter: SpanExporter = config.OTEL_TRACES_EXPORTER === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter();
  return registerTracing(new BatchSpanProcessor(exporter));
}

/**
 * Spans leave the process without their status message: a message is an error's, and an error the
 * service did not expect (a database error above all: drizzle's "Failed query: … params: …") quotes
 * the values sent. The status code stays; a database span names the SQLSTATE in an attribute
 * (src/infrastructure/db/tracing.ts), and the log has the error with its values blanked.
 */
class WithoutStatusMessages implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(span: Span, context: Context) {
    this.inner.onStart(span, context);
  }
  onEnd(span: ReadableSpan) {
    // The span has ended: nothing else writes its status now.
    if (span.status.message !== undefined) (span as { status: SpanStatus }).status = { code: span.status.code };
    this.inner.onEnd(span);
  }
  forceFlush() {
    return this.inner.forceFlush();
  }
  shutdown() {
    return this.inner.shutdown();
  }
}

/** Registers a global tracer provider with this span processor (the server's exporter, or a test's in-memory one). */
export function registerTracing(processor: SpanProcessor) {
  const resource = resourceFromAttributes({ 'service.name': 'enforcement-registry' }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new WithoutStatusMessages(processor)] });
  provider.register(); // AsyncLocalStorage context manager, W3C propagators (or OTEL_PROPAGATORS)
  return provider;
}

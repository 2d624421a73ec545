import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';

const tracer = trace.getTracer('enforcement-registry/db');

/** The statement's first keyword (SELECT, INSERT, BEGIN, …): the span's name, by OpenTelemetry's conventions for databases. */
const operationOf = (text: string) => /^\s*([A-Za-z]+)/.exec(text)?.[1]?.toUpperCase() ?? 'QUERY';

/**
 * A failed call's span: status ERROR, and what kind of error in attributes (`error.type`, and the
 * SQLSTATE as `db.response.status_code`), never its message, which may quote a value
 * (`invalid input syntax for type integer: "…"`). The log has the message, with values blanked.
 */
const failed = (span: Span, err: unknown) => {
  const code = (err as { code?: unknown } | null)?.code;
  span.setStatus({ code: SpanStatusCode.ERROR });
  if (typeof code === 'string') span.setAttributes({ 'error.type': code, 'db.response.status_code': code });
  else span.setAttribute('error.type', err instanceof Error ? err.name : typeof err);
};

/**
 * Runs one database call in a client span, when it happens inside a traced request: a call outside
 * any trace (start-up, background work) and every call while tracing is off costs a context look-up
 * only. PGlite is PostgreSQL too, so both report `postgresql`. The span carries the statement text (parameters are sent apart and never recorded).
 */
export function traceQuery<T>(system: 'postgresql', text: string, run: () => T): T {
  if (!trace.getSpan(context.active())) return run();
  const span = tracer.startSpan(operationOf(text), {
    kind: SpanKind.CLIENT,
    attributes: { 'db.system.name': system, 'db.system': system, 'db.query.text': text, 'db.operation.name': operationOf(text) },
  });
  const end = (err?: unknown) => {
    if (err) failed(span, err);
    span.end();
  };
  try {
    const result = context.with(trace.setSpan(context.active(), span), run);
    if (result && typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as Promise<unknown>).then(
        (v) => {
          end();
          return v;
        },
        (err) => {
          end(err);
          throw err;
        },
      ) as T;
    }
    end();
    return result;
  } catch (err) {
    end(err);
    throw err;
  }
}

/** Wraps a node-style callback so the span ends when it is called (pg's pool calls client.query with one). */
export function traceCallbackQuery(text: string, args: unknown[], run: (args: unknown[]) => unknown): unknown {
  const last = args.at(-1);
  if (typeof last !== 'function' || !trace.getSpan(context.active())) return traceQuery('postgresql', text, () => run(args));
  return traceQuery(
    'postgresql',
    text,
    () =>
      new Promise<void>((resolve) => {
        run([
          ...args.slice(0, -1),
          (...cbArgs: unknown[]) => {
            resolve();
            (last as (...a: unknown[]) => unknown)(...cbArgs);
          },
        ]);
      }),
  );
}

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { ensureBuilt, owned, serverDatabase, startServer } from '../support/server.js';

/**
 * Tracing as an operator turns it on (docs/operations.md "Tracing"): OTEL_TRACES_EXPORTER=otlp and the
 * standard endpoint variable, spans sent over OTLP/HTTP by the real SDK set-up (src/telemetry.ts) to a
 * collector listening on loopback. The batch waits a minute here, so the spans arrive only because a
 * SIGTERM flushes them (server.ts closes the provider on close).
 */
t.setTimeout(120_000); // a spawned server on a copied database
ensureBuilt();

const ADMIN_TOKEN = 'tracing-export-admin-token-0123456789abcdef';

t.test('otlp: the spans of a request reach the collector when the service stops, without the query string', async (t) => {
  const posts: { path: string; contentType: string; body: string }[] = [];
  const collector = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      posts.push({ path: req.url ?? '', contentType: String(req.headers['content-type']), body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => collector.close(() => resolve())));
  const { port } = collector.address() as AddressInfo;

  const server = owned(
    t,
    startServer({
      PORT: '0',
      LOG_LEVEL: 'info',
      REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${port}/v1/traces`,
      OTEL_BSP_SCHEDULE_DELAY: '60000',
      ...(await serverDatabase(t, 'tracing-export')),
    }),
  );
  const base = await server.ready;
  const res = await fetch(`${base}/v1/establishments?name=Club%20Rood`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  t.equal(res.status, 200);
  const traceparent = res.headers.get('traceparent') ?? '';
  t.match(traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/, 'the response names its trace');
  t.same(posts, [], 'nothing sent yet: the batch waits');

  server.proc.kill('SIGTERM');
  t.equal(await server.exited, 0, 'stops cleanly');
  const traces = posts.filter((p) => p.path === '/v1/traces');
  t.ok(traces.length > 0, `the last spans were flushed on the way out (${posts.length} POSTs)`);
  const sent = traces.map((p) => p.body).join('\n');
  t.match(traces[0]?.contentType, /^application\/(json|x-protobuf)/, 'as OTLP/HTTP');
  t.ok(sent.includes('GET /v1/establishments'), 'the request span, named by its route');
  t.ok(sent.includes('enforcement-registry'), 'from the service it names');
  t.ok(sent.includes(traceparent.split('-')[1] ?? 'no trace id'), 'of the trace the response named');
  t.notOk(sent.includes('Club'), 'without the search term');
});

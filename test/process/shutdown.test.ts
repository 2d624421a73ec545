import http from 'node:http';
import t, { type Test } from 'tap';
import {
  ensureBuilt,
  halfSentRequest,
  owned,
  parseAnswer,
  type ServerProcess,
  serverDatabase,
  sleep,
  slowPost,
  startServer,
  untilRefused,
} from '../support/server.js';
import { webhookReceiver } from '../support/webhook-receiver.js';

/**
 * Graceful shutdown of the real process (`node dist/server.js`, on the embedded database or, in the
 * PostgreSQL run, on a scratch PostgreSQL database): SIGTERM finishes what is in flight, closes the
 * HTTP server and the database and exits 0 within SHUTDOWN_GRACE_MS, whatever the clients and the
 * webhook receivers do.
 */
t.setTimeout(240_000);
ensureBuilt();

const ADMIN_TOKEN = 'shutdown-delivery-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };

const baseEnv = {
  PORT: '0',
  LOG_LEVEL: 'info',
  ...(await serverDatabase(t, 'shutdown')),
  REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN,
  SHUTDOWN_GRACE_MS: '4000',
};

async function post(url: string, body: unknown, headers: Record<string, string> = admin) {
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`${url}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/**
 * SIGTERM while a POST is in flight: the POST is answered 201, and the process exits 0 within the
 * grace (SHUTDOWN_GRACE_MS) without the grace running out.
 */
async function sigtermDuringPost(t: Test, server: ServerProcess, url: string, body: object, agent?: http.Agent) {
  const slow = slowPost(url, JSON.stringify(body), admin, agent);
  await sleep(200);
  const signalled = Date.now();
  server.proc.kill('SIGTERM');
  await sleep(300);
  slow.finish();
  const res = await slow.response;
  t.equal(res.status, 201, `the in-flight request completed: ${res.body}`);
  t.equal(await server.exited, 0, `exited 0:\n${server.output().slice(-2000)}`);
  t.ok(Date.now() - signalled < 4000, 'within SHUTDOWN_GRACE_MS');
  t.notMatch(server.output(), /ran out before in-flight work finished|killed by timeout/);
}

t.test(
  'SIGTERM with a request in flight on a keep-alive connection: answered, then the connection closes and the process exits 0',
  async (t) => {
    const server = owned(t, startServer(baseEnv));
    const base = await server.ready;
    // A client that keeps idle connections open (a load balancer, a pooled HTTP client): without
    // Connection: close on the answer, the server's close would wait for it until the grace ran out.
    const agent = new http.Agent({ keepAlive: true });
    t.teardown(() => agent.destroy());
    await sigtermDuringPost(t, server, `${base}/v1/municipalities`, { code: 'GM0996', name: 'Kept alive' }, agent);
  },
);

t.test('a request that arrives while the process closes: 503 problem+json with Retry-After and Connection: close', async (t) => {
  const server = owned(t, startServer(baseEnv));
  const base = await server.ready;
  // Its headers are on their way when SIGTERM comes (so the connection is not idle and stays open)
  // and complete only after the server stopped listening: the request arrives during the close.
  // One that needs the database and a token, one that needs neither (the contract declares this 503 for both).
  const late = ['/v1/municipalities', '/v1/openapi.json'].map((p) => ({ path: p, request: halfSentRequest(base, p) }));
  await fetch(`${base}/health/live`); // answered after the server read the half-sent headers
  server.proc.kill('SIGTERM');
  await untilRefused(base);
  for (const { request } of late) request.finish();
  for (const { path, request } of late) {
    const res = parseAnswer(await request.answer);
    t.equal(res.status, 503, `503 to the late request for ${path}: ${res.body}`);
    t.match(res.headers['content-type'], /^application\/problem\+json/, 'problem+json, not fastify’s own body');
    t.match(res.headers['retry-after'], /^[1-9][0-9]*$/, 'Retry-After: a client or load balancer retries elsewhere');
    t.ok(res.headers['api-version'] && res.headers['x-request-id'], 'API-Version and X-Request-Id, as the contract declares');
    t.equal(res.headers.connection, 'close', 'Connection: close');
    t.match(JSON.parse(res.body), { status: 503, code: 'shutting-down' });
  }
  t.equal(await server.exited, 0, `exited 0:\n${server.output().slice(-2000)}`);
});

t.test('SIGTERM with a scrape in flight on the metrics port: the process exits 0 well within the grace', async (t) => {
  const server = owned(t, startServer({ ...baseEnv, METRICS_PORT: '0', SHUTDOWN_GRACE_MS: '20000' }));
  await server.ready;
  const ready = server
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg?: string; metrics?: string })
    .find((l) => l.msg === 'ready');
  const metricsUrl = String(ready?.metrics);
  // A scraper's connection with a request on its way that never completes (and one kept alive after
  // an answered scrape): neither may hold the exit until SHUTDOWN_GRACE_MS runs out.
  const stuck = halfSentRequest(metricsUrl, '/metrics');
  t.teardown(() => stuck.destroy());
  const agent = new http.Agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const scraped = await new Promise<number>((resolve, reject) =>
    http.get(metricsUrl, { agent }, (res) => res.resume().on('end', () => resolve(res.statusCode ?? 0))).on('error', reject),
  ); // answered after the server read the half-sent headers
  t.equal(scraped, 200, 'a scrape on a keep-alive connection');
  const signalled = Date.now();
  server.proc.kill('SIGTERM');
  t.equal(await server.exited, 0, `exited 0:\n${server.output().slice(-2000)}`);
  const took = Date.now() - signalled;
  t.ok(took < 10_000, `exited ${took} ms after SIGTERM, well within SHUTDOWN_GRACE_MS (20 s)`);
});

t.test('SIGTERM with a webhook delivery in flight: exits 0 in time, and the delivery is sent by the next process', async (t) => {
  const receiver = await webhookReceiver();
  t.teardown(() => receiver.close());
  const env = {
    ...baseEnv,
    NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1',
    NOTIFICATIONS_POLL_MS: '50',
    // the receiver may take a minute to answer; the shutdown has 4 s
    NOTIFICATIONS_RESPONSE_TIMEOUT_MS: '60000',
  };
  const server = owned(t, startServer(env));
  const base = await server.ready;
  const officer = await post(`${base}/v1/api-clients`, { name: 'Amsterdam', role: 'officer', municipalityCode: 'GM0363' });
  const auth = { authorization: `Bearer ${officer.token}`, 'content-type': 'application/json' };
  const sub = await post(
    `${base}/v1/subscriptions`,
    { callbackUrl: receiver.url('ams'), eventTypes: ['nl.overheid.handhavingsregister.establishment.created'] },
    auth,
  );
  receiver.accept('ams', String(sub.secret));
  receiver.behaviour = 'hang';
  const est = await post(
    `${base}/v1/establishments`,
    {
      municipalityCode: 'GM0363',
      name: 'Club Rood',
      kind: 'club',
      address: { street: 'Oudezijds Achterburgwal', houseNumber: 12, postalCode: '1012DK', city: 'Amsterdam' },
    },
    auth,
  );
  await receiver.until(() => receiver.held.length === 1, 'the delivery is in flight');

  await sigtermDuringPost(t, server, `${base}/v1/municipalities`, { code: 'GM0997', name: 'Graceful' });

  receiver.behaviour = 'ok';
  const again = owned(t, startServer(env));
  await again.ready;
  const started = Date.now();
  await receiver.until(() => receiver.at('ams').some((r) => r.event.subject === est.id), 'the event arrives after the restart', 20_000);
  t.ok(Date.now() - started < 20_000, 'delivered by the next process, not lost');
  again.proc.kill('SIGTERM');
  t.equal(await again.exited, 0);
});

t.test('a request that outlives SHUTDOWN_GRACE_MS: exit 1, and the reason is a JSON log line too', async (t) => {
  const server = owned(t, startServer({ ...baseEnv, SHUTDOWN_GRACE_MS: '1000', REGISTRY_FIRST_START_HINTS: 'false' }));
  const base = await server.ready;
  const stuck = slowPost(`${base}/v1/municipalities`, JSON.stringify({ code: 'GM0995', name: 'Never sent' }), admin);
  stuck.response.catch(() => undefined); // the connection is cut when the process exits
  await sleep(200);
  server.proc.kill('SIGTERM');
  t.equal(await server.exited, 1, 'exit 1: the grace ran out');
  const lines = server
    .output()
    .split('\n')
    .filter((l) => l !== '');
  const notJson = lines.filter((l) => {
    try {
      JSON.parse(l);
      return false;
    } catch {
      return true;
    }
  });
  t.same(notJson, [], 'every line is JSON');
  t.ok(
    lines.some((l) => /"level":(50|60)/.test(l) && /SHUTDOWN_GRACE_MS/.test(l)),
    'an error line says the grace ran out, naming SHUTDOWN_GRACE_MS',
  );
});

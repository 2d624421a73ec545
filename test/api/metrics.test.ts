import { randomUUID } from 'node:crypto';
import { count, sql } from 'drizzle-orm';
import t from 'tap';
import { serveMetrics } from '../../src/http/metrics-server.js';
import { idempotencyKeys } from '../../src/infrastructure/db/schema-idempotency.js';
import { build, sample, usingPostgres } from '../support/helper.js';
import { halfSentRequest, parseAnswer } from '../support/server.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text exposition format (0.0.4): `# HELP`, `# TYPE`, then `name{label="v",…} value` lines. */
function parseExposition(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type?.[1] && type[2]) types.set(type[1], type[2]);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m?.[1] || m[3] === undefined) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) if (l[1]) labels[l[1]] = l[2] ?? '';
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { samples, types };
}

t.test('GET /metrics on its own port: requests per route and status, database, audit, idempotency, notifications, process', async (t) => {
  const { app, services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  // Two subscriptions, one of them disabled, before the writes: their events wait (no dispatcher runs here).
  const subscribe = async (callbackUrl: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: officer.auth,
      payload: { callbackUrl, eventTypes: ['nl.overheid.handhavingsregister.establishment.created'] },
    });
    t.equal(res.statusCode, 201, res.body);
    return JSON.parse(res.body) as { id: string; version: number };
  };
  await subscribe('https://case-system.example/hooks/a');
  const paused = await subscribe('https://case-system.example/hooks/b');
  const pause = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${paused.id}`,
    headers: { ...officer.auth, 'if-match': `"${paused.version}"` },
    payload: {
      callbackUrl: 'https://case-system.example/hooks/b',
      eventTypes: ['nl.overheid.handhavingsregister.establishment.created'],
      status: 'disabled',
    },
  });
  t.equal(pause.statusCode, 200, pause.body);
  for (let i = 0; i < 3; i++)
    t.equal((await app.inject({ method: 'GET', url: '/v1/municipalities', headers: officer.auth })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/v1/municipalities' })).statusCode, 401);
  const created = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: { ...officer.auth, 'idempotency-key': randomUUID() },
    payload: sample.establishment(),
  });
  t.equal(created.statusCode, 201);
  const id = (JSON.parse(created.body) as { id: string }).id;
  t.equal((await app.inject({ method: 'GET', url: `/v1/establishments/${id}`, headers: officer.auth })).statusCode, 200);
  t.equal((await app.inject({ method: 'GET', url: '/v1/no-such-thing', headers: officer.auth })).statusCode, 404);

  const listener = await serveMetrics(services.metrics, 0, '127.0.0.1');
  t.teardown(() => listener.close());
  const res = await fetch(listener.url);
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/, 'the Prometheus text format');
  const { samples, types } = parseExposition(await res.text());
  const one = (name: string, labels: Record<string, string> = {}) =>
    samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

  t.equal(types.get('http_requests_total'), 'counter');
  t.equal(one('http_requests_total', { method: 'GET', route: '/v1/municipalities', status_code: '200' })?.value, 3, 'per route and status');
  t.equal(one('http_requests_total', { method: 'GET', route: '/v1/municipalities', status_code: '401' })?.value, 1);
  t.equal(
    one('http_requests_total', { method: 'GET', route: '/v1/establishments/:id', status_code: '200' })?.value,
    1,
    'the route pattern, not the URL (bounded series)',
  );
  t.notOk(
    samples.some((s) => s.labels.route?.includes(id)),
    'no record id in any label',
  );
  t.equal(one('http_requests_total', { route: 'unmatched', status_code: '404' })?.value, 1, 'unmatched URLs share one series');
  t.equal(types.get('http_request_duration_seconds'), 'histogram');
  t.equal(one('http_request_duration_seconds_count', { route: '/v1/municipalities', status_code: '200' })?.value, 3, 'durations observed');
  t.ok(one('http_request_duration_seconds_bucket', { route: '/v1/municipalities', le: '+Inf' }), 'with buckets');

  const chain = Number(
    ((await database.owner.execute(sql`select coalesce(max(seq), 0)::int as n from audit_log`)) as unknown as { rows: { n: number }[] })
      .rows[0]?.n,
  );
  t.ok(chain >= 2, 'the test wrote audit entries');
  t.equal(one('registry_audit_chain_length')?.value, chain, 'audit chain length');
  const keys = (await database.owner.select({ n: count() }).from(idempotencyKeys))[0]?.n;
  t.equal(keys, 1);
  t.equal(one('registry_idempotency_keys')?.value, keys, 'idempotency keys stored');
  t.equal(one('registry_subscriptions', { status: 'active' })?.value, 1, 'subscriptions: active');
  t.equal(one('registry_subscriptions', { status: 'disabled' })?.value, 1, 'subscriptions: disabled (this one paused by its client)');
  t.equal(one('registry_subscriptions_given_up')?.value, 0, 'none given up: a pause is not an alert');
  await database.owner.execute(
    sql`update subscriptions set status = 'disabled', disabled_reason = 'deliveries failed for 259200 s; last error: HTTP 500' where id != ${paused.id}`,
  );
  const later = parseExposition(await (await fetch(listener.url)).text()).samples;
  t.equal(later.find((s) => s.name === 'registry_subscriptions_given_up')?.value, 1, 'one the dispatcher gave up: counted, to alert on');
  const readiness = JSON.parse((await app.inject({ url: '/health/ready' })).body) as {
    notifications: { backlog: number; oldestUndeliveredAgeSeconds: number | null };
  };
  t.ok(readiness.notifications.backlog >= 1, `the establishment's event waits (${readiness.notifications.backlog})`);
  t.equal(one('registry_notifications_backlog')?.value, readiness.notifications.backlog, 'the backlog, as readiness shows it');
  const age = one('registry_notifications_oldest_undelivered_age_seconds')?.value;
  t.not(readiness.notifications.oldestUndeliveredAgeSeconds, null, 'an event waits: it has an age');
  t.ok(
    age !== undefined && Math.abs(age - (readiness.notifications.oldestUndeliveredAgeSeconds ?? -99)) <= 1,
    `the oldest undelivered event’s age, as readiness shows it (${age} s)`,
  );
  t.notOk(one('registry_audit_last_checkpoint_timestamp_seconds'), 'no checkpoint time before the first checkpoint');
  services.metrics.auditCheckpointWritten(new Date(1_800_000_000_000));
  const again = parseExposition(await (await fetch(listener.url)).text());
  t.equal(
    again.samples.find((s) => s.name === 'registry_audit_last_checkpoint_timestamp_seconds')?.value,
    1_800_000_000,
    'the checkpoint code can set it',
  );

  if (usingPostgres) {
    for (const state of ['in_use', 'idle', 'waiting']) t.ok(one('registry_db_pool_connections', { state }), `pool: ${state}`);
    t.equal(one('registry_db_pool_connections', { state: 'waiting' })?.value, 0);
  }
  t.ok(one('process_cpu_user_seconds_total'), 'process metrics');
  t.ok(one('process_resident_memory_bytes') ?? one('nodejs_heap_size_used_bytes'), 'memory');
  t.ok(one('nodejs_eventloop_lag_seconds'), 'event loop lag');
  t.equal((await fetch(listener.url.replace('/metrics', '/other'))).status, 404, 'only /metrics');
  t.equal((await app.inject({ method: 'GET', url: '/metrics' })).statusCode, 404, 'not on the API port');
});

t.test('a scrape in flight when the metrics listener closes: answered, with Connection: close', async (t) => {
  const { services } = await build(t);
  // A grace long enough never to run out here: only the answer's Connection: close ends the connection.
  const listener = await serveMetrics(services.metrics, 0, '127.0.0.1', 120_000);
  t.teardown(() => listener.close());
  const scrape = halfSentRequest(listener.url, '/metrics');
  t.teardown(() => scrape.destroy());
  const barrier = await fetch(listener.url); // answered after the listener read the half-sent headers
  await barrier.text();
  const closed = listener.close();
  scrape.finish();
  const res = parseAnswer(await scrape.answer);
  t.equal(res.status, 200, 'the scrape is answered');
  t.equal(res.headers.connection, 'close', 'and its connection ends with it, not kept alive for the next scrape');
  await closed;
  t.pass('the listener closed');
});

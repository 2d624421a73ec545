import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import tls from 'node:tls';
import { type SQL, sql } from 'drizzle-orm';
import t from 'tap';
import { systemContext } from '../../src/application/context.js';
import type { DispatcherOptions } from '../../src/application/notifications/dispatcher.js';
import { retentionRules } from '../../src/domain/retention.js';
import { type Cidr, isPrivate, type PrivateNetworks, parseInternalCidr } from '../../src/lib/networks.js';
import { json, sample } from '../support/basics.js';
import { build } from '../support/helper.js';
import { openapiDocument, validatorFor } from '../support/openapi.js';
import { records } from '../support/records.js';
import { type Receiver, webhookReceiver } from '../support/webhook-receiver.js';

/**
 * The dispatcher delivering to real receivers on loopback, each request verified with the
 * `standardwebhooks` package. Timings are shortened through configuration (ms, not hours).
 */
const P = 'nl.overheid.handhavingsregister';
const RECORD_TYPES = ['establishment', 'licence', 'enforcement-action'].flatMap((k) =>
  ['created', 'changed', 'deleted'].map((c) => `${P}.${k}.${c}`),
);
RECORD_TYPES.push(`${P}.enforcement-action.licence-status-rederived`);

type Auth = { authorization: string };
const logLines: { obj: object; msg: string }[] = [];
const log = {
  info: (obj: object, msg: string) => logLines.push({ obj, msg }),
  warn: (obj: object, msg: string) => logLines.push({ obj, msg }),
  error: (obj: object, msg: string) => logLines.push({ obj, msg }),
};

const ctx = await build(t, {
  config: {
    NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1',
    PUBLIC_BASE_URL: 'https://registry.example/v1',
    NOTIFICATIONS_POLL_MS: '20',
    NOTIFICATIONS_BACKOFF_BASE_MS: '20',
    NOTIFICATIONS_GIVE_UP_AFTER_MS: '60000',
    // the receivers share this process with PGlite, whose queries can hold the event loop for a while
    NOTIFICATIONS_CONNECT_TIMEOUT_MS: '2000',
    NOTIFICATIONS_RESPONSE_TIMEOUT_MS: '2000',
  },
});
const { app, client, services } = ctx;
const make = records(app);
const amsterdam = await client('officer', 'GM0363');
const rotterdam = await client('officer', 'GM0599');
const admin = await client('admin');

/** Runs a dispatcher (with these overrides) for the duration of one subtest. */
function dispatching(t: { teardown(fn: () => unknown): void }, overrides: Partial<DispatcherOptions> = {}) {
  const d = services.notifications.dispatcher(log, overrides);
  d.start();
  t.teardown(() => d.stop());
  return d;
}

async function subscribe(auth: Auth, receiver: Receiver, name: string, over: Record<string, unknown> = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: auth,
    payload: { callbackUrl: receiver.url(name), eventTypes: RECORD_TYPES, ...over },
  });
  if (res.statusCode !== 201) throw new Error(res.body);
  const sub = json<{ id: string; secret: string; version: number }>(res);
  receiver.accept(name, sub.secret);
  return sub;
}

/** Polls until `check` holds (for state the receiver cannot see: the registry's own records). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
const deliveries = async (url: string) => json<{ items: unknown[] }>(await app.inject({ url, headers: amsterdam.auth })).items;

const receiver = await webhookReceiver();
t.teardown(() => receiver.close());

t.test('created, re-derived, changed, deleted: delivered in order, signed, to the right municipality only', async (t) => {
  dispatching(t);
  await subscribe(amsterdam.auth, receiver, 'ams');
  await subscribe(admin.auth, receiver, 'all', { eventTypes: [`${P}.establishment.created`] });
  await subscribe(admin.auth, receiver, 'figures', { eventTypes: [`${P}.statistics.changed`] });
  const est = await make.establishment(amsterdam.auth);
  const elsewhere = await make.establishment(rotterdam.auth, 'GM0599', {
    address: { ...sample.establishment().address, city: 'Rotterdam' },
  });
  const action = await make.action(amsterdam.auth, est.id, { grounds: ['unlicensed_operation'] });
  await make.licence(amsterdam.auth, est.id); // re-derives the action: licensed
  const put = await app.inject({
    method: 'PUT',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...amsterdam.auth, 'if-match': '"2"' },
    payload: sample.action(est.id, { stage: 'objection' }),
  });
  t.equal(put.statusCode, 200, put.body);
  const del = await app.inject({
    method: 'DELETE',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...amsterdam.auth, 'if-match': '"3"', 'x-audit-reason': 'recorded twice' },
  });
  t.equal(del.statusCode, 204);

  await receiver.until(() => receiver.at('ams').some((r) => r.event.type.endsWith('.deleted')), 'the deletion arrives');
  await receiver.until(() => receiver.at('all').length === 2, 'both establishments reach the admin');
  const ofAction = receiver.at('ams').filter((r) => r.event.subject === action.id);
  t.same(
    ofAction.map((r) => r.event.type.slice(P.length + 1)),
    [
      'enforcement-action.created',
      'enforcement-action.licence-status-rederived',
      'enforcement-action.changed',
      'enforcement-action.deleted',
    ],
    'in order for the subject',
  );
  const first = ofAction[0];
  t.equal(first?.contentType, 'application/cloudevents+json; charset=utf-8', 'CloudEvents structured mode');
  t.match(first?.event, {
    specversion: '1.0',
    source: 'urn:nld:enforcement-registry',
    type: `${P}.enforcement-action.created`,
    subject: action.id,
    dataref: `https://registry.example/v1/enforcement-actions/${action.id}`,
    datacontenttype: 'application/json',
    data: { id: action.id, establishmentId: est.id, municipalityCode: 'GM0363', change: 'created' },
  });
  t.equal(first?.headers['webhook-id'], first?.event.id, 'webhook-id is the event id (receivers de-duplicate by it)');
  // sequence (the CloudEvents Sequence extension): the event's place in the outbox, whichever subscription gets it
  const outbox = (
    (await ctx.database.owner.execute(sql`select id, seq from outbox_events`)) as unknown as {
      rows: { id: string; seq: number | string }[];
    }
  ).rows;
  const positionOf = new Map(outbox.map((r) => [r.id, Number(r.seq)]));
  const wrong = receiver.received.filter(
    (r) => !/^[0-9]{19}$/.test(r.event.sequence) || Number(r.event.sequence) !== positionOf.get(r.event.id),
  );
  t.same(wrong, [], 'every event delivered carries its outbox position as its sequence, in 19 digits');
  const sequences = ofAction.map((r) => r.event.sequence);
  t.same([...new Set(sequences)].sort(), sequences, "the action's events: each sequence higher than the one before");
  const toBoth = receiver.at('all').find((r) => receiver.at('ams').some((a) => a.event.id === r.event.id));
  t.equal(
    toBoth?.event.sequence,
    receiver.at('ams').find((a) => a.event.id === toBoth?.event.id)?.event.sequence,
    'one event has one sequence, whichever subscription receives it',
  );
  t.notOk(
    receiver.at('ams').some((r) => r.event.data.municipalityCode !== 'GM0363' || r.event.subject === elsewhere.id),
    "Amsterdam's subscription never receives a Rotterdam event",
  );
  t.same(
    receiver
      .at('all')
      .map((r) => r.event.data.municipalityCode)
      .sort(),
    ['GM0363', 'GM0599'],
    'an admin subscription without a filter gets both',
  );
  t.same(receiver.rejected, [], 'every request verified with standardwebhooks');

  // The document describes the delivery (createSubscription's callback): every request made is as described.
  await receiver.until(() => receiver.at('figures').length > 0, 'a statistics.changed arrives');
  interface Delivery {
    parameters: { name: string; required: boolean }[];
    requestBody: { content: Record<string, { schema: unknown }> };
  }
  const paths = openapiDocument.paths as Record<string, Record<string, { callbacks?: Record<string, Record<string, { post: Delivery }>> }>>;
  const delivery = paths['/subscriptions']?.post?.callbacks?.event?.['{$request.body#/callbackUrl}']?.post;
  const mediaType = Object.keys(delivery?.requestBody.content ?? {})[0] as string;
  const valid = validatorFor(delivery?.requestBody.content[mediaType]?.schema);
  const kinds = new Set<string>();
  for (const r of receiver.received) {
    kinds.add(r.event.type.slice(P.length + 1));
    t.ok(valid(r.event), `${r.event.type} is a RegistryEvent as documented ${JSON.stringify(valid.errors ?? [])}`);
    t.equal(r.contentType?.split(';')[0], mediaType, 'in the documented media type');
    for (const p of delivery?.parameters ?? []) t.ok(!p.required || typeof r.headers[p.name] === 'string', `with ${p.name}`);
  }
  t.ok(kinds.has('statistics.changed') && kinds.has('enforcement-action.licence-status-rederived'), `of every data shape: ${[...kinds]}`);
  const backlog = async () =>
    json<{ notifications: { backlog: number } }>(await app.inject({ url: '/health/ready' })).notifications.backlog;
  await until(async () => (await backlog()) === 0, 'readiness shows the backlog: empty at last');
  t.pass('readiness shows an empty backlog once everything is delivered');
});

t.test('the receiver down for a while, then up: everything arrives, in order per subject', async (t) => {
  const down = await webhookReceiver();
  t.teardown(() => down.close());
  const sub = await subscribe(amsterdam.auth, down, 'later');
  await down.stop();
  const est = await make.establishment(amsterdam.auth);
  const actions = [];
  for (let i = 0; i < 3; i++) actions.push(await make.action(amsterdam.auth, est.id, { decisionDate: `2019-0${i + 1}-10` }));
  for (const a of actions) {
    const res = await app.inject({
      method: 'PUT',
      url: `/v1/enforcement-actions/${a.id}`,
      headers: { ...amsterdam.auth, 'if-match': '"1"' },
      payload: sample.action(est.id, { decisionDate: '2019-04-01' }),
    });
    t.equal(res.statusCode, 200);
  }
  dispatching(t);
  await new Promise((r) => setTimeout(r, 300)); // some attempts fail meanwhile
  const backlog = json<{ notifications: { backlog: number; oldestUndeliveredAgeSeconds: number } }>(
    await app.inject({ url: '/health/ready' }),
  );
  t.ok(backlog.notifications.backlog >= 7, `the backlog shows in readiness (${backlog.notifications.backlog})`);
  await down.start();
  await down.until(() => down.at('later').length === 7, 'all seven events');
  for (const a of actions) {
    t.same(
      down
        .at('later')
        .filter((r) => r.event.subject === a.id)
        .map((r) => r.event.data.change),
      ['created', 'changed'],
      `in order for ${a.id}`,
    );
  }
  const log = json<{ items: { outcome: string; error: string | null }[] }>(
    await app.inject({ url: `/v1/subscriptions/${sub.id}/deliveries?status=failed&pageSize=100`, headers: amsterdam.auth }),
  );
  t.ok(log.items.length > 0, 'the failed attempts are in the delivery log');
  t.ok(
    log.items.every((i) => i.outcome === 'failed' && i.error),
    'filtered by status, each with its error',
  );
});

t.test('500s and timeouts: retried with backoff, then given up and the subscription disabled; re-enable and redeliver', async (t) => {
  const flaky = await webhookReceiver();
  t.teardown(() => flaky.close());
  const sub = await subscribe(amsterdam.auth, flaky, 'flaky');
  flaky.behaviour = 'fail';
  const d = dispatching(t, { giveUpAfterMs: 1500 });
  const est = await make.establishment(amsterdam.auth);
  const url = `/v1/subscriptions/${sub.id}`;
  const read = async () =>
    json<{ status: string; disabledReason: string | null; version: number; disabledAt: string | null; updatedAt: string }>(
      await app.inject({ url, headers: amsterdam.auth }),
    );
  await until(async () => (await read()).status === 'disabled', 'disabled');
  const disabled = await read();
  t.equal(disabled.status, 'disabled', 'given up: the subscription is disabled');
  // docs/notifications.md: the dispatcher logs identifiers and types only, never content, not the receiver's answer either.
  const failures = logLines.filter(
    (l) => l.msg === 'webhook delivery failed' && (l.obj as { subscriptionId?: string }).subscriptionId === sub.id,
  );
  t.ok(failures.length > 0, `each failed attempt is logged (${failures.length})`);
  t.same(
    [...new Set(failures.flatMap((l) => Object.keys(l.obj)))].sort(),
    ['attempt', 'error', 'eventId', 'givingUp', 'statusCode', 'subscriptionId', 'type'],
    'with identifiers, the event type, the attempt, the status and the error: nothing of the event or the record',
  );
  t.notOk(JSON.stringify(failures).includes('receiver broken'), 'and not the receiver’s answer (the delivery log keeps an excerpt)');
  t.equal(disabled.updatedAt, disabled.disabledAt, 'a change like any other: updatedAt moves with it');
  t.match(disabled.disabledReason, /HTTP 500/);
  const attempts = json<{ items: { attempt: number; outcome: string; statusCode: number; responseExcerpt: string }[] }>(
    await app.inject({ url: `${url}/deliveries?pageSize=100`, headers: amsterdam.auth }),
  ).items;
  t.ok(attempts.length >= 2, `retried (${attempts.length} attempts)`);
  t.same([...new Set(attempts.map((a) => a.statusCode))], [500]);
  t.equal(attempts[0]?.responseExcerpt, 'receiver broken  for now', 'a small, printable excerpt of the answer');
  t.same(
    attempts.map((a) => a.attempt).reverse(),
    attempts.map((_, i) => i + 1),
    'attempts numbered in order',
  );
  await d.stop();

  // timeouts count as failures too
  flaky.behaviour = 'hang';
  const reenabled = await app.inject({
    method: 'PUT',
    url,
    headers: { ...amsterdam.auth, 'if-match': `"${disabled.version}"` },
    payload: { callbackUrl: flaky.url('flaky'), eventTypes: RECORD_TYPES, status: 'active' },
  });
  t.equal(reenabled.statusCode, 200, reenabled.body);
  const redeliver = await app.inject({ method: 'POST', url: `${url}/redeliveries`, headers: amsterdam.auth, payload: {} });
  t.equal(redeliver.statusCode, 202);
  t.same(json(redeliver), { redelivered: 1 }, 'the given-up event is pending again');
  const d2 = services.notifications.dispatcher(log, { giveUpAfterMs: 60_000, responseTimeoutMs: 300 });
  await d2.tick();
  await d2.stop();
  const timedOut = json<{ items: { error: string; attempt: number }[] }>(
    await app.inject({ url: `${url}/deliveries?status=failed&pageSize=1`, headers: amsterdam.auth }),
  ).items;
  t.match(timedOut[0]?.error, /no complete response within 300 ms/, 'a response timeout');
  // Redelivery starts the delivery afresh: its attempts count from 1 and its retries wait the base backoff
  // (20 ms here) again, not the long wait its earlier failures had built up.
  t.equal(timedOut[0]?.attempt, 1, 'the first attempt of the new period');
  const [wait] = (
    (await ctx.database.owner.execute(
      // attempted_at is when the call was made; the wait counts from its end (duration_ms later).
      sql`select extract(epoch from d.next_attempt_at - a.attempted_at) * 1000 - a.duration_ms as ms, a.duration_ms as took from deliveries d
          join delivery_attempts a on a.delivery_id = d.id where d.subscription_id = ${sub.id}
          order by a.attempted_at desc limit 1`,
    )) as unknown as { rows: { ms: number | string; took: number }[] }
  ).rows;
  t.ok(Number(wait?.took) >= 300, 'the attempt took the response timeout');
  t.ok(Number(wait?.ms) >= 0, 'its time is when the call was made: the retry is due after the call ended, not before');
  t.ok(Number(wait?.ms) <= 25, `the next try waits the base backoff (${Number(wait?.ms).toFixed(0)} ms)`);

  flaky.behaviour = 'ok';
  dispatching(t);
  await flaky.until(() => flaky.at('flaky').some((r) => r.event.subject === est.id), 'delivered after re-enabling');
  t.equal(flaky.at('flaky').length, 1);
  await until(async () => (await deliveries(`${url}/deliveries?status=succeeded`)).length === 1, 'the success is logged');
  const ok = json<{ items: { outcome: string; statusCode: number }[] }>(
    await app.inject({ url: `${url}/deliveries?status=succeeded`, headers: amsterdam.auth }),
  ).items;
  t.match(ok, [{ outcome: 'succeeded', statusCode: 204 }]);
});

t.test('a 410 Gone disables the subscription at once: no retries for days to a receiver that asked for none', async (t) => {
  const leaving = await webhookReceiver();
  t.teardown(() => leaving.close());
  // An admin's subscription for Amsterdam: its owner reads the receiver's answer, an Amsterdam officer does not.
  const givenUpMetric = async () => Number(/^registry_subscriptions_given_up (\d+)$/m.exec((await services.metrics.scrape()).body)?.[1]);
  const givenUpBefore = await givenUpMetric();
  const sub = await subscribe(admin.auth, leaving, 'leaving', { municipalityCode: 'GM0363' });
  leaving.behaviour = 'gone';
  dispatching(t, { giveUpAfterMs: 60_000 });
  await make.establishment(amsterdam.auth);
  const url = `/v1/subscriptions/${sub.id}`;
  const read = async (auth: Auth) => json<{ status: string; disabledReason: string | null }>(await app.inject({ url, headers: auth }));
  await until(async () => (await read(admin.auth)).status === 'disabled', 'disabled after the 410', 8000);
  t.equal(
    (await read(admin.auth)).disabledReason,
    'deliveries given up at once; last error: HTTP 410 Gone, the receiver asks for no more deliveries',
    'its owner reads why',
  );
  t.equal(
    (await read(amsterdam.auth)).disabledReason,
    'deliveries given up at once',
    'an officer of its municipality: not the receiver’s answer',
  );
  t.equal(await givenUpMetric(), givenUpBefore + 1, 'counted in registry_subscriptions_given_up, for the operator’s alert');
  const attempts = json<{ items: { statusCode: number; outcome: string }[] }>(
    await app.inject({ url: `${url}/deliveries?pageSize=100`, headers: admin.auth }),
  ).items;
  t.same(
    attempts.map((a) => [a.statusCode, a.outcome]),
    [[410, 'failed']],
    'one attempt, given up at once (the give-up period was a minute)',
  );
  const [pending] = (
    (await ctx.database.owner.execute(
      sql`select array_agg(status) as statuses from deliveries where subscription_id = ${sub.id}`,
    )) as unknown as { rows: { statuses: string[] }[] }
  ).rows;
  t.same(pending?.statuses, ['abandoned'], 'given up, for a redelivery once re-enabled; nothing left pending');
});

t.test(
  'a 429 or 503 with Retry-After: the next attempt waits as long as asked, not the backoff, and not past the give-up period',
  async (t) => {
    const busy = await webhookReceiver();
    t.teardown(() => busy.close());
    busy.behaviour = 'busy';
    const waitOf = async (subscriptionId: string) => {
      const [row] = (
        (await ctx.database.owner.execute(
          sql`select extract(epoch from d.next_attempt_at - a.attempted_at) * 1000 - a.duration_ms as ms from deliveries d
            join delivery_attempts a on a.delivery_id = d.id where d.subscription_id = ${subscriptionId}
            order by a.attempted_at desc limit 1`,
        )) as unknown as { rows: { ms: number | string | null }[] }
      ).rows;
      return row?.ms === null || row?.ms === undefined ? null : Number(row.ms);
    };
    const giveUpAfterMs = 60_000;
    const asked = [
      { status: 429, retryAfter: () => '30', least: 29_000, most: 31_000 },
      { status: 503, retryAfter: () => '30', least: 29_000, most: 31_000 },
      // Made as the receiver answers; the header has whole seconds: 44 to 45 s from the attempt.
      { status: 429, retryAfter: () => new Date(Date.now() + 45_000).toUTCString(), least: 43_000, most: 46_000 },
      { status: 429, retryAfter: () => '86400', least: giveUpAfterMs - 1000, most: giveUpAfterMs + 1000 },
      { status: 429, retryAfter: () => 'soon', least: 0, most: 100 }, // illegible: the backoff (20 ms here)
    ] as const;
    const pause = async (sub: { id: string }, name: string) => {
      const version = json<{ version: number }>(await app.inject({ url: `/v1/subscriptions/${sub.id}`, headers: amsterdam.auth })).version;
      const res = await app.inject({
        method: 'PUT',
        url: `/v1/subscriptions/${sub.id}`,
        headers: { ...amsterdam.auth, 'if-match': `"${version}"` },
        payload: { callbackUrl: busy.url(name), eventTypes: RECORD_TYPES, status: 'disabled' },
      });
      t.equal(res.statusCode, 200, 'paused, so the next subscription’s attempts are its own');
    };
    for (const [i, a] of asked.entries()) {
      busy.retryAfter = a.retryAfter;
      busy.busyStatus = a.status;
      const sub = await subscribe(amsterdam.auth, busy, `busy-${i}`);
      const d = services.notifications.dispatcher(log, { giveUpAfterMs });
      await make.establishment(amsterdam.auth);
      await d.tick(); // fanned out, sent once, its outcome recorded
      await d.stop();
      const ms = (await waitOf(sub.id)) ?? Number.NaN;
      t.ok(ms >= a.least && ms <= a.most, `${a.status}, Retry-After ${a.retryAfter()} → the next attempt in ${Math.round(ms)} ms`);
      await pause(sub, `busy-${i}`);
    }

    // Late in the period, a day asked for: the next attempt comes at the period's end, not a period later.
    busy.retryAfter = () => '86400';
    busy.busyStatus = 429;
    const late = await subscribe(amsterdam.auth, busy, 'busy-late');
    const d = services.notifications.dispatcher(log, { giveUpAfterMs });
    await make.establishment(amsterdam.auth);
    await d.tick();
    await ctx.database.owner.execute(
      sql`update deliveries set due_since = now() - interval '50 seconds', next_attempt_at = now() where subscription_id = ${late.id}`,
    );
    await d.tick(); // the second attempt, 50 s into the minute's period
    await d.stop();
    const ms = (await waitOf(late.id)) ?? Number.NaN;
    t.ok(
      ms >= 8000 && ms <= 10_500,
      `50 s into a 60 s period, Retry-After 86400 → the next attempt in ${Math.round(ms)} ms (the 10 s left)`,
    );
    await pause(late, 'busy-late');
  },
);

t.test('a receiver that does not answer holds up no other: theirs arrive while its call is still open', async (t) => {
  const slow = await webhookReceiver();
  const quick = await webhookReceiver();
  t.teardown(() => slow.close());
  t.teardown(() => quick.close());
  slow.behaviour = 'hang';
  const stalled = await subscribe(amsterdam.auth, slow, 'stalled');
  await subscribe(amsterdam.auth, quick, 'quick');
  dispatching(t, { responseTimeoutMs: 10_000 });

  const first = await make.establishment(amsterdam.auth);
  await slow.until(() => slow.held.length === 1, 'the stalled receiver holds the first event’s call open');
  await quick.until(() => quick.at('quick').some((r) => r.event.subject === first.id), 'the first event at the quick receiver');
  // Sent while the stalled call is open (its receiver answers nothing for 10 s): made, fanned out, sent.
  const second = await make.establishment(amsterdam.auth);
  await quick.until(() => quick.at('quick').some((r) => r.event.subject === second.id), 'the second event at the quick receiver', 8000);
  const [attempts] = (
    (await ctx.database.owner.execute(
      sql`select count(*)::int as n from delivery_attempts where subscription_id = ${stalled.id}`,
    )) as unknown as { rows: { n: number }[] }
  ).rows;
  t.equal(Number(attempts?.n), 0, 'the stalled call has no outcome yet: the quick receiver did not wait for it');
});

t.test('giving a delivery up and disabling its subscription commit together, or neither does', async (t) => {
  const failing = await webhookReceiver();
  t.teardown(() => failing.close());
  const sub = await subscribe(amsterdam.auth, failing, 'stuck', { eventTypes: [`${P}.establishment.created`] });
  failing.behaviour = 'fail';
  t.match(sub.id, /^[0-9a-f-]{36}$/);
  // The disabling fails (as a lost connection or a crash between two transactions would leave it).
  await ctx.database.owner.execute(sql`create function refuse_disable() returns trigger language plpgsql as $$
    begin raise exception 'connection lost'; end $$`);
  await ctx.database.owner.execute(
    sql.raw(`create trigger refuse_disable before update on subscriptions for each row
      when (new.status = 'disabled' and new.id = '${sub.id}') execute function refuse_disable()`),
  );
  const dropped = async () => {
    await ctx.database.owner.execute(sql`drop trigger if exists refuse_disable on subscriptions`);
    await ctx.database.owner.execute(sql`drop function if exists refuse_disable()`);
  };
  t.teardown(dropped);
  await make.establishment(amsterdam.auth);
  // Short timeouts make a short lease: a round that failed is retried within seconds.
  const d = services.notifications.dispatcher(log, { giveUpAfterMs: 300, connectTimeoutMs: 200, responseTimeoutMs: 200 });
  const statuses = async () =>
    (
      (await ctx.database.owner.execute(sql`select status from deliveries where subscription_id = ${sub.id}`)) as unknown as {
        rows: { status: string }[];
      }
    ).rows.map((r) => r.status);
  const status = async () =>
    json<{ status: string }>(await app.inject({ url: `/v1/subscriptions/${sub.id}`, headers: amsterdam.auth })).status;
  const deadline = Date.now() + 1500;
  while (Date.now() < deadline) {
    await d.tick().catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
  }
  t.ok(failing.requests.length >= 2, `attempts were made (${failing.requests.length})`);
  t.equal(await status(), 'active', 'the disabling did not commit');
  t.same(await statuses(), ['pending'], 'so the give-up did not either: the delivery is still to be made');

  await dropped();
  await until(async () => {
    await d.tick().catch(() => undefined);
    return (await status()) === 'disabled';
  }, 'disabled once it can be');
  t.same(await statuses(), ['abandoned'], 'given up with it');
  await d.stop();
});

t.test('a narrowed subscription does not send what it no longer wants, nor bring it back on redelivery', async (t) => {
  const narrowing = await webhookReceiver();
  t.teardown(() => narrowing.close());
  const types = [`${P}.establishment.created`, `${P}.enforcement-action.created`];
  const sub = await subscribe(amsterdam.auth, narrowing, 'narrow', { eventTypes: types });
  narrowing.behaviour = 'fail';
  const d = services.notifications.dispatcher(log, { giveUpAfterMs: 60_000 });
  t.teardown(() => d.stop());
  const est = await make.establishment(amsterdam.auth);
  await d.tick(); // fanned out and tried once: waiting for a retry
  t.ok(narrowing.requests.length >= 1, 'tried while the receiver failed');

  const put = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${sub.id}`,
    headers: { ...amsterdam.auth, 'if-match': `"${sub.version}"` },
    payload: { callbackUrl: narrowing.url('narrow'), eventTypes: [`${P}.enforcement-action.created`] },
  });
  t.equal(put.statusCode, 200, put.body);
  narrowing.behaviour = 'ok';
  const action = await make.action(amsterdam.auth, est.id as string);
  await until(async () => {
    await d.tick();
    return narrowing.at('narrow').some((r) => r.event.subject === action.id);
  }, 'the wanted event arrives');
  t.same(
    narrowing.at('narrow').map((r) => r.event.type),
    [`${P}.enforcement-action.created`],
    'the establishment event that waited is not sent after the types were narrowed',
  );
  const redelivered = await app.inject({
    method: 'POST',
    url: `/v1/subscriptions/${sub.id}/redeliveries`,
    headers: amsterdam.auth,
    payload: {},
  });
  t.same(json(redelivered), { redelivered: 0 }, 'a redelivery brings back only what the subscription wants');
  const health = json<{ notifications: { backlog: number } }>(await app.inject({ url: '/health/ready' }));
  t.equal(health.notifications.backlog, 0, 'nothing is left waiting');
});

t.test('secret rotation: both secrets sign during the overlap', async (t) => {
  dispatching(t);
  const sub = await subscribe(admin.auth, receiver, 'rotating', { eventTypes: [`${P}.establishment.created`] });
  const rotated = await app.inject({
    method: 'POST',
    url: `/v1/subscriptions/${sub.id}/secrets`,
    headers: { ...admin.auth, 'if-match': '"1"' },
    payload: { previousSecretValidHours: 1 },
  });
  const fresh = json<{ secret: string }>(rotated).secret;
  receiver.accept('rotating', sub.secret); // a receiver that has not switched yet
  await make.establishment(amsterdam.auth);
  await receiver.until(() => receiver.at('rotating').length === 1, 'verified with the old secret');
  receiver.accept('rotating', fresh); // and one that has
  await make.establishment(amsterdam.auth);
  await receiver.until(() => receiver.at('rotating').length === 2, 'verified with the new secret');
  t.equal(String(receiver.at('rotating')[1]?.headers['webhook-signature']).split(' ').length, 2, 'two signatures during the overlap');
  t.same(receiver.rejected, []);
});

t.test('outbound safety: no link-local or metadata addresses, no redirects', async (t) => {
  const { createWebhookSender } = await import('../../src/infrastructure/webhooks.js');
  const sender = createWebhookSender({
    plainHttpHosts: ['127.0.0.1'],
    privateNetworks: 'all',
    connectTimeoutMs: 300,
    responseTimeoutMs: 300,
    maxResponseBytes: 1024,
  });
  t.teardown(() => sender.close());
  t.match((await sender.post('https://169.254.169.254/latest/meta-data', '{}', {})).error, /refused: link-local or metadata/);
  t.match((await sender.post('https://[fe80::1]/hook', '{}', {})).error, /refused: link-local/);
  t.match((await sender.post('https://127.0.0.1/hook', '{}', {})).error, /^(?!refused)/, 'loopback allowed only for listed hosts');
  t.match((await sender.post('https://localhost:1/hook', '{}', {})).error, /refused: localhost resolves to a loopback/);
  t.match((await sender.post('http://example.org/hook', '{}', {})).error, /plain http is not allowed/);
  const redirector = http.createServer((_req, res) => res.writeHead(302, { location: 'http://169.254.169.254/' }).end('x'.repeat(5000)));
  await new Promise<void>((r) => redirector.listen(0, '127.0.0.1', r));
  t.teardown(() => redirector.close());
  const port = (redirector.address() as { port: number }).port;
  const res = await sender.post(`http://127.0.0.1:${port}/`, '{}', {});
  t.equal(res.statusCode, 302);
  t.match(res.error, /redirect to http:\/\/169\.254\.169\.254\/ not followed/);
  t.ok((res.excerpt ?? '').length <= 200, 'only an excerpt is kept');
});

t.test('a revoked owner’s subscription sends nothing more, not even what was queued before the revocation', async (t) => {
  const leaving = await client('officer', 'GM0363');
  const own = await webhookReceiver();
  t.teardown(() => own.close());
  const sub = await subscribe(leaving.auth, own, 'leaving', { eventTypes: [`${P}.establishment.created`] });
  own.behaviour = 'fail';
  const d = services.notifications.dispatcher(log, { giveUpAfterMs: 60_000 });
  t.teardown(() => d.stop());
  await make.establishment(leaving.auth);
  const attempts = async () =>
    json<{ items: { outcome: string }[] }>(await app.inject({ url: `/v1/subscriptions/${sub.id}/deliveries`, headers: admin.auth })).items;
  await until(async () => {
    await d.tick();
    return (await attempts()).length > 0;
  }, 'a first, failed attempt');
  t.same(
    (await attempts()).map((a) => a.outcome),
    ['failed'],
    'queued for a retry',
  );

  const waiting = (await services.notifications.backlog()).backlog;
  const revoked = await app.inject({
    method: 'DELETE',
    url: `/v1/api-clients/${leaving.id}`,
    headers: { ...admin.auth, 'if-match': '"1"', 'x-audit-reason': 'left the department' },
  });
  t.equal(revoked.statusCode, 200, revoked.body);
  own.behaviour = 'ok';
  // Well past the backoff (20 ms): the retry was due many times over.
  for (let i = 0; i < 10; i++) {
    await new Promise((r) => setTimeout(r, 30));
    await d.tick();
  }
  t.same(own.at('leaving'), [], 'nothing reached the receiver after the revocation');
  t.equal((await attempts()).length, 1, 'no attempt after the revocation');
  // It stayed in the backlog (and its age in oldestUndeliveredAgeSeconds) for good, though it is never sent.
  t.equal((await services.notifications.backlog()).backlog, waiting - 1, 'what will never be sent is no backlog');
});

t.test('private networks: the setting is held at every connection, to an address or a name that resolves to one', async (t) => {
  const { createWebhookSender } = await import('../../src/infrastructure/webhooks.js');
  const only = (...ranges: string[]) => ranges.map((r) => parseInternalCidr(r) as Cidr);
  const sender = (privateNetworks: PrivateNetworks) => {
    const s = createWebhookSender({
      plainHttpHosts: ['localhost'],
      privateNetworks,
      connectTimeoutMs: 300,
      responseTimeoutMs: 300,
      maxResponseBytes: 1024,
    });
    t.teardown(() => s.close());
    return s;
  };
  const none = sender([]);
  t.match(
    (await none.post('https://10.1.2.3/hook', '{}', {})).error,
    /refused: private-network address outside NOTIFICATIONS_PRIVATE_NETWORKS/,
  );
  t.match((await none.post('https://[fd00::2]/hook', '{}', {})).error, /refused: private-network address/);
  t.match((await none.post('https://[64:ff9b::10.1.2.3]/hook', '{}', {})).error, /refused: private-network/, 'nor behind NAT64');
  t.match((await sender(only('10.20.0.0/16')).post('https://[::ffff:10.1.2.3]/hook', '{}', {})).error, /refused: private-network/);
  // A name is judged by what it resolves to: localhost (the system resolver, /etc/hosts) is loopback,
  // which the private-network setting governs as well as NOTIFICATIONS_HTTP_HOSTS. So this is the
  // path a DNS name resolving to 10.x takes, with no hosts file or DNS server of the test's own.
  const url = `http://localhost:${receiver.port}/hooks/by-name`;
  const refused = await sender(only('10.0.0.0/8')).post(url, '{}', {});
  t.match(refused.error, /refused: localhost resolves to a private-network address outside NOTIFICATIONS_PRIVATE_NETWORKS/);
  t.equal(refused.statusCode, null);
  t.notOk(receiver.requests.includes('/hooks/by-name'), 'nothing reached the receiver');
  const allowed = await sender(only('127.0.0.0/8', '::1/128')).post(url, '{}', {});
  t.equal(allowed.statusCode, 401, 'in a listed range: it connects (and the unsigned call is refused by the receiver)');
  t.ok(receiver.requests.includes('/hooks/by-name'));
});

t.test('private networks: a subscription made before the setting narrowed is refused at delivery, in its log', async (t) => {
  const officer = await client('officer', 'GM0080');
  const own = await webhookReceiver();
  t.teardown(() => own.close());
  const sub = await subscribe(officer.auth, own, 'narrowed', { eventTypes: [`${P}.establishment.created`] });
  // The operator restarts with NOTIFICATIONS_PRIVATE_NETWORKS=none; the callback (on 127.0.0.1) was accepted before.
  const narrowed = services.notifications.dispatcher(log, { giveUpAfterMs: 60_000, privateNetworks: [] });
  t.teardown(() => narrowed.stop());
  await make.establishment(officer.auth, 'GM0080');
  type Attempt = { outcome: string; statusCode: number | null; error: string | null; responseExcerpt: string | null };
  const attempts = async () =>
    json<{ items: Attempt[] }>(await app.inject({ url: `/v1/subscriptions/${sub.id}/deliveries`, headers: officer.auth })).items;
  await until(async () => {
    await narrowed.tick();
    return (await attempts()).length > 0;
  }, 'a refused attempt');
  t.match(await attempts(), [
    {
      outcome: 'failed',
      statusCode: null,
      responseExcerpt: null,
      error: /^refused: private-network address outside NOTIFICATIONS_PRIVATE_NETWORKS$/,
    },
  ]);
  t.same(own.requests, [], 'no connection was made');
  await narrowed.stop();
});

// A real private-network address of this machine (an fd00::/8 or 10.x interface), if it has one: the
// receiver must listen where the registry's calls really go. Without one the subtest is skipped, and says so.
const privateAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && !i.internal && isPrivate(i.address))?.address;

const onPrivateAddress = { skip: privateAddress ? false : 'this machine has no private-network address to listen on' };

/** Starts an internal service on the machine's private-network address, closed when the test ends; its port. */
async function listenPrivately(t: { teardown(fn: () => unknown): void }, server: http.Server | https.Server, host: string) {
  await new Promise<void>((r) => server.listen(0, host, r));
  t.teardown(() => server.close());
  return (server.address() as { port: number }).port;
}

t.test('an answer from a private-network address is not quoted in the delivery log: status code only', onPrivateAddress, async (t) => {
  const { createWebhookSender } = await import('../../src/infrastructure/webhooks.js');
  const host = privateAddress as string;
  const internal = http.createServer((req, res) => {
    if (req.url === '/moved') res.writeHead(302, { location: 'https://intranet.example/admin?token=x' }).end();
    else res.writeHead(500, { 'content-type': 'text/plain' }).end('internal billing service 4.2, database: billing-db-01');
  });
  const port = await listenPrivately(t, internal, host);
  const literal = host.includes(':') ? `[${host}]` : host;
  const sender = createWebhookSender({
    plainHttpHosts: [host],
    privateNetworks: 'all',
    connectTimeoutMs: 2000,
    responseTimeoutMs: 2000,
    maxResponseBytes: 1024,
  });
  t.teardown(() => sender.close());
  const answered = await sender.post(`http://${literal}:${port}/`, '{}', {});
  t.match(answered, { statusCode: 500, error: 'HTTP 500', excerpt: null }, `${host}: the status code, not the answer`);
  const moved = await sender.post(`http://${literal}:${port}/moved`, '{}', {});
  t.match(moved, { statusCode: 302, error: 'redirect not followed', excerpt: null }, 'nor where it redirects to');
});
t.test('a destruction announces a live record as deleted, and nothing for one its receivers had seen deleted already', async (t) => {
  dispatching(t);
  const own = await webhookReceiver();
  t.teardown(() => own.close());
  await subscribe(amsterdam.auth, own, 'archive');
  const outbox = async <T>(query: SQL) => ((await ctx.database.owner.execute(query)) as unknown as { rows: T[] }).rows;
  const [since] = await outbox<{ seq: number }>(sql`select coalesce(max(seq), 0)::int as seq from outbox_events`);
  const est = await make.establishment(amsterdam.auth);
  const licence = await make.licenceValid(amsterdam.auth, est.id, '2001-01-01', '2002-12-31');
  const live = await make.action(amsterdam.auth, est.id, { decisionDate: '2003-05-01', stage: 'final' });
  const tombstone = await make.action(amsterdam.auth, est.id, { decisionDate: '2003-06-01', stage: 'final' });
  for (const url of [`/v1/establishments/${est.id}/licences/${licence.id}`, `/v1/enforcement-actions/${tombstone.id}`]) {
    const res = await app.inject({
      method: 'DELETE',
      url,
      headers: { ...amsterdam.auth, 'if-match': '"1"', 'x-audit-reason': 'in error' },
    });
    t.equal(res.statusCode, 204, res.body);
  }
  const deletions = (subject: string) => own.at('archive').filter((r) => r.event.subject === subject && r.event.type.endsWith('.deleted'));
  await own.until(() => deletions(licence.id).length + deletions(tombstone.id).length === 2, 'the two deletions');

  // Only these three are past a 5-year period on 2010-06-01 (the other subtests' records are of 2016 and later).
  const rules = retentionRules({ enforcementActionYears: 5, licenceYears: 5, selectionList: 'test' });
  const report = await services.commands.retention.destroyPastRetention(systemContext('retention test'), rules, '2010-06-01');
  t.same(report.destroyed, { enforcement_action: 2, licence: 1 }, 'the live action, the tombstone and the licence deleted outright');
  await own.until(() => deletions(live.id).length === 1, 'the live action’s destruction, as its deletion');
  t.match(deletions(live.id)[0]?.event, { type: `${P}.enforcement-action.deleted`, data: { id: live.id, change: 'deleted' } });

  // Each transaction's events are written with it, so the outbox shows all that ever will be sent.
  const announced = await outbox<{ subject: string; type: string }>(
    sql`select subject, type from outbox_events where subject in (${licence.id}, ${tombstone.id}) order by seq`,
  );
  const of = (id: string) => announced.filter((r) => r.subject === id).map((r) => r.type.slice(P.length + 1));
  t.same(
    [of(licence.id), of(tombstone.id)],
    [
      ['licence.created', 'licence.deleted'],
      ['enforcement-action.created', 'enforcement-action.deleted'],
    ],
    'the records deleted before their destruction: their one deletion, no second',
  );
  // The receiver, once it has all the subscription's events, has those too.
  const [all] = await outbox<{ n: number }>(
    sql`select count(*)::int as n from outbox_events where seq > ${since?.seq ?? 0} and municipality_code = 'GM0363' and type not like '%.statistics.%'`,
  );
  await own.until(() => own.at('archive').length === all?.n, 'every event of the subscription');
  t.same([deletions(licence.id).length, deletions(tombstone.id).length], [1, 1], 'and the receiver got one each');
});

// A certificate of an internal service, trusted here as an internal CA is where a registry calls a
// municipal case system (NODE_EXTRA_CA_CERTS). A fixture: self-signed, valid for a century.
const INTERNAL_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgiUH+4AXMFRyJf6ZZ
o/c17kT+DYvQoPj2GujkVtVwBIGhRANCAASmO+a4eUIcu6GLrxnzCuOfUTM1zcm3
EHMrENRPxFi8StxFDRuEi8sZUmmMMj70HopiiC0GqB97o3g0k1D7CPUQ
-----END PRIVATE KEY-----
`;
const INTERNAL_CERT = `-----BEGIN CERTIFICATE-----
MIIBzzCCAXSgAwIBAgIUTa5hoptMNHKL9OX3F+iWne/UNvQwCgYIKoZIzj0EAwIw
JzElMCMGA1UEAwwcYmlsbGluZy1kYi0wMS5pbnRlcm4uZXhhbXBsZTAgFw0yNjEy
MDQxOTU5MTVaGA8yMTI2MTExMDE5NTkxNVowJzElMCMGA1UEAwwcYmlsbGluZy1k
Yi0wMS5pbnRlcm4uZXhhbXBsZTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABKY7
5rh5Qhy7oYuvGfMK459RMzXNybcQcysQ1E/EWLxK3EUNG4SLyxlSaYwyPvQeimKI
LQaoH3ujeDSTUPsI9RCjfDB6MB0GA1UdDgQWBBSqPsIGLCncjE7nCvthTXy+GrdL
QTAfBgNVHSMEGDAWgBSqPsIGLCncjE7nCvthTXy+GrdLQTAPBgNVHRMBAf8EBTAD
AQH/MCcGA1UdEQQgMB6CHGJpbGxpbmctZGItMDEuaW50ZXJuLmV4YW1wbGUwCgYI
KoZIzj0EAwIDSQAwRgIhAMLsAyPRCqAJsf6yrfiQyylPC2ye62MhSv5SZArGhlwr
AiEAnwzNwhFO0mZL5aiTSStTIJCPczKTrkEajMebb318oW8=
-----END CERTIFICATE-----
`;

t.test(
  'a failure at a private-network address does not quote it either: no certificate names of an internal service',
  onPrivateAddress,
  async (t) => {
    const { createWebhookSender } = await import('../../src/infrastructure/webhooks.js');
    const host = privateAddress as string;
    const internal = https.createServer({ key: INTERNAL_KEY, cert: INTERNAL_CERT }, (_req, res) => res.end('ok'));
    const port = await listenPrivately(t, internal, host);
    // A subscriber's own host name, which its DNS points at the internal service's address.
    const lookup = dns.lookup;
    dns.lookup = ((name: string, options: object, callback: (...a: unknown[]) => void) =>
      name === 'hook.subscriber.example'
        ? callback(null, [{ address: host, family: net.isIPv6(host) ? 6 : 4 }])
        : lookup(name, options, callback as never)) as typeof dns.lookup;
    // The registry trusts the internal CA (as NODE_EXTRA_CA_CERTS would make it).
    const connect = tls.connect;
    tls.connect = ((options: tls.ConnectionOptions) => connect({ ...options, ca: INTERNAL_CERT })) as typeof tls.connect;
    t.teardown(() => {
      dns.lookup = lookup;
      tls.connect = connect;
    });
    const sender = createWebhookSender({
      plainHttpHosts: [],
      privateNetworks: 'all',
      connectTimeoutMs: 2000,
      responseTimeoutMs: 2000,
      maxResponseBytes: 1024,
    });
    t.teardown(() => sender.close());
    const failed = await sender.post(`https://hook.subscriber.example:${port}/`, '{}', {});
    t.equal(failed.statusCode, null, 'no answer: the certificate is not the host name’s');
    t.match(failed.error, /ERR_TLS_CERT_ALTNAME_INVALID/, 'what went wrong, by its code');
    t.notMatch(failed.error, /billing-db-01|intern\.example/, 'not the names in the internal service’s certificate');
  },
);

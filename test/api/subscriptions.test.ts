import { sql } from 'drizzle-orm';
import t from 'tap';
import { madeBy } from '../../src/application/commands/run.js';
import { clientContext, systemContext } from '../../src/application/context.js';
import { outboxHook } from '../../src/application/notifications/outbox.js';
import { createServices } from '../../src/application/services.js';
import { retentionRules } from '../../src/domain/retention.js';
import { build, json, sample } from '../support/helper.js';
import { records } from '../support/records.js';

const P = 'nl.overheid.handhavingsregister';
const HOOK = 'https://case-system.example/hooks/registry';
const body = (over: Record<string, unknown> = {}) => ({ callbackUrl: HOOK, eventTypes: [`${P}.enforcement-action.created`], ...over });
type Row = Record<string, unknown>;

// One app and database for the file (each fresh database costs seconds); the subtests leave no subscriptions behind that the next would count.
// Private networks narrowed to one municipal range (and loopback): callbacks by name, as most here, are unaffected.
const { app, client, database, services } = await build(t, {
  config: {
    NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1',
    NOTIFICATIONS_PRIVATE_NETWORKS: '10.20.0.0/16,127.0.0.0/8',
    PUBLIC_BASE_URL: 'https://registry.example/v1',
  },
});
/** PUT a subscription under If-Match `version`. */
const replace = (auth: { authorization: string }, id: string, version: number, payload: Row) =>
  app.inject({ method: 'PUT', url: `/v1/subscriptions/${id}`, headers: { ...auth, 'if-match': `"${version}"` }, payload });
const outboxCount = async () =>
  ((await database.owner.execute(sql`select count(*)::int as n from outbox_events`)) as unknown as { rows: { n: number }[] }).rows[0]?.n ??
  0;

t.test('subscriptions: CRUD with a secret shown once, ETags, If-Match, audit', async (t) => {
  const officer = await client('officer', 'GM0363');
  const created = await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: officer.auth, payload: body() });
  t.equal(created.statusCode, 201, created.body);
  const sub = json<Row & { id: string; secret: string }>(created);
  t.match(sub.secret, /^whsec_[A-Za-z0-9+/]{43}=$/, 'a Standard Webhooks secret');
  t.equal(sub.municipalityCode, 'GM0363', "an officer's subscription is for their municipality");
  t.equal(created.headers.location, `/v1/subscriptions/${sub.id}`);
  t.equal(created.headers.etag, '"1"');

  const read = await app.inject({ url: `/v1/subscriptions/${sub.id}`, headers: officer.auth });
  t.equal(read.statusCode, 200);
  t.notOk('secret' in json(read), 'the secret is never shown again');
  t.notOk(read.body.includes(sub.secret));

  const url = `/v1/subscriptions/${sub.id}`;
  t.equal((await app.inject({ method: 'PUT', url, headers: officer.auth, payload: body() })).statusCode, 428, 'If-Match required');
  const stale = await app.inject({ method: 'PUT', url, headers: { ...officer.auth, 'if-match': '"7"' }, payload: body() });
  t.equal(stale.statusCode, 412);
  t.match(stale.headers['content-type'], /^application\/problem\+json/);
  const changed = await app.inject({
    method: 'PUT',
    url,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: body({ status: 'disabled', description: 'paused for maintenance' }),
  });
  t.equal(changed.statusCode, 200, changed.body);
  t.match(json(changed), { status: 'disabled', disabledReason: 'disabled by a client', version: 2 });

  const unconditional = await app.inject({ method: 'POST', url: `${url}/secrets`, headers: officer.auth, payload: {} });
  t.equal(unconditional.statusCode, 428, 'a rotation without If-Match: 428, nothing rotated');
  const rotated = await app.inject({ method: 'POST', url: `${url}/secrets`, headers: { ...officer.auth, 'if-match': '"2"' }, payload: {} });
  t.equal(rotated.statusCode, 200, rotated.body);
  const newSecret = json<{ secret: string; previousSecretExpiresAt: string }>(rotated);
  t.not(newSecret.secret, sub.secret, 'a new secret');
  t.ok(Date.parse(newSecret.previousSecretExpiresAt) > Date.now() + 23 * 3_600_000, 'the old one overlaps for 24 h by default');

  const gone = await app.inject({
    method: 'DELETE',
    url,
    headers: { ...officer.auth, 'if-match': '"3"', 'x-audit-reason': 'case system replaced' },
  });
  t.equal(gone.statusCode, 204, gone.body);
  t.equal((await app.inject({ url, headers: officer.auth })).statusCode, 404);

  const trail = (await database.owner.execute(sql`select * from audit_log where object_id = ${sub.id} order by seq`)) as unknown as {
    rows: { action: string }[];
  };
  t.same(
    trail.rows.map((r) => r.action),
    ['create', 'update', 'update', 'delete'],
    'every change is in the audit trail',
  );
  t.notOk(JSON.stringify(trail.rows).includes('whsec_'), 'no secret in the audit trail');
});

t.test('subscriptions: who may subscribe to what, and see which', async (t) => {
  const amsterdam = await client('officer', 'GM0363');
  const rotterdam = await client('officer', 'GM0599');
  const analyst = await client('analyst');
  const admin = await client('admin');
  const post = (auth: { authorization: string }, payload: Row) =>
    app.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth, payload });
  const problems = (res: { body: string }) =>
    (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`);

  const other = await post(amsterdam.auth, body({ municipalityCode: 'GM0599' }));
  t.equal(other.statusCode, 400);
  t.same(problems(other), ['municipalityCode:not_your_municipality']);

  const records = await post(analyst.auth, body({ eventTypes: [`${P}.statistics.changed`, `${P}.establishment.created`] }));
  t.equal(records.statusCode, 400, 'analysts: no events about records');
  t.same(problems(records), ['eventTypes.1:not_for_analysts']);
  t.equal((await post(analyst.auth, body({ eventTypes: [`${P}.statistics.changed`] }))).statusCode, 201, 'statistics events are fine');

  t.same(problems(await post(admin.auth, body({ callbackUrl: 'http://case-system.example/hook' }))), ['callbackUrl:https_required']);
  t.same(problems(await post(admin.auth, body({ callbackUrl: 'https://user:pw@case-system.example/hook' }))), [
    'callbackUrl:credentials_in_url',
  ]);
  t.equal((await post(admin.auth, body({ callbackUrl: 'http://127.0.0.1:9/hook' }))).statusCode, 201, 'http for a listed host');
  const unknown = await post(admin.auth, body({ eventTypes: ['com.example.other'], extra: 1 }));
  t.equal(unknown.statusCode, 400);
  t.equal((await post(admin.auth, body({ municipalityCode: 'GM0599' }))).statusCode, 201, 'admins: any municipality');
  t.equal((await post(rotterdam.auth, body())).statusCode, 201);

  const list = async (auth: { authorization: string }) =>
    json<{ items: { municipalityCode: string | null }[] }>(await app.inject({ url: '/v1/subscriptions', headers: auth })).items;
  t.same((await list(amsterdam.auth)).length, 0, 'Amsterdam sees none of the others');
  t.same(
    (await list(rotterdam.auth)).map((s) => s.municipalityCode),
    ['GM0599', 'GM0599'],
    "Rotterdam sees its own and the admin's for Rotterdam",
  );
  t.equal((await list(analyst.auth)).length, 1, 'an analyst sees their own');
  t.equal((await list(admin.auth)).length, 4, 'an admin sees all');

  // The admin's subscription for Rotterdam: Rotterdam's officers see it, but its delivery log (what the
  // admin's receiver answered) is the admin's; their own subscription's log is theirs.
  const seen = json<{ items: { id: string; ownerRole?: string }[] }>(
    await app.inject({ url: '/v1/subscriptions', headers: rotterdam.auth }),
  ).items;
  const logOf = (auth: { authorization: string }, id: string) =>
    app.inject({ url: `/v1/subscriptions/${id}/deliveries`, headers: auth }).then((r) => r.statusCode);
  const byAdmin = json<{ items: { id: string; municipalityCode: string | null }[] }>(
    await app.inject({ url: '/v1/subscriptions', headers: admin.auth }),
  ).items.filter((s) => s.municipalityCode === 'GM0599');
  const statuses = await Promise.all(seen.map((s) => logOf(rotterdam.auth, s.id)));
  t.same(statuses.sort(), [200, 403], 'the officers’ own log, not the admin’s');
  t.same(await Promise.all(byAdmin.map((s) => logOf(admin.auth, s.id))), [200, 200], 'an admin reads both');

  // Given up by the dispatcher, the admin's subscription says why, with its receiver's last error: that part is the admin's too.
  const reason = 'deliveries failed for 259200 s; last error: 502 from ministry-gateway.internal';
  await database.owner.execute(
    sql`update subscriptions set status = 'disabled', disabled_at = now(), disabled_reason = ${reason} where owner_role = 'admin' and municipality_code = 'GM0599'`,
  );
  const reasonFor = async (auth: { authorization: string }) =>
    json<{ items: { disabledReason: string | null }[] }>(await app.inject({ url: '/v1/subscriptions', headers: auth }))
      .items.map((s) => s.disabledReason)
      .filter((r) => r !== null);
  t.same(
    await reasonFor(rotterdam.auth),
    ['deliveries failed for 259200 s'],
    'an officer reads that it failed, not what the receiver said',
  );
  t.same(await reasonFor(admin.auth), [reason], 'its owner reads it all');
});

t.test('an analyst’s subscription stays for events without record content, whoever replaces it', async (t) => {
  const analyst = await client('analyst');
  const admin = await client('admin');
  const statistics = body({ eventTypes: [`${P}.statistics.changed`] });
  const sub = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: analyst.auth, payload: statistics }),
  );
  // The admin's own rules allow any event: the analyst's receiver got events about records (200).
  const widened = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${sub.id}`,
    headers: { ...admin.auth, 'if-match': '"1"' },
    payload: body({ eventTypes: [`${P}.statistics.changed`, `${P}.enforcement-action.created`] }),
  });
  t.equal(widened.statusCode, 400, widened.body);
  t.same(
    (json<{ invalidParams?: { name: string; code: string }[] }>(widened).invalidParams ?? []).map((p) => `${p.name}:${p.code}`),
    ['eventTypes.1:not_for_analysts'],
  );
  const kept = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${sub.id}`,
    headers: { ...admin.auth, 'if-match': '"1"' },
    payload: { ...statistics, description: 'the ministry’s BI' },
  });
  t.equal(kept.statusCode, 200, 'an admin may change the rest');
  await app.inject({ method: 'DELETE', url: `/v1/subscriptions/${sub.id}`, headers: { ...admin.auth, 'if-match': '"2"' } });
});

t.test('the outbox: each change is an event in the same transaction, in order, with minimal data', async (t) => {
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const action = await make.action(officer.auth, est.id, { grounds: ['unlicensed_operation'] });
  t.equal(action.licenceStatus, 'unlicensed');
  const licence = await make.licence(officer.auth, est.id); // granted 2016-2020: the 2019 action becomes licensed
  const put = await app.inject({
    method: 'PUT',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...officer.auth, 'if-match': '"2"' },
    payload: sample.action(est.id, { stage: 'objection' }),
  });
  t.equal(put.statusCode, 200, put.body);
  const del = await app.inject({
    method: 'DELETE',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...officer.auth, 'if-match': '"3"', 'x-audit-reason': 'recorded twice' },
  });
  t.equal(del.statusCode, 204, del.body);

  const events = (
    (await database.owner.execute(sql`select event from outbox_events where municipality_code is not null order by seq`)) as unknown as {
      rows: { event: Row & { data: Row } }[];
    }
  ).rows.map((r) => r.event);
  const ofAction = events.filter((e) => e.subject === action.id);
  t.same(
    ofAction.map((e) => e.type),
    [
      `${P}.enforcement-action.created`,
      `${P}.enforcement-action.licence-status-rederived`,
      `${P}.enforcement-action.changed`,
      `${P}.enforcement-action.deleted`,
    ],
    'created, re-derived, changed, deleted: in commit order',
  );
  const first = ofAction[0] as Row & { data: Row };
  t.match(first, {
    specversion: '1.0',
    source: 'urn:nld:enforcement-registry',
    subject: action.id,
    dataref: `https://registry.example/v1/enforcement-actions/${action.id}`,
    datacontenttype: 'application/json',
  });
  t.match(first.id, /^[0-9a-f-]{36}$/);
  t.ok(!Number.isNaN(Date.parse(String(first.time))));
  t.same(
    first.data,
    { id: action.id, establishmentId: est.id, municipalityCode: 'GM0363', change: 'created' },
    'ids, code and kind of change only',
  );
  t.same(
    events.filter((e) => e.subject === licence.id).map((e) => e.dataref),
    [`https://registry.example/v1/establishments/${est.id}/licences/${licence.id}`],
  );
  t.same(
    events.filter((e) => e.subject === est.id).map((e) => e.type),
    [`${P}.establishment.created`],
  );
  t.ok(
    events.some((e) => e.type === `${P}.statistics.changed` && e.subject === 'GM0363-2019'),
    'the statistics of 2019 changed',
  );
  t.notOk(JSON.stringify(events).includes('Club Rood'), 'no record content');

  const conflict = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${est.id}`,
    headers: { ...officer.auth, 'if-match': '"9"' },
    payload: sample.establishment(),
  });
  t.equal(conflict.statusCode, 412);
  t.equal(await outboxCount(), events.length, 'a refused write announces nothing');
});

t.test('a rolled-back write leaves no event', async (t) => {
  const officer = await client('officer', 'GM0363');
  const principal = await services.queries.apiClients.authenticate(officer.token);
  if (!principal) throw new Error('no principal');
  const ctx = clientContext(principal, { requestId: null, reason: null });
  const failing = createServices(database, {
    authCacheTtlMs: 0,
    unknownTokenTtlMs: 0,
    suppressionThreshold: 5,
    commitHooks: [
      outboxHook({ source: 'urn:test', publicBaseUrl: 'https://x/v1' }),
      async () => {
        throw new Error('a later step of the transaction fails');
      },
    ],
  });
  const before = await outboxCount();
  await t.rejects(failing.commands.establishments.create(ctx, sample.establishment() as never), /later step/);
  t.equal(await outboxCount(), before, 'the event was written, then rolled back with the establishment');
  const working = createServices(database, {
    authCacheTtlMs: 0,
    unknownTokenTtlMs: 0,
    suppressionThreshold: 5,
    commitHooks: [outboxHook({ source: 'urn:test', publicBaseUrl: 'https://x/v1' })],
  });
  madeBy(await working.commands.establishments.create(ctx, sample.establishment() as never));
  t.equal(await outboxCount(), before + 1, 'the same write, committed, is announced (so the count above could have seen it)');
});

t.test('a destruction under the Archiefwet announces each record with the URL of its place, its establishment named', async (t) => {
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const licence = await make.licenceValid(officer.auth, est.id, '2001-01-01', '2004-12-31');
  const action = await make.action(officer.auth, est.id, { decisionDate: '2003-05-01', stage: 'final' });
  // Only these two are past a 5-year period on 2010-06-01 (the other subtests' records are of 2016 and later).
  const rules = retentionRules({ enforcementActionYears: 5, licenceYears: 5, selectionList: 'test' });
  const report = await services.commands.retention.destroyPastRetention(systemContext('retention test'), rules, '2010-06-01');
  t.same(report.destroyed, { enforcement_action: 1, licence: 1 });
  const events = (
    (await database.owner.execute(
      sql`select event from outbox_events where subject in (${licence.id}, ${action.id}) and type like '%.deleted' order by seq`,
    )) as unknown as { rows: { event: Row & { data: Row } }[] }
  ).rows.map((r) => r.event);
  // The licence's dataref was …/establishments/undefined/licences/{id}: a destroy entry names no establishment.
  t.same(
    events.map((e) => [e.subject, e.dataref, e.data]),
    [
      [
        action.id,
        `https://registry.example/v1/enforcement-actions/${action.id}`,
        { id: action.id, establishmentId: est.id, municipalityCode: 'GM0363', change: 'deleted' },
      ],
      [
        licence.id,
        `https://registry.example/v1/establishments/${est.id}/licences/${licence.id}`,
        { id: licence.id, establishmentId: est.id, municipalityCode: 'GM0363', change: 'deleted' },
      ],
    ],
  );
});

t.test('control characters in a callback URL or description are a 400 (control_character), never a 500', async (t) => {
  const admin = await client('admin');
  const subscriptions = async () =>
    ((await database.owner.execute(sql`select count(*)::int as n from subscriptions`)) as unknown as { rows: { n: number }[] }).rows[0]?.n;
  const before = await subscriptions();
  const codes = (res: { body: string }) =>
    (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`);
  // Each was a 500 (PostgreSQL refuses NUL) or stored a line break in a one-line field.
  for (const c of ['\u0000', '\n', '\u001b', '\u0085']) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: admin.auth,
      payload: body({ callbackUrl: `${HOOK}${c}`, description: `nightly${c}sync` }),
    });
    t.same([res.statusCode, codes(res)], [400, ['callbackUrl:control_character', 'description:control_character']], JSON.stringify(c));
  }
  t.equal(await subscriptions(), before, 'nothing was stored');
  const fine = await app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: admin.auth,
    payload: body({ description: 'Zaaksysteem “Rood” 🙈' }),
  });
  t.equal(fine.statusCode, 201, 'other unicode is fine');
});

t.test('a redelivery’s since lies in the plausible range (out_of_range), never a 500', async (t) => {
  const admin = await client('admin');
  const sub = json<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: admin.auth, payload: body() }));
  const redeliver = (since: string) =>
    app.inject({ method: 'POST', url: `/v1/subscriptions/${sub.id}/redeliveries`, headers: admin.auth, payload: { since } });
  // 0000-01-01 was a 500 (no such date in the database); 9999-12-31 was taken.
  for (const since of ['0000-01-01T00:00:00Z', '1989-12-31T23:59:59Z', '9999-12-31T23:59:59Z']) {
    const res = await redeliver(since);
    t.same(
      [
        res.statusCode,
        (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`),
      ],
      [400, ['since:out_of_range']],
      since,
    );
  }
  t.equal((await redeliver('2019-01-01T00:00:00Z')).statusCode, 202);
});

t.test('a redelivery’s Idempotency-Key makes a retry answer the first response again', async (t) => {
  const admin = await client('admin');
  const sub = json<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: admin.auth, payload: body() }));
  const redeliver = (payload: Row) =>
    app.inject({
      method: 'POST',
      url: `/v1/subscriptions/${sub.id}/redeliveries`,
      headers: { ...admin.auth, 'idempotency-key': 'redeliver-once' },
      payload,
    });
  const entries = async () =>
    (
      (await database.owner.execute(sql`select count(*)::int as n from audit_log where object_id = ${sub.id}`)) as unknown as {
        rows: { n: number }[];
      }
    ).rows[0]?.n;
  // The key was ignored: every retry redelivered (and audited) again, and another body under the key was a 202.
  const first = await redeliver({});
  t.equal(first.statusCode, 202, first.body);
  const before = await entries();
  const retry = await redeliver({});
  t.equal(retry.statusCode, 202);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.same(json(retry), json(first));
  t.equal(await entries(), before, 'the retry changed nothing');
  t.equal((await redeliver({ since: '2019-01-01T00:00:00Z' })).statusCode, 422, 'another body under the same key');
});

t.test('a PUT of what is stored changes nothing: same version and ETag, no audit entry', async (t) => {
  const officer = await client('officer', 'GM0363');
  const sent = body({ description: 'zaaksysteem', municipalityCode: 'GM0363' });
  const sub = json<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: officer.auth, payload: sent }));
  const url = `/v1/subscriptions/${sub.id}`;
  const put = (payload: Row, version: number) =>
    app.inject({ method: 'PUT', url, headers: { ...officer.auth, 'if-match': `"${version}"` }, payload });
  const entries = async () =>
    (
      (await database.owner.execute(sql`select action from audit_log where object_id = ${sub.id} order by seq`)) as unknown as {
        rows: { action: string }[];
      }
    ).rows.map((r) => r.action);

  const same = await put(sent, 1);
  t.equal(same.statusCode, 200, same.body);
  t.equal(same.headers.etag, '"1"', 'the same version');
  t.equal(json(same).version, 1);
  const omitted = await put(body(), 1); // an officer's subscription stays for its municipality; status stays active
  t.equal(omitted.statusCode, 200, omitted.body);
  t.equal(json(omitted).version, 2, 'the description left out is removed: a change');
  t.same(await entries(), ['create', 'update'], 'no audit entry for the change of nothing');
  const again = await put(body(), 2);
  t.same([again.statusCode, again.headers.etag], [200, '"2"'], 'the same again: nothing');
  t.same(await entries(), ['create', 'update']);
  const { statusCode } = await app.inject({
    method: 'DELETE',
    url,
    headers: { ...officer.auth, 'if-match': '"2"', 'x-audit-reason': 'test clean-up' },
  });
  t.equal(statusCode, 204);
});

t.test('a PUT of what GET returned is accepted; a changed read-only field is named with the other issues', async (t) => {
  const officer = await client('officer', 'GM0363');
  const sub = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: officer.auth, payload: body({ status: 'disabled' }) }),
  );
  const url = `/v1/subscriptions/${sub.id}`;
  const read = json<Row>(await app.inject({ url, headers: officer.auth }));
  const put = (payload: Row, version: number) =>
    app.inject({ method: 'PUT', url, headers: { ...officer.auth, 'if-match': `"${version}"` }, payload });

  const asRead = await put(read, 1);
  t.equal(asRead.statusCode, 200, asRead.body);
  t.same(json(asRead), read, 'nothing changed: the same record and version');
  const enabled = await put({ ...read, status: 'active' }, 1);
  t.equal(enabled.statusCode, 200, enabled.body);
  t.match(
    json(enabled),
    { status: 'active', disabledAt: null, disabledReason: null, version: 2 },
    're-enabled from its read representation',
  );

  const wrong = await put(
    { ...json<Row>(enabled), id: '00000000-0000-4000-8000-000000000000', callbackUrl: 'http://elsewhere.example/x' },
    2,
  );
  t.equal(wrong.statusCode, 400, wrong.body);
  t.same(
    json<{ invalidParams: { name: string; code: string }[] }>(wrong)
      .invalidParams.map((p) => `${p.name}:${p.code}`)
      .sort(),
    ['callbackUrl:https_required', 'id:read_only'],
  );
  const { statusCode } = await app.inject({
    method: 'DELETE',
    url,
    headers: { ...officer.auth, 'if-match': '"2"', 'x-audit-reason': 'test clean-up' },
  });
  t.equal(statusCode, 204);
});

t.test('a subscription’s own rules are listed with the schema’s issues, in one 400', async (t) => {
  const officer = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const names = (res: { body: string }) =>
    json<{ invalidParams: { name: string; code: string }[] }>(res)
      .invalidParams.map((p) => `${p.name}:${p.code}`)
      .sort();
  const post = (auth: { authorization: string }, payload: Row) =>
    app.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth, payload });

  const officers = await post(
    officer.auth,
    body({ callbackUrl: 'http://hooks.example/x', municipalityCode: 'GM0599', description: 'a\tb' }),
  );
  t.equal(officers.statusCode, 400, officers.body);
  t.same(names(officers), ['callbackUrl:https_required', 'description:control_character', 'municipalityCode:not_your_municipality']);
  const analysts = await post(analyst.auth, body({ description: 7 }));
  t.equal(analysts.statusCode, 400, analysts.body);
  t.same(names(analysts), ['description:invalid_type', 'eventTypes.0:not_for_analysts']);
  const control = await post(officer.auth, body({ callbackUrl: 'http://hooks.example/\u0000', description: 'a\tb' }));
  t.same(names(control), ['callbackUrl:control_character', 'description:control_character'], 'one entry per field');
  const repeated = await post(officer.auth, body({ eventTypes: [`${P}.licence.created`, `${P}.licence.created`] }));
  t.equal(repeated.statusCode, 400, 'an event type listed twice is refused, as a repeated ground or programme is');
  t.same(names(repeated), ['eventTypes:duplicate']);

  const sub = json<{ id: string }>(await post(officer.auth, body()));
  const put = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${sub.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: body({ callbackUrl: 'https://hooks.example/x#frag', status: 'paused' }),
  });
  t.equal(put.statusCode, 400, put.body);
  t.same(names(put), ['callbackUrl:fragment_in_url', 'status:invalid_value'], 'a PUT too');
  const { statusCode } = await app.inject({
    method: 'DELETE',
    url: `/v1/subscriptions/${sub.id}`,
    headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'test clean-up' },
  });
  t.equal(statusCode, 204);
});

t.test('a PUT that leaves status out keeps the status the subscription has, as the contract says', async (t) => {
  const officer = await client('officer', 'GM0363');
  const sub = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: officer.auth, payload: body({ status: 'disabled' }) }),
  );
  const put = await replace(officer.auth, sub.id, 1, body({ description: 'new text' }));
  t.equal(put.statusCode, 200, put.body);
  t.match(
    json(put),
    { status: 'disabled', description: 'new text', version: 2 },
    'still disabled: a PUT re-enables only when it says active',
  );
  const removed = await app.inject({
    method: 'DELETE',
    url: `/v1/subscriptions/${sub.id}`,
    headers: { ...officer.auth, 'if-match': '"2"', 'x-audit-reason': 'test clean-up' },
  });
  t.equal(removed.statusCode, 204);
});

t.test('the delivery log filters by outcome, the name of the field it filters on; status stays, deprecated', async (t) => {
  const officer = await client('officer', 'GM0363');
  const sub = json<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: officer.auth, payload: body() }));
  const url = `/v1/subscriptions/${sub.id}/deliveries`;
  const get = (query: string) => app.inject({ url: `${url}?${query}`, headers: officer.auth });
  const byOutcome = await get('outcome=failed');
  t.equal(byOutcome.statusCode, 200, byOutcome.body);
  t.equal((await get('status=failed')).statusCode, 200, 'the former name still answers');
  t.equal((await get('outcome=failed&status=failed')).statusCode, 200, 'both, the same: one filter');
  const both = await get('outcome=failed&status=succeeded');
  t.equal(both.statusCode, 400, 'two different outcomes: which one?');
  t.same(
    json<{ invalidParams: { name: string; code: string }[] }>(both).invalidParams.map((p) => `${p.name}:${p.code}`),
    ['status:duplicate'],
  );
  const doc = json<{ paths: Record<string, Record<string, { parameters: { name: string; in: string; deprecated?: boolean }[] }>> }>(
    await app.inject({ url: '/v1/openapi.json' }),
  );
  const query = Object.fromEntries(
    (doc.paths['/subscriptions/{id}/deliveries']?.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]),
  );
  t.ok(query.outcome, 'the document declares outcome');
  t.equal(query.status?.deprecated, true, 'and status as deprecated');
});

t.test(
  'a callback on a private-network address the operator does not allow is a 400 (private_network_refused), on POST and PUT',
  async (t) => {
    const officer = await client('officer', 'GM0363');
    const post = (payload: Row) => app.inject({ method: 'POST', url: '/v1/subscriptions', headers: officer.auth, payload });
    const problem = (res: { body: string }) => json<{ status: number; invalidParams: { name: string; code: string }[] }>(res);
    for (const callbackUrl of [
      'https://10.1.2.3/hook',
      'https://[fd00::2]:8443/hook',
      'https://192.168.0.10/hook',
      'https://[::ffff:10.1.2.3]/',
    ]) {
      const res = await post(body({ callbackUrl }));
      t.equal(res.statusCode, 400, `${callbackUrl}: ${res.body}`);
      t.match(res.headers['content-type'], /^application\/problem\+json/);
      t.same(
        problem(res).invalidParams.map((p) => `${p.name}:${p.code}`),
        ['callbackUrl:private_network_refused'],
      );
    }
    for (const [callbackUrl, code] of [
      ['https://169.254.169.254/', 'address_refused'],
      ['https://[fe80::1]/hook', 'address_refused'],
      ['https://zaken.gemeente.example:0/hook', 'invalid_port'],
    ]) {
      const res = await post(body({ callbackUrl }));
      t.equal(res.statusCode, 400, `${callbackUrl}: ${res.body}`);
      t.same(
        problem(res).invalidParams.map((p) => `${p.name}:${p.code}`),
        [`callbackUrl:${code}`],
        `${callbackUrl}: never called, so refused when made, whatever the settings`,
      );
    }
    const withSchemaIssue = await post(body({ callbackUrl: 'https://10.1.2.3/hook', description: 7 }));
    t.same(
      problem(withSchemaIssue)
        .invalidParams.map((p) => `${p.name}:${p.code}`)
        .sort(),
      ['callbackUrl:private_network_refused', 'description:invalid_type'],
      'listed with the schema’s issues',
    );

    const inRange = await post(body({ callbackUrl: 'https://10.20.0.5/hook' }));
    t.equal(inRange.statusCode, 201, `inside the listed range: ${inRange.body}`);
    const sub = json<{ id: string }>(inRange);
    const put = await replace(officer.auth, sub.id, 1, body({ callbackUrl: 'https://172.16.5.5/hook' }));
    t.equal(put.statusCode, 400, put.body);
    t.same(
      problem(put).invalidParams.map((p) => `${p.name}:${p.code}`),
      ['callbackUrl:private_network_refused'],
      'a PUT too',
    );
    const { statusCode } = await app.inject({
      method: 'DELETE',
      url: `/v1/subscriptions/${sub.id}`,
      headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'test clean-up' },
    });
    t.equal(statusCode, 204);
  },
);

t.test('a loopback callback is a 400 (loopback_refused) unless its host is listed for plain http, as the sender judges it', async (t) => {
  const officer = await client('officer', 'GM0363');
  const post = (callbackUrl: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: officer.auth,
      payload: { callbackUrl, eventTypes: ['nl.overheid.handhavingsregister.establishment.created'] },
    });
  // The setting allows 127.0.0.0/8, but only 127.0.0.1 is listed: the sender would refuse every delivery to the others.
  for (const callbackUrl of [
    'https://127.0.0.2/hook',
    'https://[::ffff:127.0.0.1]/hook',
    'https://localhost/hook',
    'https://a.localhost/',
  ]) {
    const res = await post(callbackUrl);
    t.same(
      [res.statusCode, json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams?.map((p) => `${p.name}:${p.code}`)],
      [400, ['callbackUrl:loopback_refused']],
      `${callbackUrl}: refused when made, not acknowledged and then never delivered`,
    );
  }
  const listed = await post('http://127.0.0.1:9/hook');
  t.equal(listed.statusCode, 201, `the listed host: ${listed.body}`);
});

t.test('a rotation or redelivery may leave its body out: every member has a default, and none is {}', async (t) => {
  const admin = await client('admin');
  const sub = json<{ id: string }>(await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: admin.auth, payload: body() }));
  const post = (path: string, headers: Record<string, string>, payload?: string) =>
    app.inject({ method: 'POST', url: `/v1/subscriptions/${sub.id}/${path}`, headers: { ...admin.auth, ...headers }, payload });

  // No body and no Content-Type, as `curl -X POST` sends it: the rotation keeps the old secret for the default 24 hours.
  const before = Date.now();
  const bare = await post('secrets', { 'if-match': '"1"' });
  t.equal(bare.statusCode, 200, bare.body);
  const expires = Date.parse(json<{ previousSecretExpiresAt: string }>(bare).previousSecretExpiresAt);
  t.ok(expires >= before + 24 * 3600_000 - 1000 && expires <= Date.now() + 24 * 3600_000, 'previousSecretValidHours is 24');
  // An empty body with a JSON Content-Type, as many clients send one, is no body too.
  const empty = await post('secrets', { 'if-match': '"2"', 'content-type': 'application/json' }, '');
  t.equal(empty.statusCode, 200, empty.body);
  t.equal(empty.headers.etag, '"3"');
  // Still checked: If-Match first (428), then what a body holds; JSON null is not "no body".
  t.equal((await post('secrets', {})).statusCode, 428);
  const nullBody = await post('secrets', { 'if-match': '"3"', 'content-type': 'application/json' }, 'null');
  t.equal(nullBody.statusCode, 400, nullBody.body);
  t.equal(
    (await post('secrets', { 'if-match': '"3"', 'content-type': 'application/json' }, '{"previousSecretValidHours":999}')).statusCode,
    400,
  );

  const redelivered = await post('redeliveries', {});
  t.equal(redelivered.statusCode, 202, redelivered.body);
  t.equal((await post('redeliveries', { 'content-type': 'application/json' }, '')).statusCode, 202);
});

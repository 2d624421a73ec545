import { randomUUID } from 'node:crypto';
import { count, eq, sql } from 'drizzle-orm';
import t from 'tap';
import { auditLog, enforcementActions, establishments } from '../../src/infrastructure/db/schema.js';
import { idempotencyKeys } from '../../src/infrastructure/db/schema-idempotency.js';
import { purgeExpiredIdempotencyKeys } from '../../src/infrastructure/idempotency.js';
import { build, json, newSigningKey, sample, usingPostgres } from '../support/helper.js';

t.test('Idempotency-Key on creates', async (t) => {
  const { app, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const other = await client('officer', 'GM0363');
  const db = database.owner;
  const rows = async () => (await db.select({ n: count() }).from(establishments))[0]?.n;
  const keys = async () => (await db.select({ n: count() }).from(idempotencyKeys))[0]?.n;
  const post = (headers: Record<string, string>, payload: unknown, url = '/v1/establishments') =>
    app.inject({ method: 'POST', url, headers, payload: payload as Record<string, unknown> });

  const key = randomUUID();
  const first = await post({ ...officer.auth, 'idempotency-key': key }, sample.establishment());
  t.equal(first.statusCode, 201, first.body);
  t.equal(first.headers['idempotent-replayed'], undefined);
  const again = await post({ ...officer.auth, 'idempotency-key': key }, sample.establishment());
  t.equal(again.statusCode, 201);
  t.equal(again.body, first.body, 'the retry answers the same body');
  t.equal(again.headers.location, first.headers.location);
  t.equal(again.headers.etag, first.headers.etag);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.match(again.headers['content-type'], /application\/json/);
  t.equal(await rows(), 1, 'the retry created nothing');
  t.equal((await db.select({ n: count() }).from(auditLog).where(eq(auditLog.objectType, 'establishment')))[0]?.n, 1);

  const quoted = await post({ ...officer.auth, 'idempotency-key': `"${key}"` }, sample.establishment());
  t.equal(quoted.body, first.body, 'a quoted key (structured-field string) is the same key');

  const changed = await post({ ...officer.auth, 'idempotency-key': key }, sample.establishment('GM0363', { name: 'Other' }));
  t.equal(changed.statusCode, 422);
  t.match(changed.headers['content-type'], /application\/problem\+json/);
  t.match(json(changed), { status: 422, code: 'idempotency-key-reused' });
  t.equal(await rows(), 1);

  const otherPath = await post(
    { ...officer.auth, 'idempotency-key': key },
    sample.action(json(first).id as string),
    '/v1/enforcement-actions',
  );
  t.equal(otherPath.statusCode, 422, 'the same key on another operation is another request');
  t.equal((await db.select({ n: count() }).from(enforcementActions))[0]?.n, 0);

  const otherClient = await post({ ...other.auth, 'idempotency-key': key }, sample.establishment());
  t.equal(otherClient.statusCode, 201, 'keys are scoped per client');
  t.not(json(otherClient).id, json(first).id);
  t.equal(await rows(), 2);

  const noKey1 = await post(officer.auth, sample.establishment());
  const noKey2 = await post(officer.auth, sample.establishment());
  t.not(json(noKey1).id, json(noKey2).id, 'without a key every POST creates');

  const bad = await post({ ...officer.auth, 'idempotency-key': 'x'.repeat(256) }, sample.establishment());
  t.equal(bad.statusCode, 400);
  t.match(json(bad), { invalidParams: [{ name: 'idempotency-key' }] });

  // A create that fails rolls back its key too: nothing is stored, the corrected retry creates.
  const keysBefore = await keys();
  const failKey = randomUUID();
  const failed = await post({ ...officer.auth, 'idempotency-key': failKey }, sample.action(randomUUID()), '/v1/enforcement-actions');
  t.equal(failed.statusCode, 400);
  t.equal(await keys(), keysBefore, 'a failed create stores no key');
  const fixed = await post(
    { ...officer.auth, 'idempotency-key': failKey },
    sample.action(json(first).id as string),
    '/v1/enforcement-actions',
  );
  t.equal(fixed.statusCode, 201, fixed.body);

  // Expiry: an expired key no longer replays, and the purge removes it.
  await db
    .update(idempotencyKeys)
    .set({ expiresAt: new Date(Date.now() - 1000) })
    .where(eq(idempotencyKeys.key, key));
  const afterExpiry = await post({ ...officer.auth, 'idempotency-key': key }, sample.establishment());
  t.equal(afterExpiry.statusCode, 201);
  t.not(json(afterExpiry).id, json(first).id, 'an expired key creates anew');
  t.equal(afterExpiry.headers['idempotent-replayed'], undefined);
  await db.update(idempotencyKeys).set({ expiresAt: new Date(Date.now() - 1000) });
  t.ok((await purgeExpiredIdempotencyKeys(db)) >= 3);
  t.equal(await keys(), 0);
});

t.test('an API client token is never stored for a replay', async (t) => {
  const { app, database, client } = await build(t);
  const admin = await client('admin');
  const key = randomUUID();
  const body = { name: 'case system', role: 'analyst', municipalityCode: null };
  const first = await app.inject({
    method: 'POST',
    url: '/v1/api-clients',
    headers: { ...admin.auth, 'idempotency-key': key },
    payload: body,
  });
  t.equal(first.statusCode, 201, first.body);
  const token = json(first).token as string;
  const [row] = await database.owner.select().from(idempotencyKeys);
  t.notOk(row?.responseBody.includes(token), 'the stored response has no token');
  const again = await app.inject({
    method: 'POST',
    url: '/v1/api-clients',
    headers: { ...admin.auth, 'idempotency-key': key },
    payload: body,
  });
  t.equal(again.statusCode, 409);
  t.match(json(again), { code: 'idempotent-replay-withheld' });
  t.equal(again.headers.location, first.headers.location);
  const list = await app.inject({ url: '/v1/api-clients', headers: admin.auth });
  t.equal(json(list).totalItems, 2, 'the retry created no second client');
});

t.test('concurrent duplicates create one record', async (t) => {
  const { app, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const est = json(await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }));
  const key = randomUUID();
  const payload = sample.action(est.id as string);
  const responses = await Promise.all(
    Array.from({ length: 16 }, () =>
      app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: { ...officer.auth, 'idempotency-key': key }, payload }),
    ),
  );
  const statuses = responses.map((r) => r.statusCode);
  t.ok(
    statuses.every((s) => s === 201 || s === 409),
    `only 201 or 409: ${statuses}`,
  );
  const ids = new Set(responses.filter((r) => r.statusCode === 201).map((r) => json(r).id));
  t.equal(ids.size, 1, 'every 201 names the same action');
  for (const r of responses.filter((r) => r.statusCode === 409)) t.match(json(r), { code: 'idempotency-key-in-use' });
  const n = await database.owner.select({ n: count() }).from(enforcementActions);
  t.equal(n[0]?.n, 1, 'one action exists');
  const audits = await database.owner
    .select({ n: count() })
    .from(auditLog)
    .where(sql`${auditLog.objectType} = 'enforcement_action' and ${auditLog.action} = 'create'`);
  t.equal(audits[0]?.n, 1, 'one create in the audit trail');
  if (usingPostgres) t.comment(`statuses on PostgreSQL: ${statuses.join(' ')}`);

  // A retry once all are done replays the one action.
  const later = await app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: { ...officer.auth, 'idempotency-key': key },
    payload,
  });
  t.equal(later.statusCode, 201);
  t.equal(json(later).id, [...ids][0]);
});

t.test('a retry that writes an id in another case is the same request: replayed, not a 422', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const est = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  const headers = { ...officer.auth, 'idempotency-key': randomUUID() };
  const post = (id: string) => app.inject({ method: 'POST', url: `/v1/establishments/${id}/licences`, headers, payload: sample.licence() });
  const first = await post(est.id.toUpperCase());
  t.equal(first.statusCode, 201, first.body);
  const retry = await post(est.id);
  t.equal(retry.statusCode, 201, retry.body);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.equal(retry.body, first.body, 'the first answer again');
  t.equal(retry.headers.location, first.headers.location);
  t.equal(retry.headers.location, `/v1/establishments/${est.id}/licences/${json<{ id: string }>(first).id}`, 'in lower case');
  const licences = json<{ totalItems: number }>(await app.inject({ url: `/v1/establishments/${est.id}/licences`, headers: officer.auth }));
  t.equal(licences.totalItems, 1, 'one licence');
});

t.test('a body sent where none is read, with a key: a 400, never a 500, and nothing signed', async (t) => {
  // POST /audit-trail/checkpoints takes no body. Sent one with a lone surrogate (which canonical JSON
  // refuses) and an Idempotency-Key, it was a 500 (a fuzzing pass); a body there is now refused
  // before the key is looked at (a later pass), whatever canonical JSON would make of it.
  const { app, client } = await build(t, { auditSigningKey: newSigningKey() });
  const admin = await client('admin');
  const sign = (payload: string, key: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/audit-trail/checkpoints',
      headers: { ...admin.auth, 'content-type': 'application/json', 'idempotency-key': key },
      payload,
    });
  const checkpoints = async () =>
    json<{ totalItems: number }>(await app.inject({ url: '/v1/audit-trail/checkpoints', headers: admin.auth })).totalItems;
  const before = await checkpoints();
  for (const [what, body] of [
    ['a lone surrogate', '{"a":"\\ud800"}'],
    ['a number beyond a double', '{"a":1e999}'],
    ['nesting deeper than a serialiser recurses, around a lone surrogate', `${'['.repeat(20_000)}"\\ud800"${']'.repeat(20_000)}`],
  ] as const) {
    const res = await sign(body, 'sign-1');
    t.equal(res.statusCode, 400, `${what}: ${res.body.slice(0, 200)}`);
    t.equal((await sign(body, 'sign-1')).statusCode, 400, `${what}, again under the same key: nothing was stored to replay`);
  }
  t.equal(await checkpoints(), before, 'nothing signed');
  const none = await sign('{}', 'sign-1');
  t.equal(none.statusCode, 201, 'the key is free: {} (no body) under it signs one');
});

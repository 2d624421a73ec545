import { eq, sql } from 'drizzle-orm';
import t from 'tap';
import { buildAppFor } from '../../src/app.js';
import { clientContext } from '../../src/application/context.js';
import { loadConfig } from '../../src/config.js';
import { idempotencyKeys } from '../../src/infrastructure/db/schema-idempotency.js';
import { build, json, newSigningKey } from '../support/helper.js';

/**
 * The POSTs that are not creates (a secret's rotation, an import's cancel, a checkpoint's signing)
 * declare Idempotency-Key as every POST does: a retry with the same key answers the first response
 * again and changes nothing, another request under the key is a 422. Each ignored the key before.
 */

const { app, client, database, services } = await build(t, {
  auditSigningKey: newSigningKey(),
  config: { NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1', PUBLIC_BASE_URL: 'https://registry.example/v1' },
});
const count = async (query: ReturnType<typeof sql>) =>
  ((await database.owner.execute(query)) as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0;
const state = () =>
  Promise.all([
    count(sql`select count(*)::int as n from audit_log`),
    count(sql`select count(*)::int as n from outbox_events`),
    count(sql`select count(*)::int as n from audit_checkpoints`),
  ]);

/** A new subscription of the client's, with its secret. */
const subscribe = async (auth: Record<string, string>) =>
  json<{ id: string; secret: string }>(
    await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: auth,
      payload: {
        callbackUrl: 'https://case-system.example/hooks/registry',
        eventTypes: ['nl.overheid.handhavingsregister.enforcement-action.created'],
      },
    }),
  );

t.test('a secret’s rotation: a retry with the same key rotates nothing again, and its secret is not stored', async (t) => {
  const admin = await client('admin');
  const sub = await subscribe(admin.auth);
  const url = `/v1/subscriptions/${sub.id}/secrets`;
  const rotate = (payload: Record<string, unknown>, key = 'rotate-once') =>
    app.inject({ method: 'POST', url, headers: { ...admin.auth, 'if-match': '"1"', 'idempotency-key': key }, payload });

  const first = await rotate({ previousSecretValidHours: 2 });
  t.equal(first.statusCode, 200, first.body);
  const { secret } = json<{ secret: string }>(first);
  t.not(secret, sub.secret);
  const [row] = await database.owner.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'rotate-once'));
  t.equal(row?.responseStatus, 200, 'stored with the status it answered');
  t.notOk(row?.responseBody.includes(secret), 'the secret shown once is not stored');
  const before = await state();

  // The key was ignored: the retry (same If-Match, same body) rotated again, and the first secret was gone.
  const retry = await rotate({ previousSecretValidHours: 2 });
  t.equal(retry.statusCode, 409, retry.body);
  t.match(json(retry), { code: 'idempotent-replay-withheld', detail: /secret was shown only once/ });
  // What the detail tells a client that lost the secret must work: the same request with a new key
  // is a 412 (its If-Match names the version before the rotation), so it names the current ETag.
  t.match(json(retry), { detail: /new key.*If-Match.*current ETag/ });
  t.equal((await rotate({ previousSecretValidHours: 2 }, 'rotate-once-lost')).statusCode, 412, 'the same request, a new key');
  t.notOk(retry.body.includes(secret));
  t.same(await state(), before, 'no second rotation, audit entry or event');
  const read = json<{ version: number }>(await app.inject({ url: `/v1/subscriptions/${sub.id}`, headers: admin.auth }));
  t.equal(read.version, 2, 'rotated once');

  const other = await rotate({ previousSecretValidHours: 0 });
  t.equal(other.statusCode, 422, 'another body under the same key');
  t.match(json(other), { code: 'idempotency-key-reused' });
  t.same(await state(), before);
});

t.test('a rotation sent with If-None-Match shows its new secret, never a 304', async (t) => {
  // sendResource answered 304 (no body) whenever If-None-Match named the new version, also to a
  // POST: the rotation committed, its secret was shown nowhere, and a retry was the 409 withheld.
  const admin = await client('admin');
  const sub = await subscribe(admin.auth);
  const rotate = (inm: string, key: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/subscriptions/${sub.id}/secrets`,
      headers: { ...admin.auth, 'if-match': '"1"', 'if-none-match': inm, 'idempotency-key': key },
      payload: {},
    });
  // `*` cannot hold beside If-Match (RFC 9110 §13.1.2): refused before anything rotates.
  const refused = await rotate('*', 'rotate-inm-any');
  t.equal(refused.statusCode, 412, 'If-None-Match: *');
  t.match(json(refused), { code: 'version-mismatch', detail: /If-None-Match/ });
  t.notMatch(refused.body, /whsec_/);
  const res = await rotate('"2"', 'rotate-inm-new');
  t.equal(res.statusCode, 200, 'If-None-Match naming the version the rotation makes; If-Match "1" still current');
  t.match(json(res), { version: 2, secret: /^whsec_/ });
  t.equal(res.headers.etag, '"2"');
});

t.test('concurrent rotations with one key rotate once', async (t) => {
  const admin = await client('admin');
  const sub = await subscribe(admin.auth);
  const responses = await Promise.all(
    Array.from({ length: 8 }, () =>
      app.inject({
        method: 'POST',
        url: `/v1/subscriptions/${sub.id}/secrets`,
        headers: { ...admin.auth, 'if-match': '"1"', 'idempotency-key': 'rotate-together' },
        payload: {},
      }),
    ),
  );
  const statuses = responses.map((r) => r.statusCode);
  t.equal(statuses.filter((s) => s === 200).length, 1, `one rotation: ${statuses}`);
  for (const r of responses.filter((r) => r.statusCode !== 200)) {
    t.equal(r.statusCode, 409, r.body);
    t.match(json<{ code: string }>(r).code, /^(idempotency-key-in-use|idempotent-replay-withheld)$/);
  }
  const read = json<{ version: number }>(await app.inject({ url: `/v1/subscriptions/${sub.id}`, headers: admin.auth }));
  t.equal(read.version, 2);
});

t.test('the response stored in the rotation’s own transaction has its status and no Location', async (t) => {
  // What a retry gets when the process stops between the commit and the handler's own bytes: it was a 201
  // with Location /v1/subscriptions/{id}/secrets/{id}, a resource that does not exist.
  const admin = await client('admin');
  const principal = await services.queries.apiClients.authenticate(admin.token);
  if (!principal) throw new Error('no principal');
  const sub = await subscribe(admin.auth);
  const ctx = {
    ...clientContext(principal, { requestId: null, reason: null }),
    idempotency: {
      clientId: principal.clientId,
      key: 'rotate-in-transaction',
      fingerprint: 'f',
      ttlHours: 1,
      withheld: ['secret'],
      stored: false,
      status: 200,
      collection: null,
    },
  };
  const rotated = await services.commands.subscriptions.rotateSecret(ctx, sub.id, 1, 0);
  t.equal(rotated.replayed, false);
  const [row] = await database.owner.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'rotate-in-transaction'));
  t.equal(row?.responseStatus, 200);
  t.same(row?.responseHeaders, { 'content-type': 'application/json; charset=utf-8', etag: '"2"' });
  t.same(row?.withheld, ['secret']);
  t.notOk(row?.responseBody.includes('whsec_'));
});

t.test('a redelivery: a retry with the same key answers the first 202 again and redelivers nothing', async (t) => {
  const admin = await client('admin');
  const sub = await subscribe(admin.auth);
  const redeliver = () =>
    app.inject({
      method: 'POST',
      url: `/v1/subscriptions/${sub.id}/redeliveries`,
      headers: { ...admin.auth, 'idempotency-key': 'redeliver-once' },
      payload: {},
    });
  const first = await redeliver();
  t.equal(first.statusCode, 202, first.body);
  const [row] = await database.owner.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, 'redeliver-once'));
  t.equal(row?.responseStatus, 202, 'stored with the status it answered');
  const before = await state();
  const retry = await redeliver();
  t.equal(retry.statusCode, 202, retry.body);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.equal(retry.body, first.body);
  t.equal(retry.headers.location, undefined);
  t.same(await state(), before, 'no second audit entry or event');
});

t.test('an import’s cancel: a retry with the same key answers the first response again', async (t) => {
  const officer = await client('officer', 'GM0363');
  const upload = async () =>
    json<{ id: string }>(
      await app.inject({
        method: 'POST',
        url: '/v1/imports?recordType=establishments',
        headers: { ...officer.auth, 'content-type': 'text/csv' },
        payload:
          'externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId\r\nE-1,GM0363,Club Rood,club,Kade,1,,1012DK,Amsterdam,,',
      }),
    );
  const job = await upload();
  const cancel = (id: string, payload?: Record<string, unknown>) =>
    app.inject({
      method: 'POST',
      url: `/v1/imports/${id}/cancel`,
      headers: { ...officer.auth, 'idempotency-key': 'cancel-once' },
      payload,
    });

  const first = await cancel(job.id);
  t.equal(first.statusCode, 202, first.body);
  t.match(json(first), { id: job.id, state: 'cancelled' });
  const before = await state();
  // The key was ignored: the retry was a 409 import-finished, not the first answer.
  const retry = await cancel(job.id);
  t.equal(retry.statusCode, 202, retry.body);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.equal(retry.body, first.body, 'the same body');
  t.equal(retry.headers['content-type'], first.headers['content-type']);
  t.equal(retry.headers.location, undefined, 'no Location, as the first had none');
  t.same(await state(), before);

  const another = await upload();
  const otherPath = await cancel(another.id);
  t.equal(otherPath.statusCode, 422, 'the same key for another import’s cancel');
  t.match(json(await app.inject({ url: `/v1/imports/${another.id}`, headers: officer.auth })), { state: 'queued' });
  t.equal((await cancel(job.id, { reason: 'again' })).statusCode, 400, 'a body, which a cancel does not take: refused, key or not');
});

t.test('a checkpoint: a retry with the same key answers the first one and signs no other', async (t) => {
  const admin = await client('admin');
  const sign = (payload?: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/audit-trail/checkpoints', headers: { ...admin.auth, 'idempotency-key': 'sign-once' }, payload });
  const first = await sign();
  t.equal(first.statusCode, 201, first.body);
  const before = await state();
  // The key was ignored: every retry signed another checkpoint.
  const retry = await sign();
  t.equal(retry.statusCode, 201, retry.body);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.equal(retry.body, first.body, 'the same checkpoint');
  t.equal(retry.headers['content-type'], first.headers['content-type']);
  t.equal(retry.headers.location, undefined);
  t.same(await state(), before, 'no second checkpoint');
  t.equal((await sign({ note: 'another' })).statusCode, 400, 'a body, which a checkpoint does not take: refused, key or not');
  t.equal((await sign({})).statusCode, 201, '{} is no body: the same request, replayed');
  t.same(await state(), before);
  const unkeyed = await app.inject({ method: 'POST', url: '/v1/audit-trail/checkpoints', headers: admin.auth });
  t.equal(unkeyed.statusCode, 201);
  t.equal((await state())[2], before[2] + 1, 'without a key each call signs one');

  // The operator switches the signing key off between the request and its retry: the retry still
  // answers the checkpoint that was signed (it used to be a 409 audit-signing-off).
  const keyless = await buildAppFor(database, loadConfig({ LOG_LEVEL: 'silent' }), { auditSigningKey: null });
  t.teardown(() => keyless.app.close());
  const late = await keyless.app.inject({
    method: 'POST',
    url: '/v1/audit-trail/checkpoints',
    headers: { ...admin.auth, 'idempotency-key': 'sign-once' },
  });
  t.equal(late.statusCode, 201, late.body);
  t.equal(late.headers['idempotent-replayed'], 'true');
  t.equal(late.body, first.body, 'the first checkpoint again');
  const off = await keyless.app.inject({
    method: 'POST',
    url: '/v1/audit-trail/checkpoints',
    headers: { ...admin.auth, 'idempotency-key': 'sign-after-off' },
  });
  t.equal(off.statusCode, 409, off.body);
  t.equal(json(off).code, 'audit-signing-off', 'a new key with signing off is refused');
  const reuse = await app.inject({
    method: 'POST',
    url: '/v1/audit-trail/checkpoints',
    headers: { ...admin.auth, 'idempotency-key': 'sign-after-off' },
  });
  t.equal(reuse.statusCode, 201, 'the refused request claimed nothing: its key signs once the key is back');
});

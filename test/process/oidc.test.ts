import t from 'tap';
import { json, sample } from '../support/basics.js';
import { build } from '../support/helper.js';
import { AUDIENCE, type RunningProvider, startProvider, type TestClient, type TestUser } from '../support/oidc.js';
import { webhookReceiver } from '../support/webhook-receiver.js';

/**
 * OpenID Connect bearer JWTs against a real OpenID Provider (oidc-provider) started here on
 * loopback: system and user tokens (RS256 and ES256), the acting person in the audit trail, key
 * rotation without a restart of the registry, and the tokens it must refuse.
 */

t.setTimeout(120_000);

const CLIENTS: TestClient[] = [
  // A case system (zaaksysteem) acting for an officer it names, ZGW style: declared, not verified.
  {
    id: 'zaaksysteem',
    claims: { roles: ['officer'], municipality_code: 'GM0363', user_id: 'j.devries', user_representation: 'J. de Vries' },
  },
  // The municipality's portal, through which officers log in (user tokens), signed ES256.
  { id: 'portal', es256: true },
  { id: 'beheer', claims: { roles: 'admin' } },
  { id: 'no-role', claims: { municipality_code: 'GM0363' } },
  { id: 'no-municipality', claims: { roles: ['officer'] } },
  { id: 'short-lived', ttl: 1, claims: { roles: ['officer'], municipality_code: 'GM0363' } },
  { id: 'other-api', audience: 'urn:another-api', claims: { roles: ['officer'], municipality_code: 'GM0363' } },
];
const USERS: TestUser[] = [
  { sub: 'a.jansen', claims: { roles: ['officer'], municipality_code: 'GM0363', name: 'A. Jansen' } },
  { sub: 'r.deboer', claims: { roles: ['officer'], municipality_code: 'GM0599', name: 'R. de Boer' } },
];

const start = (port?: number) => startProvider({ clients: CLIENTS, users: USERS, ...(port ? { port } : {}) });

t.test('system and user tokens from the trusted provider; the acting person in every audit entry', async (t) => {
  let idp: RunningProvider = await start();
  t.teardown(() => idp.close());
  const issuers = JSON.stringify([{ issuer: idp.issuer, audience: AUDIENCE, jwksCooldownMs: 0 }]);
  const { app } = await build(t, { config: { OIDC_ISSUERS: issuers, OIDC_CLOCK_TOLERANCE_S: '1' } });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  // A system token (client credentials, RS256) that declares the officer it acts for.
  const system = bearer(await idp.systemToken('zaaksysteem'));
  const created = await app.inject({ method: 'POST', url: '/v1/establishments', headers: system, payload: sample.establishment('GM0363') });
  t.equal(created.statusCode, 201, created.body);
  const est = json<{ id: string }>(created);

  // A user token (ES256): the officer herself.
  const user = bearer(await idp.userToken('portal', 'a.jansen'));
  const action = await app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: user, payload: sample.action(est.id) });
  t.equal(action.statusCode, 201, action.body);
  const other = await app.inject({ url: '/v1/establishments?municipalityCode=GM0599', headers: user });
  t.equal(json<{ totalItems: number }>(other).totalItems, 0, 'the municipality claim binds the officer to GM0363');

  const admin = bearer(await idp.systemToken('beheer'));
  const trail = json<{ items: { objectType: string; actor: unknown; clientRole: string }[] }>(
    await app.inject({ url: `/v1/audit-trail?objectType=establishment&objectId=${est.id}`, headers: admin }),
  );
  t.same(trail.items[0]?.actor, { id: 'j.devries', name: 'J. de Vries', verified: false }, 'declared by the system token');
  const byUser = json<{ items: { objectType: string; actor: unknown }[]; totalItems: number }>(
    await app.inject({ url: '/v1/audit-trail?actorId=a.jansen', headers: admin }),
  );
  t.equal(byUser.totalItems, 1, 'the trail is searchable by the acting person');
  t.same(byUser.items[0]?.actor, { id: 'a.jansen', name: 'A. Jansen', verified: true }, 'a user token names its user, verified');
  const verified = json<{ ok: boolean }>(await app.inject({ url: '/v1/audit-trail/verification', headers: admin }));
  t.equal(verified.ok, true, 'the chain with actors verifies');

  // Missing claims: 403, not a guess.
  const noRole = await app.inject({ url: '/v1/establishments', headers: bearer(await idp.systemToken('no-role')) });
  t.equal(noRole.statusCode, 403);
  t.match(json(noRole), { code: 'forbidden', detail: /roles claim/ });
  const noMunicipality = await app.inject({ url: '/v1/establishments', headers: bearer(await idp.systemToken('no-municipality')) });
  t.equal(noMunicipality.statusCode, 403);
  t.match(json(noMunicipality), { detail: /municipality_code/ });

  // Tokens it must refuse: 401.
  const wrongAudience = await app.inject({ url: '/v1/establishments', headers: bearer(await idp.systemToken('other-api')) });
  t.equal(wrongAudience.statusCode, 401, 'another audience');
  t.match(json(wrongAudience), { detail: /aud/ });

  const stranger = await start();
  t.teardown(() => stranger.close());
  const untrusted = await app.inject({ url: '/v1/establishments', headers: bearer(await stranger.systemToken('zaaksysteem')) });
  t.equal(untrusted.statusCode, 401, 'an issuer that is not configured');
  t.match(json(untrusted), { detail: /issuer is not trusted/ });

  const shortLived = bearer(await idp.systemToken('short-lived'));
  t.equal((await app.inject({ url: '/v1/establishments', headers: shortLived })).statusCode, 200, 'valid while fresh');
  await new Promise((r) => setTimeout(r, 2600)); // 1 s lifetime + 1 s tolerance
  const expired = await app.inject({ url: '/v1/establishments', headers: shortLived });
  t.equal(expired.statusCode, 401, 'expired');
  t.match(json(expired), { detail: /expired/ });

  const tampered = `${system.authorization.slice(0, -6)}AAAAAA`;
  t.equal((await app.inject({ url: '/v1/establishments', headers: { authorization: tampered } })).statusCode, 401, 'a broken signature');

  // Key rotation: the provider restarts on the same issuer with new keys; the registry keeps running.
  const oldToken = system;
  const port = idp.port;
  await idp.close();
  idp = await start(port);
  const rotated = bearer(await idp.systemToken('zaaksysteem'));
  t.equal((await app.inject({ url: '/v1/establishments', headers: rotated })).statusCode, 200, 'a token signed with the new key');
  t.equal((await app.inject({ url: '/v1/establishments', headers: oldToken })).statusCode, 401, 'the retired key no longer verifies');
});

t.test('API-client tokens still work, and may declare the acting person (not verified)', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const created = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: { ...officer.auth, 'x-acting-user': 'p.bakker', 'x-acting-user-name': 'P. Bakker' },
    payload: sample.establishment('GM0363'),
  });
  t.equal(created.statusCode, 201, created.body);
  const trail = json<{ items: { actor: unknown }[] }>(await app.inject({ url: '/v1/audit-trail?actorId=p.bakker', headers: admin.auth }));
  t.same(trail.items[0]?.actor, { id: 'p.bakker', name: 'P. Bakker', verified: false });
  const jwtShaped = await app.inject({ url: '/v1/establishments', headers: { authorization: 'Bearer aaaaaaaa.bbbbbbbb.cccccccc' } });
  t.equal(jwtShaped.statusCode, 401, 'a JWT without any trusted issuer configured');
});

t.test('a subscription made with an OpenID Connect token receives its events', async (t) => {
  const idp = await start();
  t.teardown(() => idp.close());
  const receiver = await webhookReceiver();
  t.teardown(() => receiver.close());
  const issuers = JSON.stringify([{ issuer: idp.issuer, audience: AUDIENCE, jwksCooldownMs: 0 }]);
  const { app, services } = await build(t, {
    config: { OIDC_ISSUERS: issuers, NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1', PUBLIC_BASE_URL: 'https://registry.example/v1' },
  });
  const system = { authorization: `Bearer ${await idp.systemToken('zaaksysteem')}` };
  const made = await app.inject({
    method: 'POST',
    url: '/v1/subscriptions',
    headers: system,
    payload: { callbackUrl: receiver.url('case-system'), eventTypes: ['nl.overheid.handhavingsregister.establishment.created'] },
  });
  t.equal(made.statusCode, 201, made.body);
  receiver.accept('case-system', json<{ secret: string }>(made).secret);

  // Its owner is no API client (the id is derived from issuer and client): the fan-out required one, so nothing was ever sent.
  const created = await app.inject({ method: 'POST', url: '/v1/establishments', headers: system, payload: sample.establishment('GM0363') });
  t.equal(created.statusCode, 201, created.body);
  const d = services.notifications.dispatcher({ info: () => {}, warn: () => {}, error: () => {} });
  t.teardown(() => d.stop());
  await d.tick();
  await d.tick();
  t.same(
    receiver.at('case-system').map((r) => r.event.subject),
    [json<{ id: string }>(created).id],
    'the event arrived, signed with the subscription’s secret',
  );
  t.same(receiver.rejected, []);
});

t.test('officers of two municipalities logging in through one application never share an Idempotency-Key', async (t) => {
  const idp = await start();
  t.teardown(() => idp.close());
  const issuers = JSON.stringify([{ issuer: idp.issuer, audience: AUDIENCE, jwksCooldownMs: 0 }]);
  const { app } = await build(t, { config: { OIDC_ISSUERS: issuers } });
  const amsterdam = { authorization: `Bearer ${await idp.userToken('portal', 'a.jansen')}` };
  const rotterdam = { authorization: `Bearer ${await idp.userToken('portal', 'r.deboer')}` };
  const key = { 'idempotency-key': 'establishment-2026-001' };
  const body = sample.establishment('GM0363');
  const first = await app.inject({ method: 'POST', url: '/v1/establishments', headers: { ...amsterdam, ...key }, payload: body });
  t.equal(first.statusCode, 201, first.body);

  // The same key and body from Rotterdam: the portal was one client to the registry, so this was
  // answered from Amsterdam's stored response, an Amsterdam record included.
  const second = await app.inject({ method: 'POST', url: '/v1/establishments', headers: { ...rotterdam, ...key }, payload: body });
  t.not(second.headers['idempotent-replayed'], 'true', 'not a replay of another municipality’s create');
  t.notOk(second.body.includes(json<{ id: string }>(first).id), 'Amsterdam’s record is not shown to Rotterdam');
  t.equal(second.statusCode, 403, 'judged as Rotterdam’s own request: not its municipality');
  const own = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: { ...rotterdam, ...key },
    payload: sample.establishment('GM0599'),
  });
  t.equal(own.statusCode, 201, 'the key is Rotterdam’s to use');
});

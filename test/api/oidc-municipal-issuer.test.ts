import { sql } from 'drizzle-orm';
import t from 'tap';
import { build, json, sample } from '../support/helper.js';
import { jwtIssuer } from '../support/jwt-issuer.js';

/**
 * An issuer configured with a fixed municipalityCode (one Entra tenant per municipality, as
 * docs/identity-providers.md advises) speaks for that municipality only. Its own administrators
 * decide every claim in its tokens, the role included: an admin or analyst token from it would
 * reach every municipality (an admin reads all records and makes officer clients for any
 * municipality), so it is refused as a claim naming another municipality is.
 */

const AUDIENCE = 'urn:enforcement-registry';

t.test('a municipality’s own identity provider makes officers of that municipality, never admins or analysts', async (t) => {
  const amsterdam = await jwtIssuer(AUDIENCE);
  t.teardown(amsterdam.close);
  const { app } = await build(t, {
    config: { OIDC_ISSUERS: JSON.stringify([{ issuer: amsterdam.url, audience: AUDIENCE, municipalityCode: 'GM0363' }]) },
  });
  const bearer = async (roles: string) => ({ authorization: `Bearer ${await amsterdam.token({ roles, client_id: 'portal' })}` });

  const officer = await app.inject({ url: '/v1/establishments', headers: await bearer('officer') });
  t.equal(officer.statusCode, 200, 'its officers work as before');

  const admin = await bearer('admin');
  const rotterdamOfficer = await app.inject({
    method: 'POST',
    url: '/v1/api-clients',
    headers: admin,
    payload: { name: 'minted by Amsterdam’s tenant', role: 'officer', municipalityCode: 'GM0599' },
  });
  t.equal(rotterdamOfficer.statusCode, 403, `no admin from Amsterdam’s tenant makes a Rotterdam officer: ${rotterdamOfficer.body}`);
  t.match(json(rotterdamOfficer), { code: 'forbidden', detail: /GM0363/ });
  t.equal((await app.inject({ url: '/v1/establishments?municipalityCode=GM0599', headers: admin })).statusCode, 403);
  const analyst = await app.inject({ url: '/v1/statistics/enforcement-actions?municipalityCode=GM0599', headers: await bearer('analyst') });
  t.equal(analyst.statusCode, 403, 'nor an analyst who reads every municipality’s figures');
});

t.test('an officer token naming a municipality that is not registered is a 403 naming it, not an empty registry', async (t) => {
  const idp = await jwtIssuer(AUDIENCE);
  t.teardown(idp.close);
  const { app } = await build(t, { config: { OIDC_ISSUERS: JSON.stringify([{ issuer: idp.url, audience: AUDIENCE }]) } });
  const as = async (code: string) => ({
    authorization: `Bearer ${await idp.token({ roles: 'officer', municipality_code: code, client_id: 'zaaksysteem' })}`,
  });

  const registered = await app.inject({ url: '/v1/establishments', headers: await as('GM0363') });
  t.equal(registered.statusCode, 200, 'a registered municipality’s officer works');
  for (const url of ['/v1/establishments', '/v1/statistics/enforcement-actions']) {
    const res = await app.inject({ url, headers: await as('GM9999') });
    t.equal(res.statusCode, 403, `${url}: ${res.body}`);
    t.match(json(res), { code: 'forbidden', detail: /GM9999 is not registered/ });
    t.equal(
      res.headers['www-authenticate'],
      'Bearer realm="enforcement-registry", error="insufficient_scope"',
      'its claims give it no role here',
    );
  }
  // Registered later (an admin adds it): its officers work from then on.
  const admin = await app.inject({
    method: 'POST',
    url: '/v1/municipalities',
    headers: { authorization: `Bearer ${await idp.token({ roles: 'admin', client_id: 'beheer' })}` },
    payload: { code: 'GM9999', name: 'Nieuwe gemeente' },
  });
  t.equal(admin.statusCode, 201, admin.body);
  t.equal((await app.inject({ url: '/v1/establishments', headers: await as('GM9999') })).statusCode, 200, 'once registered: 200');
});

t.test('a user of a municipality’s own identity provider is recorded as sub@municipality, never as a central issuer’s user', async (t) => {
  // Its administrators decide its claims: a subject copied from a central issuer's user (seen in the
  // municipality's own audit trail) must not make its changes that user's, verified.
  const central = await jwtIssuer(AUDIENCE);
  const amsterdam = await jwtIssuer(AUDIENCE);
  t.teardown(central.close);
  t.teardown(amsterdam.close);
  const { app, client } = await build(t, {
    config: {
      OIDC_ISSUERS: JSON.stringify([
        { issuer: central.url, audience: AUDIENCE },
        { issuer: amsterdam.url, audience: AUDIENCE, municipalityCode: 'GM0363' },
      ]),
    },
  });
  const admin = await client('admin');
  const create = async (token: string, name: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/establishments',
      headers: { authorization: `Bearer ${token}` },
      payload: { ...sample.establishment('GM0363'), name },
    });
  const alice = { roles: 'officer', municipality_code: 'GM0363', name: 'Alice', client_id: 'portal' };
  t.equal((await create(await central.token(alice, 'alice'), 'Club Centraal')).statusCode, 201);
  t.equal((await create(await amsterdam.token(alice, 'alice'), 'Club Gemeente')).statusCode, 201);
  const actors = async (actorId: string) =>
    json<{ items: { actor: { id: string; verified: boolean } }[] }>(
      await app.inject({ url: `/v1/audit-trail?actorId=${encodeURIComponent(actorId)}&objectType=establishment`, headers: admin.auth }),
    ).items.map((i) => i.actor);
  t.same(await actors('alice'), [{ id: 'alice', name: 'Alice', verified: true }], 'the central issuer’s user: her change only');
  t.same(await actors('alice@GM0363'), [{ id: 'alice@GM0363', name: 'Alice', verified: true }], 'the municipality’s: its own id');
});

t.test('a name or subject a token sends cut in half, or with half a character, still writes: a 201, never a 500', async (t) => {
  // An identity review: 254 units and an emoji, cut at 255, left half a surrogate pair, which the audit hash
  // refused: every write of that user was a 500. A JWT's JSON may also escape a lone surrogate outright.
  const idp = await jwtIssuer(AUDIENCE);
  t.teardown(idp.close);
  const { app, database } = await build(t, {
    config: { OIDC_ISSUERS: JSON.stringify([{ issuer: idp.url, audience: AUDIENCE, municipalityCode: 'GM0363' }]) },
  });
  // Cut at 255 UTF-16 units (a subject at 255 less its `@GM0363`, 248): these end in an emoji across the cut.
  const long = (c: string, before: number) => `${c.repeat(before)}\u{1F600}`;
  for (const [claims, person] of [
    [
      { sub: 'p.bakker', name: long('a', 254) },
      { id: 'p.bakker@GM0363', name: 'a'.repeat(254) },
    ],
    [{ sub: long('s', 247) }, { id: `${'s'.repeat(247)}@GM0363`, name: null }],
    [
      { sub: 'p.bakker', name: 'Bob\ud800' },
      { id: 'p.bakker@GM0363', name: null },
    ],
    [{ sub: 'p.\udc00bakker', name: 'Bob' }, null],
  ] as const) {
    const { sub, ...rest } = claims as { sub: string; name?: string };
    const token = await idp.token({ roles: 'officer', client_id: 'portal', ...rest }, sub);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/establishments',
      headers: { authorization: `Bearer ${token}` },
      payload: sample.establishment(),
    });
    t.equal(res.statusCode, 201, `${JSON.stringify(claims).slice(-40)}: ${res.body.slice(0, 200)}`);
    const id = json<{ id: string }>(res).id;
    const rows = (await database.owner.execute(sql`select actor_id, actor_name from audit_log where object_id = ${id}`)) as unknown as {
      rows: { actor_id: string | null; actor_name: string | null }[];
    };
    const [entry] = rows.rows;
    t.same(
      entry ? (entry.actor_id === null ? null : { id: entry.actor_id, name: entry.actor_name }) : 'no entry',
      person,
      'the person the trail names',
    );
  }
});

t.test('a token good for years is good for a day from its iat at most; one issued in the future, or without iat, not at all', async (t) => {
  // An identity review: exp a century ahead and iat fifty years ahead were both accepted. A token from an
  // identity provider cannot be revoked here, so its lifetime is the registry's to bound (OIDC_MAX_TOKEN_AGE_S).
  const idp = await jwtIssuer(AUDIENCE);
  t.teardown(idp.close);
  const { app } = await build(t, {
    config: { OIDC_ISSUERS: JSON.stringify([{ issuer: idp.url, audience: AUDIENCE, municipalityCode: 'GM0363' }]) },
  });
  const now = Math.floor(Date.now() / 1000);
  const century = now + 100 * 365 * 86_400;
  const answer = async (claims: Record<string, unknown>) => {
    const token = await idp.token({ roles: 'officer', client_id: 'portal', ...claims });
    const res = await app.inject({ url: '/v1/establishments', headers: { authorization: `Bearer ${token}` } });
    return [
      res.statusCode,
      res.statusCode === 200 ? null : json<{ detail: string }>(res).detail.replace(/^The token is not accepted: |\.$/g, ''),
    ];
  };
  t.same(await answer({ exp: century }), [200, null], 'issued now, good for a century: accepted today');
  t.same(await answer({ iat: now - 86_400 + 120, exp: century }), [200, null], 'issued not quite a day ago: accepted');
  t.same(await answer({ iat: now - 86_400 - 120, exp: century }), [401, 'the token is older than accepted here'], 'a day and more');
  t.same(await answer({ iat: now + 50 * 365 * 86_400, exp: century }), [401, 'the token’s iat claim is not accepted'], 'issued in 2076');
  t.same(await answer({ iat: now + 20 }), [200, null], 'a few seconds ahead: the clock tolerance');
  t.same(await answer({ iat: null }), [401, 'the token’s iat claim is not accepted'], 'no iat: its age unknown');
});

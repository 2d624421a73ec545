import { sql } from 'drizzle-orm';
import t from 'tap';
import { BOOTSTRAP_ADMIN_NAME } from '../../src/application/commands/api-clients.js';
import { systemContext } from '../../src/application/context.js';
import { hashToken } from '../../src/infrastructure/repositories/api-clients.js';
import { build, json } from '../support/helper.js';

const rowsOf = (r: unknown) => (r as { rows: Record<string, unknown>[] }).rows;

t.test('api clients: the token is returned once and only its hash is stored', async (t) => {
  const { app, client, database } = await build(t);
  const admin = await client('admin');
  const created = await app.inject({
    method: 'POST',
    url: '/v1/api-clients',
    headers: admin.auth,
    payload: { name: 'Amsterdam zaaksysteem', role: 'officer', municipalityCode: 'GM0363' },
  });
  t.equal(created.statusCode, 201, created.body);
  const body = json<{ id: string; token: string; role: string; municipalityCode: string; revokedAt: null; version: number }>(created);
  t.match(body, { role: 'officer', municipalityCode: 'GM0363', revokedAt: null, version: 1 });
  t.match(body.token, /^[\x21-\x7e]{32,}$/, 'a long printable token');
  t.equal(created.headers.location, `/v1/api-clients/${body.id}`);

  const token = { authorization: `Bearer ${body.token}` };
  t.equal((await app.inject({ url: '/v1/establishments', headers: token })).statusCode, 200, 'the token works at once');
  t.equal((await app.inject({ url: '/v1/api-clients', headers: token })).statusCode, 403, 'as an officer');

  const list = await app.inject({ url: '/v1/api-clients?pageSize=100', headers: admin.auth });
  t.notOk(list.body.includes(body.token), 'the list does not show the token');
  t.notMatch(list.body, /"token"/);
  const one = await app.inject({ url: `/v1/api-clients/${body.id}`, headers: admin.auth });
  t.equal(one.statusCode, 200);
  t.notOk(one.body.includes(body.token), 'a read does not show the token');
  t.notOk('token' in json(one));

  const stored = rowsOf(await database.owner.execute(sql`select * from api_clients where id = ${body.id}`));
  t.equal(stored.length, 1);
  t.equal(stored[0]?.token_hash, hashToken(body.token), 'its SHA-256 is stored');
  t.notOk(JSON.stringify(stored).includes(body.token), 'the token itself is stored nowhere in the row');
  const audit = rowsOf(await database.owner.execute(sql`select * from audit_log`));
  t.ok(audit.length > 0);
  t.notOk(JSON.stringify(audit).includes(body.token), 'nor in the audit trail');
  t.notOk(JSON.stringify(audit).includes(hashToken(body.token)), 'nor its hash');
});

t.test('api clients: officers need a municipality, others may not have one', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const post = (payload: Record<string, unknown>) => app.inject({ method: 'POST', url: '/v1/api-clients', headers: admin.auth, payload });
  const cases: [Record<string, unknown>, string][] = [
    [{ name: 'x', role: 'officer' }, 'municipalityCode:required_for_officer'],
    [{ name: 'x', role: 'officer', municipalityCode: null }, 'municipalityCode:required_for_officer'],
    [{ name: 'x', role: 'analyst', municipalityCode: 'GM0363' }, 'municipalityCode:only_for_officer'],
    [{ name: 'x', role: 'officer', municipalityCode: 'GM9999' }, 'municipalityCode:unknown_municipality'],
    [{ name: 'x', role: 'superuser' }, 'role:invalid_value'],
    [{ name: '', role: 'admin' }, 'name:too_small'],
  ];
  for (const [payload, expected] of cases) {
    const res = await post(payload);
    t.equal(res.statusCode, 400, JSON.stringify(payload));
    t.same(
      json<{ invalidParams: { name: string; code: string }[] }>(res).invalidParams.map((p) => `${p.name}:${p.code}`),
      [expected],
    );
  }
  t.match(json(await app.inject({ url: '/v1/api-clients', headers: admin.auth })), { totalItems: 1 }, 'only the admin exists');
  t.equal((await post({ name: 'ministry BI', role: 'analyst' })).statusCode, 201);
  t.equal((await post({ name: 'ops', role: 'admin', municipalityCode: null })).statusCode, 201);

  // With a schema issue beside it, the role's rule was left for the next try: only name:too_small was listed.
  for (const [payload, expected] of [
    [{ name: '', role: 'officer' }, ['municipalityCode:required_for_officer', 'name:too_small']],
    [{ name: '\u0000', role: 'analyst', municipalityCode: 'GM0363' }, ['municipalityCode:only_for_officer', 'name:control_character']],
  ] as const) {
    const res = await post(payload);
    t.same(
      [
        res.statusCode,
        json<{ invalidParams: { name: string; code: string }[] }>(res)
          .invalidParams.map((p) => `${p.name}:${p.code}`)
          .sort(),
      ],
      [400, expected],
      JSON.stringify(payload),
    );
  }
});

t.test('api clients: revocation makes the token 401 at once', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const officer = await client('officer', 'GM0599');
  t.equal((await app.inject({ url: '/v1/establishments', headers: officer.auth })).statusCode, 200);
  const url = `/v1/api-clients/${officer.id}`;
  t.equal((await app.inject({ method: 'DELETE', url, headers: admin.auth })).statusCode, 428, 'If-Match required');
  t.equal((await app.inject({ method: 'DELETE', url, headers: { ...admin.auth, 'if-match': '"9"' } })).statusCode, 412);
  const revoked = await app.inject({ method: 'DELETE', url, headers: { ...admin.auth, 'if-match': '"1"' } });
  t.equal(revoked.statusCode, 200);
  t.match(json(revoked), { id: officer.id, version: 2, revokedAt: /^\d{4}-\d\d-\d\dT/ });
  const after = await app.inject({ url: '/v1/establishments', headers: officer.auth });
  t.equal(after.statusCode, 401);
  t.match(json(after), { status: 401, code: 'unauthorized' });
  t.match(json(await app.inject({ url, headers: admin.auth })), { revokedAt: /^\d{4}/ }, 'still listed, with revokedAt');
  const again = await app.inject({ method: 'DELETE', url, headers: { ...admin.auth, 'if-match': '"2"' } });
  t.equal(again.statusCode, 409);
  t.equal(
    (
      await app.inject({
        method: 'DELETE',
        url: '/v1/api-clients/00000000-0000-4000-8000-000000000000',
        headers: { ...admin.auth, 'if-match': '"1"' },
      })
    ).statusCode,
    404,
  );
});

t.test('api clients: instances starting together make one bootstrap admin', async (t) => {
  // On PostgreSQL these transactions run at once, as two instances starting on one database do.
  const { database, services } = await build(t);
  const token = 'bootstrap-together-0123456789-abcdefghij';
  const starts = Array.from({ length: 4 }, (_, i) =>
    services.commands.apiClients.ensureBootstrapAdmin(systemContext(`instance ${i} start-up`), token),
  );
  const outcomes = await Promise.allSettled(starts);
  t.same(
    outcomes.map((o) => o.status),
    ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
    'every start-up succeeds',
  );
  const rows = rowsOf(await database.owner.execute(sql`select token_hash from api_clients`));
  t.same(
    rows.map((r) => r.token_hash),
    [hashToken(token)],
    'one admin, holding the token',
  );
});

t.test('api clients: first starts together print one admin token', async (t) => {
  const { database, services } = await build(t);
  const made = await Promise.all(
    Array.from({ length: 4 }, (_, i) => services.commands.apiClients.ensureFirstAdmin(systemContext(`first start ${i}`))),
  );
  t.equal(made.filter((m) => m !== null).length, 1, 'one start makes the admin; the others find it');
  const rows = rowsOf(await database.owner.execute(sql`select count(*)::int as n from api_clients where role = 'admin'`));
  t.equal(rows[0]?.n, 1);
});

t.test('api clients: REGISTRY_ADMIN_TOKEN registers (and re-keys) the bootstrap admin', async (t) => {
  const { app, database, services } = await build(t);
  const first = 'bootstrap-secret-0123456789-abcdefghij';
  const second = 'bootstrap-secret-9876543210-zyxwvutsrq';
  const bearer = (tok: string) => ({ authorization: `Bearer ${tok}` });
  t.equal((await app.inject({ url: '/v1/api-clients', headers: bearer(first) })).statusCode, 401, 'unknown before start-up');

  await services.commands.apiClients.ensureBootstrapAdmin(systemContext('test start-up'), first);
  const list = await app.inject({ url: '/v1/api-clients', headers: bearer(first) });
  t.equal(list.statusCode, 200, 'the bootstrap admin can manage clients');
  t.match(json(list), { totalItems: 1, items: [{ name: BOOTSTRAP_ADMIN_NAME, role: 'admin', municipalityCode: null }] });

  await services.commands.apiClients.ensureBootstrapAdmin(systemContext('test restart'), first);
  t.match(
    json(await app.inject({ url: '/v1/api-clients', headers: bearer(first) })),
    { totalItems: 1, items: [{ version: 1 }] },
    'a restart with the same token changes nothing',
  );

  await services.commands.apiClients.ensureBootstrapAdmin(systemContext('test re-key'), second);
  t.equal((await app.inject({ url: '/v1/api-clients', headers: bearer(first) })).statusCode, 401, 'the old token stops working');
  t.match(json(await app.inject({ url: '/v1/api-clients', headers: bearer(second) })), { totalItems: 1, items: [{ version: 2 }] });
  const stored = rowsOf(await database.owner.execute(sql`select token_hash from api_clients`));
  t.same(
    stored.map((r) => r.token_hash),
    [hashToken(second)],
  );
});

import { randomUUID } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import t from 'tap';
import { connectionRole, type Db, type Tx } from '../../src/infrastructure/db/client.js';
import { APP_DB_ROLE, readWithTenant, type TenantScope, withTenant } from '../../src/infrastructure/db/tenant.js';
import { trailOf, trailOfEstablishment } from '../../src/infrastructure/repositories/audit-trail.js';
import { listLicences } from '../../src/infrastructure/repositories/licences.js';
import { build, json, sample, usingPostgres } from '../support/helper.js';

/**
 * Row-level security, tried from outside the repositories: raw SQL without the application's WHERE
 * clauses, on the service's own connection (on PostgreSQL in CI a plain login role, as in production).
 */
const rows = async <T>(q: Tx | Db, query: SQL): Promise<T[]> => ((await q.execute(query)) as unknown as { rows: T[] }).rows;
const codes = (r: { municipality_code: string }[]) => r.map((x) => x.municipality_code).sort();

/** The database's own error message, not drizzle's "Failed query" wrapper. */
const cause = (err: unknown) => ((err as { cause?: Error }).cause ?? (err as Error)).message;
const refused = (p: Promise<unknown>) =>
  p.then(
    () => 'accepted',
    (e) => cause(e),
  );

const OFFICER: TenantScope = { kind: 'municipality', code: 'GM0363' };

/** Two municipalities, each with an establishment and an action, made through the API. */
async function twoMunicipalities(t: Parameters<typeof build>[0]) {
  const ctx = await build(t);
  const ids: Record<string, { officer: string; establishment: string; action: string }> = {};
  for (const code of ['GM0363', 'GM0599']) {
    const officer = await ctx.client('officer', code);
    const est = json(
      await ctx.app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment(code) }),
    );
    const act = await ctx.app.inject({
      method: 'POST',
      url: '/v1/enforcement-actions',
      headers: officer.auth,
      payload: sample.action(est.id as string),
    });
    if (act.statusCode !== 201) throw new Error(`set-up: ${act.statusCode} ${act.body}`);
    ids[code] = { officer: officer.id, establishment: est.id as string, action: json(act).id as string };
  }
  return { ...ctx, ids };
}

t.test(
  `an officer's transaction sees only its municipality, whatever the query (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`,
  async (t) => {
    const { database } = await twoMunicipalities(t);
    const seen = await withTenant(database.db, OFFICER, async (tx) => ({
      user: (await rows<{ u: string }>(tx, sql`select current_user as u`))[0]?.u,
      establishments: await rows<{ municipality_code: string }>(tx, sql`select * from establishments`),
      actions: await rows<{ municipality_code: string }>(tx, sql`select * from enforcement_actions`),
      licences: await rows<{ municipality_code: string }>(tx, sql`select * from licences where municipality_code = 'GM0599'`),
    }));
    t.equal(seen.user, APP_DB_ROLE, 'the transaction runs as the non-superuser role');
    t.same(codes(seen.establishments), ['GM0363'], 'an unfiltered select of establishments returns only the officer’s municipality');
    t.same(codes(seen.actions), ['GM0363'], 'and of enforcement actions');
    t.same(seen.licences, [], 'another municipality asked for by name: nothing');

    const all = await withTenant(database.db, { kind: 'all' }, (tx) =>
      rows<{ municipality_code: string }>(tx, sql`select * from enforcement_actions`),
    );
    t.same(codes(all), ['GM0363', 'GM0599'], 'the all-municipalities scope, set explicitly, sees both');
  },
);

t.test('a read outside a transaction is bound the same way, statement by statement, and leaves nothing behind', async (t) => {
  const { database } = await twoMunicipalities(t);
  const seen = await readWithTenant(database.db, OFFICER, async (q) => ({
    user: (await rows<{ u: string }>(q, sql`select current_user as u`))[0]?.u,
    actions: await rows<{ municipality_code: string }>(q, sql`select * from enforcement_actions`),
    // a second statement of the same read, with a parameter: bound again
    other: await rows<{ municipality_code: string }>(q, sql`select * from establishments where municipality_code = ${'GM0599'}`),
  }));
  const login = await connectionRole(database).catch(() => null);
  if (usingPostgres && login && !login.superuser) {
    t.equal(seen.user, login.user, 'a plain login role, bound by the policies as it is, reads as itself (no role switch)');
  } else {
    t.equal(seen.user, APP_DB_ROLE, 'a login role the policies do not bind (a superuser, PGlite) reads as registry_app');
  }
  t.same(codes(seen.actions), ['GM0363'], 'an unfiltered select returns only the officer’s municipality');
  t.same(seen.other, [], 'another municipality asked for by name: nothing');

  // The pooled connections (the one that just read is handed out first): no setting and no role left behind.
  const leftBehind = async (when: string) => {
    const after = await Promise.all(
      Array.from({ length: 4 }, () =>
        rows<{ scope: string | null; municipality: string | null; role: string }>(
          database.db,
          sql`select current_setting('app.scope', true) as scope, current_setting('app.municipality', true) as municipality, current_user as role`,
        ),
      ),
    );
    for (const [r] of after) {
      t.ok(r, `${when}: a pooled connection answered`);
      t.not(r?.scope, 'municipality', `${when}: the scope ended with the statement`);
      t.not(r?.municipality, 'GM0363', `${when}: the municipality ended with it`);
      t.not(r?.role, APP_DB_ROLE, `${when}: and the role`);
    }
  };
  await leftBehind('after a read');

  const failed = await refused(readWithTenant(database.db, OFFICER, (q) => rows(q, sql`select 1/0`)));
  t.match(failed, /division by zero/, 'a failing statement fails the read');
  await leftBehind('after a failed read');
  const again = await readWithTenant(database.db, { kind: 'all' }, (q) =>
    rows<{ municipality_code: string }>(q, sql`select * from enforcement_actions`),
  );
  t.same(codes(again), ['GM0363', 'GM0599'], 'after a failure the next read works, in its own scope');
});

t.test('no scope, or an empty one, sees no rows at all (fail-closed)', async (t) => {
  const { database } = await twoMunicipalities(t);
  const asApp = (settings: SQL) =>
    database.db.transaction(async (tx) => {
      await tx.execute(sql`select set_config('role', ${APP_DB_ROLE}, true)`);
      await tx.execute(settings);
      return rows<{ n: number }>(
        tx,
        sql`select (select count(*) from establishments)::int + (select count(*) from enforcement_actions)::int as n`,
      );
    });
  t.same(await asApp(sql`select 1`), [{ n: 0 }], 'no setting: nothing');
  t.same(await asApp(sql`select set_config('app.scope', '', true)`), [{ n: 0 }], 'an empty scope: nothing');
  t.same(
    await asApp(sql`select set_config('app.scope', 'municipality', true), set_config('app.municipality', '', true)`),
    [{ n: 0 }],
    'a municipality scope without a municipality: nothing',
  );
  t.same(await asApp(sql`select set_config('app.scope', 'everything', true)`), [{ n: 0 }], 'an unknown scope: nothing');

  const role = await connectionRole(database).catch(() => null);
  if (usingPostgres) t.ok(role, 'the login role is known on PostgreSQL (else the check below would not run)');
  if (usingPostgres && process.env.CI) t.notOk(role?.superuser, 'CI connects as a plain role (.ci/run: registry_ci), so it runs there');
  if (role && !role.superuser) {
    // The service's own login role (CI: registry_ci), outside any transaction: policies bind it too.
    const outside = await rows<{ n: number }>(database.db, sql`select count(*)::int as n from enforcement_actions`);
    t.same(outside, [{ n: 0 }], `the plain login role ${role.user}, outside a tenant transaction, sees nothing`);
  } else {
    t.comment('connected as a superuser (or PGlite): the check of the plain login role runs where DATABASE_URL names one (CI)');
  }
});

t.test('an officer cannot write into, or out of, another municipality, nor touch the audit trail', async (t) => {
  const { database, ids } = await twoMunicipalities(t);
  const own = ids.GM0363 as { officer: string; establishment: string };
  const now = new Date().toISOString();
  const insertOther = withTenant(database.db, OFFICER, (tx) =>
    tx.execute(sql`insert into establishments (id, municipality_code, name, kind, street, house_number, postal_code, city,
        created_at, updated_at, created_by, updated_by)
      values (${randomUUID()}, 'GM0599', 'Elsewhere', 'club', 'Straat', 1, '3011AA', 'Rotterdam', ${now}, ${now}, ${own.officer}, ${own.officer})`),
  );
  t.match(await refused(insertOther), /row-level security/, 'a row for another municipality is refused');

  const moved = await withTenant(database.db, OFFICER, (tx) =>
    rows(tx, sql`update establishments set name = 'Hijacked' where municipality_code = 'GM0599' returning id`),
  );
  t.equal(moved.length, 0, 'another municipality’s rows cannot be updated');
  const steal = withTenant(database.db, OFFICER, (tx) =>
    tx.execute(sql`update establishments set municipality_code = 'GM0599' where id = ${own.establishment}`),
  );
  t.match(await refused(steal), /row-level security/, 'nor can a row be moved out of the municipality');

  const audit = withTenant(database.db, OFFICER, (tx) => tx.execute(sql`delete from audit_log`));
  t.match(await refused(audit), /permission denied|append-only/, 'the service role cannot delete audit entries');
});

t.test('the audit trail has no read policy (migration 0002), so its record queries carry the tenant predicate themselves', async (t) => {
  const ctx = await twoMunicipalities(t);
  const { database, ids } = ctx;
  const own = ids.GM0363 as { establishment: string; action: string };
  const other = ids.GM0599 as { establishment: string; action: string };
  const page = { page: 1, pageSize: 50 };
  const trails = (scope: TenantScope, id: { establishment: string; action: string }) =>
    readWithTenant(database.db, scope, async (q) => ({
      establishment: (await trailOfEstablishment(q, scope, id.establishment, page)).totalItems,
      action: (await trailOf(q, scope, 'enforcement_action', id.action, page)).totalItems,
    }));
  t.same(await trails(OFFICER, own), { establishment: 1, action: 1 }, 'the officer’s own records: their entries');
  t.same(await trails(OFFICER, other), { establishment: 0, action: 0 }, 'another municipality’s, asked for by id: none');
  t.same(await trails({ kind: 'all' }, other), { establishment: 1, action: 1 }, 'the all-municipalities scope: theirs too');

  // A licence list has row-level security behind it; its own predicate is tried on the owner's connection, which policies do not bind.
  const officer = await ctx.client('officer', 'GM0599');
  const licence = await ctx.app.inject({
    method: 'POST',
    url: `/v1/establishments/${other.establishment}/licences`,
    headers: officer.auth,
    payload: sample.licence(),
  });
  t.equal(licence.statusCode, 201, licence.body);
  const licences = async (scope: TenantScope) => (await listLicences(database.owner, scope, other.establishment, page)).totalItems;
  t.equal(await licences({ kind: 'municipality', code: 'GM0599' }), 1, 'its own municipality’s licence list');
  t.equal(await licences(OFFICER), 0, 'another municipality’s, by the establishment’s id: none, without any policy');
});

t.test('a licence or action row for another municipality’s establishment is refused by the database itself', async (t) => {
  const { database, ids } = await twoMunicipalities(t);
  const rotterdam = ids.GM0599 as { officer: string; establishment: string };
  const amsterdamEstablishment = (ids.GM0363 as { establishment: string }).establishment;
  const now = new Date().toISOString();
  // As Rotterdam's officer, raw SQL with no application check at all: each row claims Rotterdam, as row-level security demands.
  const scope: TenantScope = { kind: 'municipality', code: 'GM0599' };
  const action = (establishmentId: string) =>
    refused(
      withTenant(database.db, scope, (tx) =>
        tx.execute(sql`insert into enforcement_actions (id, establishment_id, municipality_code, licence_status, measure, grounds,
            stage, decision_date, created_at, updated_at, created_by, updated_by)
          values (${randomUUID()}, ${establishmentId}, 'GM0599', 'unlicensed', 'warning', array['hygiene'], 'decided', '2019-05-01',
            ${now}, ${now}, ${rotterdam.officer}, ${rotterdam.officer})`),
      ),
    );
  const licence = (establishmentId: string) =>
    refused(
      withTenant(database.db, scope, (tx) =>
        tx.execute(sql`insert into licences (id, establishment_id, municipality_code, licence_number, valid_from, status_history,
            created_at, updated_at, created_by, updated_by)
          values (${randomUUID()}, ${establishmentId}, 'GM0599', 'EV-X', '2016-01-01',
            ${JSON.stringify([{ status: 'granted', effectiveDate: '2016-01-01' }])}::jsonb, ${now}, ${now}, ${rotterdam.officer}, ${rotterdam.officer})`),
      ),
    );
  t.equal(await action(rotterdam.establishment), 'accepted', 'on its own establishment: accepted');
  const notPresent = /violates foreign key constraint .*establishment_municipality_fk/;
  t.match(await action(amsterdamEstablishment), notPresent, 'an action on Amsterdam’s establishment: refused');
  t.match(await licence(amsterdamEstablishment), notPresent, 'a licence too');
  t.match(await action(randomUUID()), notPresent, 'the same refusal as for an establishment that does not exist: nothing to learn');
});

t.test('tables that later migrations create are usable in tenant transactions (default privileges)', async (t) => {
  const { database } = await build(t);
  // As a later migration would: run by the migrating role, in public and in a new schema.
  await database.owner.execute(sql.raw('create schema later_area'));
  await database.owner.execute(sql.raw('create table later_area.facts (id serial primary key, v int)'));
  await database.owner.execute(sql.raw('create table public.later_things (id bigserial primary key, v int)'));
  const n = await withTenant(database.db, OFFICER, async (tx) => {
    await tx.execute(sql`insert into later_area.facts (v) values (1)`);
    await tx.execute(sql`insert into later_things (v) values (2)`);
    return rows<{ n: number }>(
      tx,
      sql`select (select count(*) from later_area.facts)::int + (select count(*) from later_things)::int as n`,
    );
  });
  t.same(n, [{ n: 2 }]);
});

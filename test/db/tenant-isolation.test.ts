import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import type { Tx } from '../../src/db/client.js';
import { inTransaction } from '../../src/services/context.js';
import { build, json, sample, usingPostgres } from '../support/helper.js';

const rows = async <T>(tx: Tx, q: ReturnType<typeof sql>): Promise<T[]> => ((await tx.execute(q)) as unknown as { rows: T[] }).rows;

/** The database's own error message, not drizzle's "Failed query" wrapper. */
const cause = (err: unknown) => ((err as { cause?: Error }).cause ?? (err as Error)).message;

t.test(`row-level security binds an officer's transaction (${usingPostgres ? 'PostgreSQL' : 'PGlite'})`, async (t) => {
  const { app, client, database } = await build(t);
  const amsterdam = await client('officer', 'GM0363');
  const rotterdam = await client('officer', 'GM0599');
  const ids: Record<string, string> = {};
  for (const [o, code] of [
    [amsterdam, 'GM0363'],
    [rotterdam, 'GM0599'],
  ] as const) {
    const est = json(await app.inject({ method: 'POST', url: '/v1/establishments', headers: o.auth, payload: sample.establishment(code) }));
    ids[code] = est.id as string;
    const act = await app.inject({
      method: 'POST',
      url: '/v1/enforcement-actions',
      headers: o.auth,
      payload: sample.action(est.id as string),
    });
    t.equal(act.statusCode, 201, act.body);
  }
  const officerScope = { municipalityCode: 'GM0363', role: 'officer' as const };

  const seen = await inTransaction(database.db, officerScope, async (tx) => ({
    user: (await rows<{ u: string }>(tx, sql`select current_user as u`))[0]?.u,
    establishments: await rows<{ municipality_code: string }>(tx, sql`select * from establishments`),
    actions: await rows<{ municipality_code: string }>(tx, sql`select * from enforcement_actions`),
    licencesOfOther: await rows(tx, sql`select * from licences where municipality_code = 'GM0599'`),
  }));
  t.equal(seen.user, 'registry_app', 'the transaction runs as the non-superuser role');
  t.same(
    seen.establishments.map((r) => r.municipality_code),
    ['GM0363'],
    'an unfiltered select returns only the officer’s municipality',
  );
  t.same(
    seen.actions.map((r) => r.municipality_code),
    ['GM0363'],
  );

  const all = await inTransaction(database.db, { municipalityCode: null, role: 'admin' }, (tx) =>
    rows<{ municipality_code: string }>(tx, sql`select municipality_code from establishments order by municipality_code`),
  );
  t.same(
    all.map((r) => r.municipality_code),
    ['GM0363', 'GM0599'],
    'no municipality set: all of them (admins, analysts)',
  );

  const now = new Date().toISOString();
  const insertOther = inTransaction(database.db, officerScope, (tx) =>
    tx.execute(sql`insert into establishments (id, municipality_code, name, kind, street, house_number, postal_code, city,
        created_at, updated_at, created_by, updated_by)
      values (${randomUUID()}, 'GM0599', 'Elsewhere', 'club', 'Straat', 1, '3011AA', 'Rotterdam', ${now}, ${now}, ${amsterdam.id}, ${amsterdam.id})`),
  );
  await t.rejects(
    insertOther.catch((e) => Promise.reject(new Error(cause(e)))),
    /row-level security/,
  );

  const moved = await inTransaction(database.db, officerScope, (tx) =>
    rows(tx, sql`update establishments set name = 'Hijacked' where municipality_code = 'GM0599' returning id`),
  );
  t.equal(moved.length, 0, 'another municipality’s rows cannot be updated');
  const steal = inTransaction(database.db, officerScope, (tx) =>
    tx.execute(sql`update establishments set municipality_code = 'GM0599' where id = ${ids.GM0363 as string}`),
  );
  await t.rejects(
    steal.catch((e) => Promise.reject(new Error(cause(e)))),
    /row-level security/,
    'nor can a row be moved out of the municipality',
  );

  const audit = inTransaction(database.db, officerScope, (tx) => tx.execute(sql`delete from audit_log`));
  await t.rejects(
    audit.catch((e) => Promise.reject(new Error(cause(e)))),
    /permission denied|append-only/,
    'the service role cannot delete audit entries',
  );
});

t.test('tables that later migrations create are usable in client transactions (default privileges)', async (t) => {
  const { database } = await build(t);
  // As a later migration would: run by the migrating user, in public and in a new schema.
  await database.db.execute(sql.raw('create schema later_area'));
  await database.db.execute(sql.raw('create table later_area.facts (id serial primary key, v int)'));
  await database.db.execute(sql.raw('create table public.later_things (id bigserial primary key, v int)'));
  const n = await inTransaction(database.db, { municipalityCode: 'GM0363', role: 'officer' }, async (tx) => {
    await tx.execute(sql`insert into later_area.facts (v) values (1)`);
    await tx.execute(sql`insert into later_things (v) values (2)`);
    return rows<{ n: number }>(
      tx,
      sql`select (select count(*) from later_area.facts)::int + (select count(*) from later_things)::int as n`,
    );
  });
  t.equal(n[0]?.n, 2);
});

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildAppFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { systemContext } from '../../src/application/context.js';
import { verifyDatabase } from '../../src/infrastructure/audit/verify.js';
import { openPostgres, prepareDatabase } from '../../src/infrastructure/db/client.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { ownerUrlFromEnv, sample, usingPostgres } from '../support/basics.js';
import { build, testConfig } from '../support/helper.js';
import { scratchDatabase } from '../support/scratch-database.js';

/**
 * The backup procedure of docs/operations.md, performed: pg_dump (custom format) of a database the
 * service wrote to, pg_restore into a new database, and there the audit chain verifies, its head is
 * the original's, the statistics rollups match (triggers are restored after the data, so the
 * restore does not count rows twice), and the service writes on (the chain continues).
 */
t.test(
  'pg_dump → pg_restore into a new database: the audit chain verifies there',
  { skip: usingPostgres ? false : 'needs PostgreSQL' },
  async (t) => {
    const { app, database, client } = await build(t);
    const officer = await client('officer', 'GM0363');
    for (let i = 0; i < 3; i++) {
      const e = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() });
      const id = (JSON.parse(e.body) as { id: string }).id;
      await app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(id) });
    }
    const ownerBase = ownerUrlFromEnv();
    const name = ((await database.owner.execute(sql`select current_database() as name`)) as unknown as { rows: { name: string }[] }).rows[0]
      ?.name;
    const source = new URL(ownerBase);
    source.pathname = `/${name}`;

    const dir = mkdtempSync(path.join(tmpdir(), 'er-backup-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const dump = path.join(dir, 'registry.dump');
    execFileSync('pg_dump', ['--format=custom', `--file=${dump}`, source.toString()]);
    t.ok(statSync(dump).size > 0, 'pg_dump wrote a backup');

    const restored = await scratchDatabase(ownerBase, 'er_restored');
    t.teardown(() => restored.drop());
    execFileSync('pg_restore', ['--exit-on-error', `--dbname=${restored.url}`, dump]);

    const options = { poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 };
    const copy = await openPostgres({ url: restored.url, ...options });
    t.teardown(() => copy.close());
    const original = await withTenant(database.db, { kind: 'all' }, (tx) => verifyDatabase(tx));
    const report = await withTenant(copy.db, { kind: 'all' }, (tx) => verifyDatabase(tx));
    t.equal(report.ok, true, `the restored chain verifies (${report.problem ?? 'ok'})`);
    t.equal(report.entriesChecked, original.entriesChecked, 'every entry is there');
    t.equal(report.headHash, original.headHash, 'with the same head');
    const cells = `select coalesce(sum(actions), 0)::int as n from statistics_national_cells`;
    const n = async (db: typeof copy.db) => ((await db.execute(sql.raw(cells))) as unknown as { rows: { n: number }[] }).rows[0]?.n;
    t.equal(await n(copy.db), await n(database.owner), 'statistics rollups as in the original (not counted twice)');

    // The service on the restored database (as its plain role, when the suite runs as one) writes on.
    const appUrl = new URL(process.env.DATABASE_URL as string);
    appUrl.pathname = `/${restored.name}`;
    const service = await openPostgres({ url: appUrl.toString(), ...options });
    t.teardown(() => service.close());
    await prepareDatabase(service, restored.url);
    const { services } = await buildAppFor(service, testConfig());
    madeBy(
      await services.commands.apiClients.create(systemContext('after restore'), {
        name: 'after restore',
        role: 'analyst',
        municipalityCode: null,
      }),
    );
    const after = await withTenant(copy.db, { kind: 'all' }, (tx) => verifyDatabase(tx));
    t.equal(after.ok, true, 'after a write on the restored database the chain still verifies');
    t.equal(after.entriesChecked, original.entriesChecked + 1, 'and continues from the restored head');
  },
);

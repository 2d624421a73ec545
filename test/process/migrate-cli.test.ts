import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import t from 'tap';
import { openPostgres, prepareDatabase } from '../../src/infrastructure/db/client.js';
import { usingPostgres } from '../support/basics.js';
import { scratchForService } from '../support/scratch-database.js';
import { ensureBuilt, owned, startServer } from '../support/server.js';

/**
 * `npm run db:migrate` (dist/cli/migrate.js) with the service's own environment: DATABASE_URL the
 * plain role, DATABASE_MIGRATION_URL the owner. It migrates through the owner, as a start does, and
 * lets the plain role act as registry_app; the tables belong to the owner, never to the service's role
 * (an owner would bypass row-level security).
 */
t.setTimeout(120_000);
const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

t.test('db:migrate uses DATABASE_MIGRATION_URL', { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' }, async (t) => {
  ensureBuilt();
  const db = await scratchForService('er_migrate_cli');
  t.teardown(db.drop);
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl };
  const out = await run(process.execPath, [path.join(ROOT, 'dist/cli/migrate.js')], { cwd: ROOT, env }).then(
    (r) => ({ code: 0, text: r.stdout + r.stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, text: `${err.stdout}${err.stderr}` }),
  );
  t.equal(out.code, 0, `exit 0: ${out.text.slice(0, 600)}`);
  const app = new pg.Client({ connectionString: db.appUrl });
  await app.connect();
  t.teardown(() => app.end());
  const { rows } = await app.query<{ owner: string; member: boolean; me: string }>(
    `select (select tableowner from pg_tables where tablename = 'enforcement_actions') as owner,
            pg_has_role(current_user, 'registry_app', 'member') as member, current_user as me`,
  );
  t.ok(rows[0]?.owner, 'migrated');
  t.not(rows[0]?.owner, rows[0]?.me, "the tables are the owner's, not the service role's");
  t.equal(rows[0]?.member, true, 'the service role may act as registry_app');

  // Then the service starts with its plain role alone, without the owner's credentials (an operator's
  // review: the migrator's CREATE SCHEMA IF NOT EXISTS was refused, exit 1, on a fully migrated database).
  const server = owned(t, startServer({ DATABASE_URL: db.appUrl, PORT: '0', LOG_LEVEL: 'info' }));
  const url = await server.ready;
  t.equal((await fetch(`${url}/health/ready`)).status, 200, 'ready without DATABASE_MIGRATION_URL');
  server.proc.kill('SIGTERM');
  t.equal(await server.exited, 0);
});

t.test('db:migrate with a bad configuration: exit 78 and the message, as the service', async (t) => {
  ensureBuilt();
  const env = { PATH: process.env.PATH ?? '', DATABASE_URL: 'mysql://u:Sup3rS3cret@db/registry' };
  const out = await run(process.execPath, [path.join(ROOT, 'dist/cli/migrate.js')], { cwd: ROOT, env }).then(
    (r) => ({ code: 0, text: r.stdout + r.stderr }),
    (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, text: `${err.stdout}${err.stderr}` }),
  );
  t.equal(out.code, 78, `exit 78 (EX_CONFIG): ${out.text.slice(0, 400)}`);
  t.match(out.text, /Invalid configuration:\n {2}DATABASE_URL: /, 'naming the variable');
  t.notMatch(out.text, /\n\s+at /, 'no stack trace');
  t.notMatch(out.text, /Sup3rS3cret/, 'nor the value');
});

t.test(
  'db:migrate as the plain role alone: one line that names the fix, exit 1',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    ensureBuilt();
    const db = await scratchForService('er_migrate_plain');
    t.teardown(db.drop);
    const env = { PATH: process.env.PATH ?? '', DATABASE_URL: db.appUrl };
    const out = await run(process.execPath, [path.join(ROOT, 'dist/cli/migrate.js')], { cwd: ROOT, env }).then(
      (r) => ({ code: 0, text: r.stdout + r.stderr }),
      (err: { code?: number; stdout?: string; stderr?: string }) => ({ code: err.code ?? -1, text: `${err.stdout}${err.stderr}` }),
    );
    t.equal(out.code, 1, `exit 1: ${out.text.slice(0, 600)}`);
    t.match(out.text, /^migrations not applied: permission denied[^\n]*\[42501\][^\n]*set DATABASE_MIGRATION_URL/, 'the cause and the fix');
    t.equal(out.text.trim().split('\n').length, 1, 'in one line: no stack trace');

    // The service started so says the same in its fatal line, not "cannot open the database".
    const server = owned(t, startServer({ DATABASE_URL: db.appUrl, PORT: '0', LOG_LEVEL: 'info' }));
    t.equal(await server.exited, 1, 'the start stops, exit 1');
    const fatal = server
      .stdout()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { level: number; msg: string })
      .find((l) => l.level === 60);
    t.match(fatal?.msg, /^migrations not applied: permission denied[^\n]*\[42501\][^\n]*set DATABASE_MIGRATION_URL/, 'its fatal line');
  },
);

t.test(
  'instances starting at once migrate one after another',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    const db = await scratchForService('er_migrate_race');
    t.teardown(db.drop);
    // Three instances of a rolling deploy on a new database: each migrates at its start.
    const instances = await Promise.all(
      [1, 2, 3].map(() => openPostgres({ url: db.appUrl, poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 60_000 })),
    );
    t.teardown(() => Promise.all(instances.map((d) => d.close())));
    const results = await Promise.allSettled(instances.map((d) => prepareDatabase(d, db.ownerUrl)));
    t.same(
      results.map((r) => (r.status === 'fulfilled' ? 'ok' : String((r.reason as { cause?: Error }).cause?.message ?? r.reason))),
      ['ok', 'ok', 'ok'],
      'every instance starts',
    );
    // Twice more, as a start on a migrated database does: nothing left to apply, no error.
    t.same(
      (await Promise.allSettled(instances.slice(0, 2).map((d) => prepareDatabase(d, db.ownerUrl)))).map((r) => r.status),
      ['fulfilled', 'fulfilled'],
    );
  },
);

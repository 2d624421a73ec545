import { chmodSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { openPglite, openPostgres } from '../../src/infrastructure/db/client.js';
import { hashToken } from '../../src/infrastructure/repositories/api-clients.js';
import { scratchForService } from '../support/scratch-database.js';
import { ensureBuilt, owned, seededDataDir, startServer } from '../support/server.js';

/**
 * The first start as a newcomer sees it: `node dist/server.js` without REGISTRY_ADMIN_TOKEN. On the
 * embedded database it creates the bootstrap admin with a random token and prints it once, with the
 * docs URL and the next command, in plain lines on stderr; stdout stays JSON. Never on PostgreSQL,
 * never with NODE_ENV=production.
 */
t.setTimeout(240_000); // up to three spawned servers, each loading PGlite and migrating
ensureBuilt();

const usingPostgres = Boolean(process.env.DATABASE_URL);
const TOKEN_LINE = /export REGISTRY_ADMIN_TOKEN=(er_[A-Za-z0-9_-]{43})\n/;
const HINTS = /REGISTRY_ADMIN_TOKEN=|Enforcement registry running|\/docs/;

/** One start: waits for ready and the plain lines that follow it on stderr, runs `use`, stops the server. */
async function run(t: Test, env: Record<string, string>, use: (base: string, output: () => string) => Promise<void> = async () => {}) {
  const s = owned(t, startServer({ PORT: '0', LOG_LEVEL: 'info', ...env }));
  const base = await s.ready;
  for (let i = 0; i < 20 && !/turns them off/.test(s.output()); i++) await new Promise((r) => setTimeout(r, 100));
  await use(base, s.output);
  s.proc.kill('SIGTERM');
  t.equal(await s.exited, 0, 'stops cleanly');
  const notJson = s
    .stdout()
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('{'));
  t.same(notJson, [], 'stdout holds only JSON log lines');
  return { output: s.output(), stdout: s.stdout() };
}

if (!usingPostgres) {
  t.test('embedded: the first start prints a working admin token once; production and later starts do not', async (t) => {
    // A migrated folder, as after initdb (10-40 s on a loaded machine); the server still migrates it itself.
    const dataDir = await seededDataDir(t, 'first');

    // A data folder other accounts may open (PGlite's own files are 0666 in it): a warning that says so.
    chmodSync(dataDir, 0o755);
    const production = await run(t, { DATA_DIR: dataDir, NODE_ENV: 'production' });
    t.notMatch(production.output, HINTS, 'NODE_ENV=production: no token, no plain lines');
    t.match(production.stdout, /"level":40,[^\n]*"mode":"755"[^\n]*DATA_DIR is open to other accounts/, 'DATA_DIR open to others: warned');
    chmodSync(dataDir, 0o700);

    let token = '';
    const first = await run(t, { DATA_DIR: dataDir }, async (base, output) => {
      token = TOKEN_LINE.exec(output())?.[1] ?? '';
      t.ok(token, 'the first start prints an admin token in a plain line (so the production start made none)');
      const clients = await fetch(`${base}/v1/api-clients`, { headers: { authorization: `Bearer ${token}` } });
      t.equal(clients.status, 200, 'the printed token works');
      const body = (await clients.json()) as { items: { name: string; role: string }[] };
      t.same(
        body.items.map((c) => [c.name, c.role]),
        [['bootstrap-admin', 'admin']],
        'it is the bootstrap admin',
      );
      t.match(output(), `Docs (try the API in the browser): ${base}/docs`, 'with the docs URL');
      t.match(output(), `curl -s -H "Authorization: Bearer $REGISTRY_ADMIN_TOKEN" ${base}/v1/api-clients`, 'and the next command');
    });
    t.notOk(first.stdout.includes(token), 'the token is in no log line (stdout)');
    t.equal(first.output.split(token).length - 1, 1, 'it is printed once');
    t.ok(
      first.stdout.split('\n').some((l) => l.includes('"msg":"ready"')),
      'the JSON ready line is there as always',
    );
    t.notMatch(first.stdout, /DATA_DIR is open/, 'DATA_DIR the service’s alone (700): no warning');

    const second = await run(t, { DATA_DIR: dataDir }, async (base) => {
      const res = await fetch(`${base}/v1/api-clients`, { headers: { authorization: `Bearer ${token}` } });
      t.equal(res.status, 200, 'the first token still works after a restart');
      t.equal(((await res.json()) as { items: unknown[] }).items.length, 1, 'and no second admin was made');
    });
    t.notMatch(second.output, /REGISTRY_ADMIN_TOKEN=er_/, 'a second start prints no new token');
    t.match(second.output, /printed at the first start/, 'but says where it was');

    const db = await openPglite({ dataDir });
    const rows = (await db.db.execute(sql`select token_hash from api_clients`)) as unknown as { rows: { token_hash: string }[] };
    await db.close();
    t.same(
      rows.rows.map((r) => r.token_hash),
      [hashToken(token)],
      'the database holds only the token’s hash',
    );
  });
  t.test('embedded: a first start that fails after making the admin (its port taken) has printed the token', async (t) => {
    const dataDir = await seededDataDir(t, 'first-fails');
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => taken.close(() => resolve())));
    const port = String((taken.address() as AddressInfo).port);
    const failed = owned(t, startServer({ PORT: port, HOST: '127.0.0.1', LOG_LEVEL: 'info', DATA_DIR: dataDir }));
    t.not(await failed.exited, 0, 'the start fails: the port is taken');
    const token = TOKEN_LINE.exec(failed.output())?.[1] ?? '';
    t.ok(token, `the token is printed as it exits:\n${failed.output().slice(-600)}`);
    t.ok(
      failed.output().indexOf(token) < failed.output().indexOf('cannot listen'),
      'printed as soon as the admin was made, before the service listens (so no failure or signal after it loses the token)',
    );
    t.match(
      failed.stdout(),
      new RegExp(`"level":60,[^\\n]*cannot listen on HOST 127\\.0\\.0\\.1, PORT ${port}`),
      'the fatal line names the setting',
    );
    await run(t, { DATA_DIR: dataDir }, async (base) => {
      const res = await fetch(`${base}/v1/api-clients`, { headers: { authorization: `Bearer ${token}` } });
      t.equal(res.status, 200, 'the printed token is the admin’s: it works at the next start');
    });
  });
} else {
  t.test('PostgreSQL: no admin is made and nothing is printed without REGISTRY_ADMIN_TOKEN', async (t) => {
    const db = await scratchForService('er_first');
    t.teardown(db.drop);
    const started = await run(t, { DATABASE_URL: db.appUrl, DATABASE_MIGRATION_URL: db.ownerUrl });
    t.notMatch(started.output, HINTS, 'no token, no plain lines');
    const owner = await openPostgres({ url: db.ownerUrl, poolSize: 1, connectTimeoutMs: 5000, statementTimeoutMs: 5000 });
    const rows = (await owner.db.execute(sql`select count(*)::int as n from api_clients`)) as unknown as { rows: { n: number }[] };
    await owner.close();
    t.equal(rows.rows[0]?.n, 0, 'no API client was made');
  });
}

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import t, { type Test } from 'tap';
import { openPglite } from '../../src/infrastructure/db/client.js';
import { usingPostgres } from '../support/basics.js';
import { scratchForService } from '../support/scratch-database.js';
import { ensureBuilt, owned, type ServerProcess, seededDataDir, startServer } from '../support/server.js';

/**
 * A start that fails after the database is open: the process says why in its JSON log, naming the
 * variables to change, closes the database (the embedded one's lock file is gone) and exits 1. A
 * configuration that is wrong without looking at the database stops the start before the database is
 * opened: exit 78, and nothing migrated.
 */
t.setTimeout(180_000);
ensureBuilt();

const dataDir = await seededDataDir(t, 'start');

/** The process's fatal JSON log line (pino level 60), if it wrote one. */
const fatalLine = (server: ServerProcess) =>
  server
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .find((l) => l.level === 60);

/** A server process this test ends: killed after a minute if it has not exited by then, and at teardown. */
function ended(t: Test, server: ServerProcess): ServerProcess {
  const killed = setTimeout(() => server.proc.kill('SIGKILL'), 60_000);
  t.teardown(() => clearTimeout(killed));
  return owned(t, server);
}

t.test('METRICS_PORT in use: a fatal log line naming it, the database closed, exit 1', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as net.AddressInfo).port;
  const server = ended(
    t,
    startServer({
      PORT: '0',
      DATA_DIR: dataDir,
      METRICS_PORT: String(port),
      REGISTRY_FIRST_START_HINTS: 'false',
    }),
  );
  t.equal(await server.exited, 1, 'exit 1');
  const fatal = fatalLine(server);
  t.ok(fatal, `a fatal JSON log line:\n${server.output().slice(-1500)}`);
  t.match(fatal?.msg, /METRICS_PORT/, 'naming METRICS_PORT');
  t.notOk(existsSync(path.join(dataDir, 'registry.lock')), 'the database was closed (no lock left)');
});

t.test(
  'DATABASE_MIGRATION_URL naming another database: a fatal line naming both, exit 1, not a service whose requests fail',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    const served = await scratchForService('er_start_served');
    t.teardown(() => served.drop());
    const migrated = await scratchForService('er_start_migrated');
    t.teardown(() => migrated.drop());
    const server = ended(
      t,
      startServer({
        PORT: '0',
        DATABASE_URL: served.appUrl,
        DATABASE_MIGRATION_URL: migrated.ownerUrl, // the typo: another database on the same server
        REGISTRY_FIRST_START_HINTS: 'false',
      }),
    );
    t.equal(await server.exited, 1, 'exit 1');
    const fatal = fatalLine(server);
    t.match(
      fatal?.msg,
      /DATABASE_MIGRATION_URL.*DATABASE_URL|DATABASE_URL.*DATABASE_MIGRATION_URL/,
      `naming both:\n${server.output().slice(-1500)}`,
    );
  },
);

/** How many tables a PostgreSQL database has outside the system catalogs. */
async function tableCount(url: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ n: number }>(
      "select count(*)::int as n from pg_tables where schemaname not in ('pg_catalog', 'information_schema')",
    );
    return rows[0]?.n ?? -1;
  } finally {
    await c.end();
  }
}

const NOT_A_KEY = '-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----';

/** A start with an AUDIT_SIGNING_KEY that is no key: exit 78 and a line naming the variable, never its value. */
async function badKeyStart(t: Test, env: Record<string, string>) {
  const server = ended(t, startServer({ PORT: '0', REGISTRY_FIRST_START_HINTS: 'false', AUDIT_SIGNING_KEY: NOT_A_KEY, ...env }));
  t.equal(await server.exited, 78, `exit 78 (EX_CONFIG):\n${server.output().slice(-1500)}`);
  t.match(server.output(), /AUDIT_SIGNING_KEY: must be an Ed25519 private key/, 'a line naming AUDIT_SIGNING_KEY');
  t.notMatch(server.output(), /bm90IGEga2V5/, 'not the value');
}

t.test('a bad AUDIT_SIGNING_KEY on the embedded database: exit 78 before the database is created or migrated', async (t) => {
  const fresh = mkdtempSync(path.join(tmpdir(), 'er-start-key-'));
  t.teardown(() => rmSync(fresh, { recursive: true, force: true }));
  const dir = path.join(fresh, 'data');
  await badKeyStart(t, { DATA_DIR: dir });
  const after = await openPglite({ dataDir: dir });
  t.teardown(() => after.close());
  const { rows } = await after.client.query<{ found: string | null }>(
    "select coalesce(to_regclass('public.audit_log')::text, to_regclass('drizzle.__drizzle_migrations')::text) as found",
  );
  t.equal(rows[0]?.found, null, 'no migration ran: neither the registry’s tables nor the migration journal exist');
});

t.test(
  'a bad AUDIT_SIGNING_KEY on PostgreSQL: exit 78 before migrating, the database without tables',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    const scratch = await scratchForService('er_start_badkey');
    t.teardown(() => scratch.drop());
    await badKeyStart(t, { DATABASE_URL: scratch.appUrl, DATABASE_MIGRATION_URL: scratch.ownerUrl });
    t.equal(await tableCount(scratch.ownerUrl), 0, 'no migration ran: the scratch database has no tables');
  },
);

t.test('DATABASE_MIGRATION_URL without DATABASE_URL: exit 78 before any database is made or migrated', async (t) => {
  const fresh = mkdtempSync(path.join(tmpdir(), 'er-start-orphan-'));
  t.teardown(() => rmSync(fresh, { recursive: true, force: true }));
  const dir = path.join(fresh, 'data');
  // PostgreSQL was meant (on the embedded suite a URL no one answers: it must not be used at all).
  const scratch = usingPostgres ? await scratchForService('er_start_orphan') : null;
  if (scratch) t.teardown(() => scratch.drop());
  const server = ended(
    t,
    startServer({
      PORT: '0',
      REGISTRY_FIRST_START_HINTS: 'false',
      DATA_DIR: dir,
      DATABASE_MIGRATION_URL: scratch?.ownerUrl ?? 'postgres://owner@127.0.0.1:1/registry',
    }),
  );
  t.equal(await server.exited, 78, `exit 78 (EX_CONFIG):\n${server.output().slice(-1500)}`);
  t.match(server.output(), /DATABASE_MIGRATION_URL: set DATABASE_URL too/, 'a line naming both variables');
  t.notOk(existsSync(dir), 'no embedded database was made in DATA_DIR');
  if (scratch) t.equal(await tableCount(scratch.ownerUrl), 0, 'nothing migrated on PostgreSQL');
});

t.test('PostgreSQL out of reach at start: "cannot open the database", exit 1, not a migration failure', async (t) => {
  // A port nothing listens on: the connection is refused.
  const port = await new Promise<number>((resolve) => {
    const probe = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const server = ended(t, startServer({ DATABASE_URL: `postgres://registry@127.0.0.1:${port}/registry`, PORT: '0', LOG_LEVEL: 'info' }));
  t.equal(await server.exited, 1, 'exit 1');
  t.equal(
    fatalLine(server)?.msg,
    `cannot open the database: connect ECONNREFUSED 127.0.0.1:${port} (DATABASE_URL postgres://registry@127.0.0.1:${port}/registry)`,
    'the fatal line says what failed, why, and on which connection (an operator review: it said only the first)',
  );
});

t.test(
  'a database or role that does not exist: the fatal line names it, and which setting led there',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    // An operator review: "database \"…\" does not exist", with the name blanked and no word of which URL held it.
    const scratch = await scratchForService('er_start_missing');
    t.teardown(() => scratch.drop());
    const missing = new URL(scratch.ownerUrl);
    missing.pathname = '/er_start_no_such_database';
    missing.password = 'secret-not-to-be-logged';
    missing.search = '?sslpassword=other-secret-not-to-be-logged&application_name=registry'; // the driver takes secrets here too
    const server = ended(
      t,
      startServer({ DATABASE_URL: scratch.appUrl, DATABASE_MIGRATION_URL: missing.toString(), PORT: '0', LOG_LEVEL: 'info' }),
    );
    t.equal(await server.exited, 1, 'exit 1');
    const line = String(fatalLine(server)?.msg);
    t.match(line, /^cannot open the database: database "er_start_no_such_database" does not exist \[3D000\] \(DATABASE_URL postgres:\/\//);
    t.match(
      line,
      /; migrations through DATABASE_MIGRATION_URL postgres:\/\/[^ ]*\/er_start_no_such_database\)$/,
      'naming the migration connection',
    );
    t.notMatch(server.output(), /secret-not-to-be-logged/, 'never a password, in the URL’s user part or its query');
  },
);

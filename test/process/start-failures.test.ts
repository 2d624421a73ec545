import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { openPglite } from '../../src/infrastructure/db/client.js';
import { pgliteTemplate, usingPostgres } from '../support/helper.js';
import { scratchForService } from '../support/scratch-database.js';
import { ensureBuilt, type ServerProcess, startServer } from '../support/server.js';

/**
 * A start that fails after the database is open: the process says why in its JSON log, naming the
 * variables to change, closes the database (the embedded one's lock file is gone) and exits 1.
 */
t.setTimeout(180_000);
ensureBuilt();

const dataDir = mkdtempSync(path.join(tmpdir(), 'er-start-'));
t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
{
  const seed = await openPglite({ dataDir, loadDataDir: await pgliteTemplate() });
  await seed.close();
}

/** The process's fatal JSON log line (pino level 60), if it wrote one. */
const fatalLine = (server: ServerProcess) =>
  server
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string })
    .find((l) => l.level === 60);

t.test('METRICS_PORT in use: a fatal log line naming it, the database closed, exit 1', async (t) => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const port = (taken.address() as net.AddressInfo).port;
  const server = startServer({
    PORT: '0',
    DATA_DIR: dataDir,
    METRICS_PORT: String(port),
    REGISTRY_FIRST_START_HINTS: 'false',
  });
  t.teardown(() => {
    if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
  });
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
    const server = startServer({
      PORT: '0',
      DATABASE_URL: served.appUrl,
      DATABASE_MIGRATION_URL: migrated.ownerUrl, // the typo: another database on the same server
      REGISTRY_FIRST_START_HINTS: 'false',
    });
    const killed = setTimeout(() => server.proc.kill('SIGKILL'), 60_000);
    t.teardown(() => {
      clearTimeout(killed);
      if (server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
    });
    t.equal(await server.exited, 1, 'exit 1');
    const fatal = fatalLine(server);
    t.match(
      fatal?.msg,
      /DATABASE_MIGRATION_URL.*DATABASE_URL|DATABASE_URL.*DATABASE_MIGRATION_URL/,
      `naming both:\n${server.output().slice(-1500)}`,
    );
  },
);

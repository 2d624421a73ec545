import pg from 'pg';
import t from 'tap';
import { buildAppFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { systemContext } from '../../src/application/context.js';
import { loadConfig } from '../../src/config.js';
import { migrateDatabase, openPostgres } from '../../src/infrastructure/db/client.js';
import { sample } from '../support/basics.js';
import { postgresBinDir, startPrimaryWithReplica } from '../support/replica.js';

const why = !process.env.DATABASE_URL
  ? 'needs PostgreSQL (DATABASE_URL set): it starts a private primary and a streaming replica'
  : !postgresBinDir()
    ? 'PostgreSQL server binaries (initdb, pg_basebackup) not found'
    : false;

// In CI (.ci/run sets CI=true) a machine without the server binaries fails here rather than skip in
// silence: the PostgreSQL suite would pass without ever trying a replica.
if (process.env.CI && process.env.DATABASE_URL && !postgresBinDir()) {
  t.fail('CI: PostgreSQL server binaries (initdb, pg_basebackup) under /usr/lib/postgresql/<major>/bin are needed for the replica test');
}

// Longer than .taprc's default: initdb, a primary, pg_basebackup and a replica (each start up to 30 s
// by pg_ctl -t, each command up to 60 s by execFileSync) before the test proper.
t.setTimeout(300_000);

t.test('reads that may lag go to a real streaming replica; a writer reads its own writes', { skip: why }, async (t) => {
  const cluster = await startPrimaryWithReplica();
  t.teardown(() => cluster.stop());
  const replicaSql = new pg.Client({ connectionString: cluster.replicaUrl });
  await replicaSql.connect();
  t.teardown(() => replicaSql.end());
  const primarySql = new pg.Client({ connectionString: cluster.primaryUrl });
  await primarySql.connect();
  t.teardown(() => primarySql.end());

  const database = await openPostgres({
    url: cluster.primaryUrl,
    readUrl: cluster.replicaUrl,
    poolSize: 4,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 30_000,
  });
  t.teardown(() => database.close());
  await migrateDatabase(database);
  const WINDOW_MS = 1500;
  const { app, services } = await buildAppFor(database, loadConfig({ LOG_LEVEL: 'silent', READ_YOUR_WRITES_MS: String(WINDOW_MS) }));
  await app.ready();
  t.teardown(() => app.close());

  // a reader for a client that need not see its own writes is the replica; db is the primary
  const recovery = async (q: typeof database.db) =>
    ((await q.execute('select pg_is_in_recovery() as r')) as unknown as { rows: { r: boolean }[] }).rows[0]?.r;
  t.equal(await recovery(database.reader(false)), true, 'the reader is connected to a server in recovery: the replica');
  t.equal(await recovery(database.db), false, 'db is the primary');
  t.equal(await recovery(database.reader(true)), false, 'a client that must see its own writes reads the primary');

  const mk = async (name: string) => {
    const c = madeBy(
      await services.commands.apiClients.create(systemContext('test set-up'), { name, role: 'officer', municipalityCode: 'GM0363' }),
    );
    return { authorization: `Bearer ${c.token}` };
  };
  const writer = await mk('writer');
  const other = await mk('other officer');
  const est = await app.inject({ method: 'POST', url: '/v1/establishments', headers: writer, payload: sample.establishment() });
  t.equal(est.statusCode, 201);
  const establishmentId = est.json().id as string;

  const waitForReplica = async () => {
    const [{ lsn }] = (await primarySql.query('select pg_current_wal_lsn()::text as lsn')).rows;
    for (let i = 0; i < 200; i++) {
      const r = await replicaSql.query('select pg_last_wal_replay_lsn() >= $1::pg_lsn as done', [lsn]);
      if (r.rows[0]?.done) return;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error('replica did not catch up in 5 s');
  };
  await waitForReplica();
  await new Promise((res) => setTimeout(res, WINDOW_MS + 100)); // the writer's window closes

  // freeze the replica: from now on it lags the primary until resumed
  await replicaSql.query('select pg_wal_replay_pause()');
  t.teardown(() => replicaSql.query('select pg_wal_replay_resume()').catch(() => {}));

  const created = await app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: writer,
    payload: sample.action(establishmentId),
  });
  t.equal(created.statusCode, 201, 'the write is acknowledged');
  const actionId = created.json().id as string;
  const onPrimary = await primarySql.query('select 1 from enforcement_actions where id = $1', [actionId]);
  const onReplica = await replicaSql.query('select 1 from enforcement_actions where id = $1', [actionId]);
  t.equal(onPrimary.rowCount, 1, 'the write went to the primary');
  t.equal(onReplica.rowCount, 0, 'the paused replica does not have it yet');

  const ids = (res: { json(): unknown }) => (res.json() as { items: { id: string }[] }).items.map((i) => i.id);
  const writersList = await app.inject({ method: 'GET', url: '/v1/enforcement-actions', headers: writer });
  t.equal(writersList.statusCode, 200);
  t.ok(ids(writersList).includes(actionId), 'the writer’s next list is read from the primary and shows its own write');

  const othersList = await app.inject({ method: 'GET', url: '/v1/enforcement-actions', headers: other });
  t.equal(othersList.statusCode, 200);
  t.notOk(ids(othersList).includes(actionId), 'another client’s list is served by the (lagging) replica');

  const othersGet = await app.inject({ method: 'GET', url: `/v1/enforcement-actions/${actionId}`, headers: other });
  t.equal(othersGet.statusCode, 200, 'a single-resource GET reads the primary: it sees the write at once');

  await new Promise((res) => setTimeout(res, WINDOW_MS + 100));
  const writersLater = await app.inject({ method: 'GET', url: '/v1/enforcement-actions', headers: writer });
  t.notOk(ids(writersLater).includes(actionId), 'after READ_YOUR_WRITES_MS the writer’s lists go back to the replica');

  await replicaSql.query('select pg_wal_replay_resume()');
  await waitForReplica();
  const othersAfter = await app.inject({ method: 'GET', url: '/v1/enforcement-actions', headers: other });
  t.ok(ids(othersAfter).includes(actionId), 'once the replica has replayed, everyone sees the write');
});

import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { buildAppFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { systemContext } from '../../src/application/context.js';
import { loadConfig } from '../../src/config.js';
import { openPostgres, prepareDatabase, QUERY_TIMEOUT_MARGIN_MS } from '../../src/infrastructure/db/client.js';
import { isDatabaseUnavailable } from '../../src/infrastructure/db/errors.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { FIGURES_WAIT_MS } from '../../src/infrastructure/metrics.js';
import { json, sample, usingPostgres } from '../support/basics.js';
import { appOnScratch, assertDatabaseUnavailable } from '../support/scratch-app.js';
import { scratchForService } from '../support/scratch-database.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/**
 * PostgreSQL outages, simulated by a TCP proxy between the pool and the shared cluster (which is
 * never restarted): requests get 503 problem+json with Retry-After, never a 500 or a crash, and
 * the service recovers by itself.
 */
t.test('database outages answer 503 and recover', { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' }, async (t) => {
  const scratch = await scratchForService('er_faults');
  t.teardown(() => scratch.drop());
  const adminUrl = new URL(scratch.appUrl);

  const proxy = new TcpProxy(adminUrl.hostname, Number(adminUrl.port || 5432));
  const port = await proxy.start();
  t.teardown(() => proxy.close());
  const url = new URL(scratch.appUrl);
  url.host = `127.0.0.1:${port}`;
  const poolErrors: Error[] = [];
  const database = await openPostgres({
    url: url.toString(),
    poolSize: 5,
    connectTimeoutMs: 500,
    statementTimeoutMs: 5000,
    onPoolError: (err) => poolErrors.push(err),
  });
  await prepareDatabase(database, scratch.ownerUrl);
  const { app, services } = await buildAppFor(database, loadConfig({ LOG_LEVEL: 'silent' }), { closeDatabase: true });
  await app.ready();
  t.teardown(async () => {
    // Closing waits for checked-out connections; after the outages one can be left waiting on a
    // dead socket until its timeouts fire, so the test does not wait for it forever.
    const closed = await Promise.race([app.close().then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!closed) {
      const p = database.pool;
      t.comment(`app.close() still waiting after 5 s: pool total ${p.totalCount}, idle ${p.idleCount}, waiting ${p.waitingCount}`);
    }
  });
  const officer = madeBy(
    await services.commands.apiClients.create(systemContext('test'), { name: 'o', role: 'officer', municipalityCode: 'GM0363' }),
  );
  const auth = { authorization: `Bearer ${officer.token}` };
  const create = () => app.inject({ method: 'POST', url: '/v1/establishments', headers: auth, payload: sample.establishment() });

  const assert503 = (res: Awaited<ReturnType<typeof create>>, what: string) => {
    t.equal(res.statusCode, 503, `${what}: 503 (${res.body})`);
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`);
    t.match(res.headers['retry-after'], /^[1-9][0-9]*$/, `${what}: Retry-After`);
    t.match(json(res), { status: 503, code: 'database-unavailable' }, what);
  };

  const waitUntilReady = async () => {
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await app.inject({ url: '/health/ready' })).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    return status;
  };

  t.equal((await create()).statusCode, 201, 'works before the outage');
  t.equal((await app.inject({ url: '/health/ready' })).statusCode, 200);

  // 1. Refused connections (PostgreSQL down or restarting).
  proxy.cut();
  assert503(await app.inject({ url: '/v1/establishments', headers: auth }), 'read while down');
  assert503(await create(), 'create while down');
  const ready = await app.inject({ url: '/health/ready' });
  t.equal(ready.statusCode, 503, 'not ready while down');
  t.ok(ready.headers['retry-after']);
  t.equal((await app.inject({ url: '/health/live' })).statusCode, 200, 'still alive');
  // Metrics are wanted most during an outage: the scrape still answers, with the pool and the process.
  const scraped = await services.metrics.scrape().then(
    (m) => m.body,
    (err: Error) => `scrape failed: ${err.message}`,
  );
  t.match(scraped, /^registry_db_pool_connections\{state="idle"\} \d+$/m, 'the scrape answers while down, with the pool');
  t.match(scraped, /^process_cpu_user_seconds_total /m, 'and the process figures');

  // 2. A connection that never answers: the pool's connect timeout ends the wait.
  proxy.blackhole();
  const started = Date.now();
  assert503(await create(), 'create during a partition');
  t.ok(Date.now() - started < 4000, 'answered within about the connect timeout');

  // 3. Connections dropped in the middle of transactions.
  proxy.restore();
  t.equal(await waitUntilReady(), 200, 'ready after the partition');
  const acknowledged: string[] = [];
  const inFlight = Array.from({ length: 30 }, (_, i) =>
    new Promise((r) => setTimeout(r, i * 10)).then(async () => {
      const res = await create();
      if (res.statusCode === 201) acknowledged.push(json(res).id as string);
      else if (res.statusCode !== 503) t.comment(res.body);
      return res.statusCode;
    }),
  );
  setTimeout(() => proxy.cut(), 150);
  const statuses = await Promise.all(inFlight);
  t.ok(
    statuses.every((s) => s === 201 || s === 503),
    `every request during the cut is 201 or 503: ${statuses.join(' ')}`,
  );

  // An error thrown inside a transaction whose connection dies is an outage, not a fault.
  proxy.restore();
  let caught: unknown;
  await withTenant(database.db, { kind: 'all' }, async (tx) => {
    await tx.execute(sql`select 1`);
    proxy.cut();
    await tx.execute(sql`select 1`);
  }).catch((err) => {
    caught = err;
  });
  t.ok(caught, 'the transaction failed');
  t.ok(isDatabaseUnavailable(caught), `classified as unavailable: ${String(caught)}`);

  // 4. Recovery without a restart of the service.
  proxy.restore();
  t.equal(await waitUntilReady(), 200, 'ready again');
  const after = await create();
  t.equal(after.statusCode, 201, 'creates again after recovery');
  for (const id of acknowledged) {
    t.equal((await app.inject({ url: `/v1/establishments/${id}`, headers: auth })).statusCode, 200, `acknowledged ${id} exists`);
  }
  const p = database.pool;
  t.equal(p.totalCount - p.idleCount, 0, 'no connection is left checked out after the outages (drizzle leaked them when BEGIN failed)');
  t.comment(`pool errors seen (handled, no crash): ${poolErrors.length}`);
});

t.test(
  'a replica that goes away: lists are read from the primary, not answered 503',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    // The "replica" is the same database behind a proxy of its own: cutting the proxy is losing the replica.
    let proxy: TcpProxy | undefined;
    const poolErrors: Error[] = [];
    const { database, app, auth } = await appOnScratch(
      t,
      'er_replica_down',
      { poolSize: 4, connectTimeoutMs: 500, statementTimeoutMs: 5000, onPoolError: (err) => poolErrors.push(err) },
      { READ_YOUR_WRITES_MS: '0' },
      async (appUrl) => {
        const target = new URL(appUrl);
        proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
        const readUrl = new URL(appUrl);
        readUrl.host = `127.0.0.1:${await proxy.start()}`;
        t.teardown(() => proxy?.close());
        return readUrl.toString();
      },
    );
    const created = await app.inject({ method: 'POST', url: '/v1/establishments', headers: auth, payload: sample.establishment() });
    t.equal(created.statusCode, 201, created.body);
    const list = () => app.inject({ url: '/v1/establishments', headers: auth });
    t.equal(database.reader(false) === database.db, false, 'lists go to the replica');
    t.equal(json<{ totalItems: number }>(await list()).totalItems, 1, 'read from the replica');

    proxy?.cut();
    const during = await list();
    t.equal(during.statusCode, 200, `the replica gone: still 200 (${during.body.slice(0, 200)})`);
    t.equal(json<{ totalItems: number }>(during).totalItems, 1, 'the same records, from the primary');
    t.equal(database.reader(false), database.db, 'for a while lists go to the primary without trying the replica');
    const said = () => poolErrors.filter((e) => /read replica unavailable/.test(e.message)).length;
    t.equal(said(), 1, 'said in the log');
    t.equal((await list()).statusCode, 200);
    t.equal(said(), 1, 'not again for every request');
  },
);

/**
 * An app on a scratch database reached through a proxy, with a pool of one connection (so that the one
 * frozen is the one a request gets), which has answered one list already: it waits in the pool.
 */
async function behindProxy(t: Test, statementTimeoutMs: number) {
  const scratch = await scratchForService('er_frozen');
  t.teardown(() => scratch.drop());
  const target = new URL(scratch.appUrl);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  const through = new URL(scratch.appUrl);
  through.host = `127.0.0.1:${await proxy.start()}`;
  t.teardown(() => proxy.close());
  const poolErrors: Error[] = [];
  const database = await openPostgres({
    url: through.toString(),
    poolSize: 1,
    connectTimeoutMs: 500,
    statementTimeoutMs,
    onPoolError: (err) => poolErrors.push(err),
  });
  await prepareDatabase(database, scratch.ownerUrl);
  const { app, services } = await buildAppFor(database, loadConfig({ LOG_LEVEL: 'silent' }), { closeDatabase: true });
  t.teardown(() => app.close());
  const officer = madeBy(
    await services.commands.apiClients.create(systemContext('test'), { name: 'o', role: 'officer', municipalityCode: 'GM0363' }),
  );
  const auth = { authorization: `Bearer ${officer.token}` };
  const list = () => app.inject({ url: '/v1/establishments', headers: auth });
  t.equal((await list()).statusCode, 200, 'answered before: a connection waits in the pool');
  return { proxy, database, app, services, poolErrors, list, auth };
}

t.test(
  'a server that stops answering on an open connection: 503 after statement_timeout and a margin, not a request that hangs',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    const statementTimeoutMs = 1000;
    const { proxy, database, app, poolErrors, list, auth } = await behindProxy(t, statementTimeoutMs);

    // The operator's review: a frozen connection kept a GET waiting until SIGTERM, 158 s later.
    proxy.freeze();
    const started = Date.now();
    const create = () => app.inject({ method: 'POST', url: '/v1/establishments', headers: auth, payload: sample.establishment() });
    assertDatabaseUnavailable(t, await create(), 'a write on a frozen connection');
    const waited = Date.now() - started;
    // One read timeout, not two: the connection is given up at once, so the ROLLBACK does not wait on it as well.
    t.ok(waited < statementTimeoutMs + QUERY_TIMEOUT_MARGIN_MS + 1500, `answered in ${waited} ms`);
    t.equal(database.pool.totalCount, 0, 'the frozen connection is given up, not put back in the pool for the next request to wait on');
    t.same(
      poolErrors.map((e) => e.message),
      [],
      'its end is not reported as an idle connection that failed (the request already answered 503)',
    );

    proxy.restore();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await list()).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    t.equal(status, 200, 'answered again once the network is back');
    t.equal(database.pool.totalCount - database.pool.idleCount, 0, 'the frozen connection was given up, none is left checked out');
  },
);

t.test(
  'a scrape during a read that hangs on a frozen connection answers in time, with the last figures',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    // The operator's review: the figures' read waited on a frozen connection for statement_timeout and its margin
    // (32 s by default), past Prometheus's 10 s scrape timeout, and the whole scrape was lost.
    const { proxy, services } = await behindProxy(t, 6000);
    const before = (await services.metrics.scrape()).body;
    t.match(before, /^registry_audit_chain_length \d+$/m, 'the figures, read before');
    proxy.freeze();
    const started = Date.now();
    const during = (await services.metrics.scrape()).body;
    const took = Date.now() - started;
    t.ok(took >= FIGURES_WAIT_MS - 100 && took < FIGURES_WAIT_MS + 1500, `answered after the wait (${took} ms), not the statement timeout`);
    t.match(during, /^registry_db_pool_connections\{state="idle"\} \d+$/m, 'with the pool');
    const chainLength = (body: string) => /^registry_audit_chain_length (\d+)$/m.exec(body)?.[1];
    t.equal(chainLength(during), chainLength(before), 'and the figures as last read');
    const again = Date.now();
    const second = (await services.metrics.scrape()).body;
    t.ok(Date.now() - again < FIGURES_WAIT_MS + 1500, 'a second scrape meanwhile answers in time too');
    t.match(second, /^registry_db_pool_connections\{state="in_use"\} 1$/m, 'showing the one connection stuck in the first read');
    t.match(second, /^registry_db_pool_connections\{state="waiting"\} 0$/m, 'which it waits on, rather than queue a second read');
    proxy.restore();
  },
);

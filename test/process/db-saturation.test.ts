import pg from 'pg';
import t from 'tap';
import { sample, usingPostgres } from '../support/basics.js';
import { appOnScratch, assertDatabaseUnavailable } from '../support/scratch-app.js';

/**
 * A database that is up but cannot keep up: a lock held elsewhere (a migration, a DBA's session)
 * stalls the statements, they hold every pooled connection, the next requests find none. Every
 * answer is a 503 problem with Retry-After, never a 500: the requests stuck past
 * DATABASE_STATEMENT_TIMEOUT_MS (SQLSTATE 57014) as much as those that found no connection.
 */
t.test(
  'a stalled database: the pool exhausted and statements timed out answer 503',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    const { scratch, app, auth } = await appOnScratch(
      t,
      'er_saturation',
      { poolSize: 2, connectTimeoutMs: 300, statementTimeoutMs: 1500 },
      { RATE_LIMIT_STORE: 'memory', AUTH_CACHE_TTL_MS: '60000' },
    );
    const list = () => app.inject({ url: '/v1/establishments', headers: auth });
    t.equal((await list()).statusCode, 200, 'works before (and caches the token)');

    const assert503 = (res: Awaited<ReturnType<typeof list>>, what: string) => assertDatabaseUnavailable(t, res, what);

    const dba = new pg.Client({ connectionString: scratch.ownerUrl });
    await dba.connect();
    t.teardown(() => dba.end());
    await dba.query('begin');
    await dba.query('lock table establishments in access exclusive mode');
    const stalled = [list(), list()]; // they take both connections and wait for the lock
    await new Promise((r) => setTimeout(r, 300));
    assert503(await list(), 'no connection left');
    assert503(await app.inject({ method: 'POST', url: '/v1/establishments', headers: auth, payload: sample.establishment() }), 'a write');
    for (const stuck of await Promise.all(stalled)) assert503(stuck, 'stuck past the statement timeout');
    await dba.query('rollback');
    t.equal((await list()).statusCode, 200, 'works again once the lock is gone');
  },
);

t.test(
  'writes waiting for admission wait no longer than a connection would: 503, not a queue without end',
  { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' },
  async (t) => {
    const { scratch, app, auth } = await appOnScratch(
      t,
      'er_admission',
      { poolSize: 4, connectTimeoutMs: 300, statementTimeoutMs: 2000 },
      { RATE_LIMIT_STORE: 'memory', AUTH_CACHE_TTL_MS: '60000', DATABASE_WRITE_CONCURRENCY: '1', DATABASE_CONNECT_TIMEOUT_MS: '300' },
    );
    t.equal((await app.inject({ url: '/v1/establishments', headers: auth })).statusCode, 200, 'works before (and caches the token)');
    const create = () => app.inject({ method: 'POST', url: '/v1/establishments', headers: auth, payload: sample.establishment() });

    const dba = new pg.Client({ connectionString: scratch.ownerUrl });
    await dba.connect();
    t.teardown(() => dba.end());
    await dba.query('begin');
    await dba.query('lock table establishments in access exclusive mode');
    const first = create(); // takes the one admission slot and waits for the lock
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    const waiting = await create();
    const waited = Date.now() - started;
    t.equal(waiting.statusCode, 503, `the write behind it: 503 (${waiting.body.slice(0, 200)})`);
    t.match(waiting.headers['retry-after'], /^[1-9][0-9]*$/, 'with Retry-After');
    t.ok(waited < 1500, `answered after about DATABASE_CONNECT_TIMEOUT_MS (${waited} ms), not when the write ahead of it ended`);
    await dba.query('rollback');
    t.equal((await first).statusCode, 201, 'the write that was let in completes once the lock is gone');
    t.equal((await create()).statusCode, 201, 'and writes are let in again');
  },
);

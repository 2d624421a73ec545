import { sql } from 'drizzle-orm';
import t from 'tap';
import { listenChannel } from '../../src/infrastructure/db/notifications.js';
import { TokenCache } from '../../src/infrastructure/token-cache.js';
import { scratchForService } from '../support/scratch-database.js';

const usingPostgres = Boolean(process.env.DATABASE_URL);

t.test('the token cache caches nothing while changes may go unheard', async (t) => {
  const cache = new TokenCache<{ clientId: string }>(60_000);
  cache.set('h1', { clientId: 'c1' }, cache.generation());
  t.same(cache.get('h1'), { clientId: 'c1' });
  const before = cache.generation();
  cache.distrust();
  t.equal(cache.get('h1'), null, 'distrusted: forgets what it held');
  cache.set('h1', { clientId: 'c1' }, cache.generation());
  t.equal(cache.get('h1'), null, 'and caches nothing meanwhile');
  cache.trust();
  cache.set('h2', { clientId: 'c2' }, before);
  t.equal(cache.get('h2'), null, 'a look-up begun before the gap is not cached after it');
  cache.set('h2', { clientId: 'c2' }, cache.generation());
  t.same(cache.get('h2'), { clientId: 'c2' }, 'trusted again: caches');
});

t.test(
  'LISTEN channel: messages, down when the connection drops, up again by itself',
  { skip: usingPostgres ? false : 'PostgreSQL only' },
  async (t) => {
    const scratch = await scratchForService('er_listen');
    t.teardown(() => scratch.drop());
    const { openPostgres } = await import('../../src/infrastructure/db/client.js');
    const owner = await openPostgres({ url: scratch.ownerUrl, poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 10_000 });
    t.teardown(() => owner.close());
    const events: string[] = [];
    let wake: () => void = () => {};
    const next = (what: string) =>
      new Promise<void>((resolve) => {
        if (events.at(-1) === what) return resolve();
        wake = () => events.at(-1) === what && resolve();
      });
    const record = (e: string) => {
      events.push(e);
      wake();
    };
    const channel = listenChannel(
      'test_channel',
      { message: (p) => record(`message:${p}`), down: () => record('down'), up: () => record('up') },
      { url: scratch.appUrl, heartbeatMs: 200, retryMs: 100 },
    );
    t.teardown(() => channel.close());
    t.equal(events[0], 'down', 'starts down: nothing is heard before LISTEN succeeded');
    await next('up');
    await owner.db.execute(sql`select pg_notify('test_channel', 'one')`);
    await next('message:one');
    t.pass('a notification arrives');
    await owner.db.execute(
      sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'enforcement-registry listener' and datname = current_database()`,
    );
    await next('down');
    t.pass('the dropped connection is reported down');
    await next('up');
    t.pass('and it reconnects by itself');
    await owner.db.execute(sql`select pg_notify('test_channel', 'two')`);
    await next('message:two');
    t.same(
      events.filter((e) => e !== 'down' && e !== 'up'),
      ['message:one', 'message:two'],
      'notifications after the reconnection arrive',
    );
  },
);

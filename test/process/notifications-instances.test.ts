import { sql } from 'drizzle-orm';
import t from 'tap';
import { servicesFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { clientContext, systemContext } from '../../src/application/context.js';
import { loadConfig } from '../../src/config.js';
import { openPostgres, prepareDatabase } from '../../src/infrastructure/db/client.js';
import { sample, usingPostgres } from '../support/basics.js';
import { scratchForService } from '../support/scratch-database.js';
import { ensureBuilt, owned, startServer } from '../support/server.js';
import { webhookReceiver } from '../support/webhook-receiver.js';

/**
 * The dispatcher across processes: two service instances on one PostgreSQL database, and a
 * service process killed (SIGKILL) while a delivery is in flight.
 */
const P = 'nl.overheid.handhavingsregister';
const TYPES = [`${P}.establishment.created`, `${P}.establishment.changed`];
const quiet = { info() {}, warn() {}, error() {} };

// Spawns two server processes (each loads its database and migrates) and waits out a lease.
t.setTimeout(240_000);

t.test(
  'two instances on one PostgreSQL: each attempt is made once, in order per subject',
  { skip: !usingPostgres && 'needs PostgreSQL' },
  async (t) => {
    const scratch = await scratchForService('er_notify');
    t.teardown(scratch.drop);
    const options = { poolSize: 4, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 };
    const one = await openPostgres({ url: scratch.appUrl, ...options });
    await prepareDatabase(one, scratch.ownerUrl);
    const two = await openPostgres({ url: scratch.appUrl, ...options });
    t.teardown(() => Promise.all([one.close(), two.close()]));
    const owner = await openPostgres({ url: scratch.ownerUrl, ...options, poolSize: 1 });
    t.teardown(() => owner.close());

    const config = loadConfig({ LOG_LEVEL: 'silent', NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1', NOTIFICATIONS_POLL_MS: '10' });
    const a = servicesFor(one, config);
    const b = servicesFor(two, config);
    const receiver = await webhookReceiver();
    t.teardown(() => receiver.close());

    const officer = madeBy(
      await a.commands.apiClients.create(systemContext('test'), { name: 'o', role: 'officer', municipalityCode: 'GM0363' }),
    );
    const principal = await a.queries.apiClients.authenticate(officer.token);
    const ctx = clientContext(principal as NonNullable<typeof principal>, { requestId: null, reason: null });
    const sub = madeBy(await a.commands.subscriptions.create(ctx, { callbackUrl: receiver.url('both'), eventTypes: TYPES as never }));
    receiver.accept('both', sub.secret);

    // both instances dispatch, a few deliveries per round, while the records are written
    const dispatchers = [a, b].map((s) => s.notifications.dispatcher(quiet, { batchSize: 3, pollMs: 5 }));
    for (const d of dispatchers) d.start();
    t.teardown(() => Promise.all(dispatchers.map((d) => d.stop())));
    const subjects: string[] = [];
    for (let i = 0; i < 15; i++) {
      const est = madeBy(await (i % 2 ? a : b).commands.establishments.create(ctx, sample.establishment() as never));
      subjects.push(est.id);
      await (i % 2 ? b : a).commands.establishments.replace(ctx, est.id, 1, sample.establishment('GM0363', { name: 'Renamed' }) as never);
    }
    await receiver.until(() => receiver.received.length >= 30, 'thirty events', 30_000);
    await new Promise((r) => setTimeout(r, 300)); // a duplicate would arrive meanwhile

    const ids = receiver.received.map((r) => r.event.id);
    t.equal(ids.length, 30, 'thirty deliveries');
    t.equal(new Set(ids).size, 30, 'no event twice');
    for (const s of subjects) {
      t.same(
        receiver.received.filter((r) => r.event.subject === s).map((r) => r.event.type),
        TYPES,
        `created before changed for ${s}`,
      );
    }
    const attempts = (await owner.db.execute(
      sql`select count(*)::int as n, count(distinct delivery_id)::int as d from delivery_attempts`,
    )) as unknown as {
      rows: { n: number; d: number }[];
    };
    t.same(attempts.rows[0], { n: 30, d: 30 }, 'one attempt per delivery, recorded once');
  },
);

// On PostgreSQL only: the lease logic is the same SQL on both databases, and two PGlite server
// starts cost a loaded CI machine a minute.
t.test('SIGKILL of the service during a delivery loses nothing', { skip: !usingPostgres && 'needs PostgreSQL' }, async (t) => {
  ensureBuilt();
  const ADMIN = 'notifications-test-admin-token-0123456789';
  const scratch = await scratchForService('er_notify_kill');
  t.teardown(scratch.drop);
  const databaseEnv = { DATABASE_URL: scratch.appUrl, DATABASE_MIGRATION_URL: scratch.ownerUrl };
  const env = {
    PORT: '0',
    LOG_LEVEL: 'info',
    REGISTRY_ADMIN_TOKEN: ADMIN,
    NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1',
    NOTIFICATIONS_POLL_MS: '50',
    NOTIFICATIONS_BACKOFF_BASE_MS: '50',
    NOTIFICATIONS_CONNECT_TIMEOUT_MS: '500',
    NOTIFICATIONS_RESPONSE_TIMEOUT_MS: '1000', // a lease: 2 × (0.5 + 1) + 1 = 4 s
    ...databaseEnv,
  };
  const receiver = await webhookReceiver();
  t.teardown(() => receiver.close());
  receiver.behaviour = 'hang';

  const first = owned(t, startServer(env));
  const base = await first.ready;
  const call = async (method: string, url: string, token: string, body: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`${url}: ${res.status} ${await res.text()}`);
    return (await res.json()) as { id: string; token: string; secret: string };
  };
  const officer = await call('POST', '/v1/api-clients', ADMIN, { name: 'case system', role: 'officer', municipalityCode: 'GM0363' });
  const sub = await call('POST', '/v1/subscriptions', officer.token, { callbackUrl: receiver.url('k'), eventTypes: TYPES });
  receiver.accept('k', sub.secret);
  const made = [];
  for (let i = 0; i < 3; i++) made.push(await call('POST', '/v1/establishments', officer.token, sample.establishment()));

  await receiver.until(() => receiver.held.length > 0, 'a delivery in flight');
  first.proc.kill('SIGKILL');
  t.equal(await first.exited, 'SIGKILL', 'killed mid-delivery');
  const inFlight = receiver.held[0] as string;
  receiver.behaviour = 'ok';

  const second = owned(t, startServer(env));
  await second.ready;
  await receiver.until(() => new Set(receiver.at('k').map((r) => r.event.id)).size === 3, 'every event, after the lease ran out', 30_000);
  t.ok(
    receiver.at('k').some((r) => r.event.id === inFlight),
    'the event whose delivery was cut off arrived (same id: receivers de-duplicate by it)',
  );
  t.same(new Set(receiver.at('k').map((r) => r.event.subject)), new Set(made.map((m) => m.id)), 'each establishment announced');
  t.same(receiver.rejected, []);
  second.proc.kill('SIGTERM');
  t.equal(await second.exited, 0, 'the new process stops cleanly, its dispatcher with it');
});

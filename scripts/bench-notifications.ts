/**
 * `npm run bench:notifications`: how fast the dispatcher delivers, and what the outbox adds to a create.
 *
 * Needs DATABASE_URL (a PostgreSQL superuser URL); creates and drops a scratch database. It writes
 * BENCH_EVENTS establishments through the service's own commands (each create writes its event in
 * the same transaction), with one subscription to a fast receiver on loopback (answers 204 at once,
 * no verification). Then it starts one dispatcher (and, with BENCH_DISPATCHERS=2, a second on its own
 * pool, as a second instance would) and times until every event is delivered: events per second.
 * The creates are timed twice, with and without the outbox hook, alternately in rounds, for the extra
 * cost per create.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { servicesFor } from '../src/app.js';
import { madeBy } from '../src/application/commands/run.js';
import { clientContext, systemContext } from '../src/application/context.js';
import { createServices } from '../src/application/services.js';
import { loadConfig } from '../src/config.js';
import { openPostgres, prepareDatabase } from '../src/infrastructure/db/client.js';
import { scratchDatabase } from '../test/support/scratch-database.js';

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  process.stderr.write('Set DATABASE_URL to a PostgreSQL superuser URL, e.g. postgres://postgres@127.0.0.1:5432/postgres\n');
  process.exit(2);
}
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const DISPATCHERS = Number(process.env.BENCH_DISPATCHERS ?? 1);
const ROUNDS = 3;

const scratch = await scratchDatabase(adminUrl, 'er_bench_notify');
const options = { poolSize: 10, connectTimeoutMs: 5000, statementTimeoutMs: 60_000 };
const database = await openPostgres({ url: scratch.url, ...options });
await prepareDatabase(database);
const config = loadConfig({ LOG_LEVEL: 'silent', NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1', NOTIFICATIONS_POLL_MS: '10' });
const services = servicesFor(database, config);
const plain = createServices(database, { authCacheTtlMs: 10_000, unknownTokenTtlMs: 0, suppressionThreshold: 5 }); // no outbox hook

let delivered = 0;
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    delivered++;
    res.writeHead(204).end();
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const port = (receiver.address() as AddressInfo).port;

const officer = madeBy(
  await services.commands.apiClients.create(systemContext('bench'), { name: 'bench', role: 'officer', municipalityCode: 'GM0363' }),
);
const principal = await services.queries.apiClients.authenticate(officer.token);
const ctx = clientContext(principal as NonNullable<typeof principal>, { requestId: null, reason: null });
madeBy(
  await services.commands.subscriptions.create(ctx, {
    callbackUrl: `http://127.0.0.1:${port}/hook`,
    eventTypes: ['nl.overheid.handhavingsregister.establishment.created'],
  }),
);
const body = {
  municipalityCode: 'GM0363',
  name: 'Bench',
  kind: 'club',
  address: { street: 'Straat', houseNumber: 1, postalCode: '1012AB', city: 'Amsterdam' },
} as never;

/** Creates `n` establishments one after another; ms per create. */
async function creates(s: typeof services | typeof plain, n: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < n; i++) madeBy(await s.commands.establishments.create(ctx, body));
  return (performance.now() - started) / n;
}

// The extra cost per create: with and without the outbox, alternately (the same database, one client).
const per = EVENTS / ROUNDS / 2;
const withOutbox: number[] = [];
const without: number[] = [];
await creates(services, 50); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  without.push(await creates(plain, per));
  withOutbox.push(await creates(services, per));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const events = Number(
  (
    (await database.db.execute(sql`select count(*)::int as n from outbox_events where type like '%establishment.created'`)) as unknown as {
      rows: { n: number }[];
    }
  ).rows[0]?.n,
);

// Delivery throughput: every event so far, by DISPATCHERS dispatchers (each on its own pool).
const quiet = { info() {}, warn() {}, error() {} };
const extra = [];
const dispatchers = [services.notifications.dispatcher(quiet)];
for (let i = 1; i < DISPATCHERS; i++) {
  const other = await openPostgres({ url: scratch.url, ...options });
  extra.push(other);
  dispatchers.push(servicesFor(other, config).notifications.dispatcher(quiet));
}
const expected = events; // the subscription existed before every one of these creates
const started = performance.now();
for (const d of dispatchers) d.start();
while (delivered < expected) await new Promise((r) => setTimeout(r, 5));
const seconds = (performance.now() - started) / 1000;
await Promise.all(dispatchers.map((d) => d.stop()));

console.log(
  `creates, one client: ${median(without).toFixed(2)} ms without the outbox, ${median(withOutbox).toFixed(2)} ms with it (median of ${ROUNDS} rounds of ${per})`,
);
console.log(
  `delivered ${expected} events with ${DISPATCHERS} dispatcher(s) in ${seconds.toFixed(2)} s: ${Math.round(expected / seconds)} events/s`,
);

receiver.close();
await Promise.all([database.close(), ...extra.map((d) => d.close())]);
await scratch.drop();

import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { migrateDatabase, openPglite, openPostgres } from '../src/infrastructure/db/client.js';
import { type TenantScope, withTenant } from '../src/infrastructure/db/tenant.js';

/**
 * Prints what row-level security costs per transaction: the same read-only transaction run N times
 * in the all-municipalities scope (policies pass at once) and in one municipality's scope (policies
 * compare every row). `DATABASE_URL=… npx tsx scripts/measure-tenant-overhead.ts [N]`
 * measures PostgreSQL in a scratch database it creates and drops (never the one named); without
 * DATABASE_URL, an in-memory PGlite.
 */
const n = Number(process.argv[2] ?? 2000);
const adminUrl = process.env.DATABASE_URL;
const scratch = `er_measure_${process.pid}_${randomBytes(3).toString('hex')}`;
async function admin(query: string) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(query);
  await c.end();
}
let database: Awaited<ReturnType<typeof openPglite>> | Awaited<ReturnType<typeof openPostgres>>;
if (adminUrl) {
  await admin(`create database ${scratch}`);
  const url = new URL(adminUrl);
  url.pathname = `/${scratch}`;
  database = await openPostgres({ url: url.toString(), poolSize: 4, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 });
} else {
  database = await openPglite({});
}
await migrateDatabase(database);

async function run(label: string, scope: TenantScope) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await withTenant(database.db, scope, (tx) => tx.execute(sql`select count(*) from establishments`));
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${label.padEnd(34)} ${n} tx in ${ms.toFixed(0)} ms = ${((ms * 1000) / n).toFixed(0)} µs/tx\n`);
  return ms;
}

process.stdout.write(`database: ${database.kind}\n`);
await run('warm-up', { kind: 'all' });
// Alternate the two, three rounds each: the machine is noisy.
let base = 0;
let rls = 0;
for (let round = 0; round < 3; round++) {
  base += await run('all municipalities (registry_app)', { kind: 'all' });
  rls += await run('one municipality (registry_app + RLS)', { kind: 'municipality', code: 'GM0363' });
}
process.stdout.write(`ratio one/all over all rounds: ${(rls / base).toFixed(2)}\n`);
await database.close();
if (adminUrl) await admin(`drop database if exists ${scratch} with (force)`);

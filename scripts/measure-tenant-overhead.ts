import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { migrateDatabase, openPglite, openPostgres } from '../src/db/client.js';
import { inTransaction } from '../src/services/context.js';

/**
 * Prints what the per-transaction switch to registry_app (row-level security) costs: the same
 * read-only transaction run N times as the system (no role switch) and as an officer (role
 * switch, policies applied). `DATABASE_URL=… npx tsx scripts/measure-tenant-overhead.ts [N]`
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

async function run(label: string, scope: Parameters<typeof inTransaction>[1]) {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await inTransaction(database.db, scope, (tx) => tx.execute(sql`select count(*) from establishments`));
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  process.stdout.write(`${label.padEnd(34)} ${n} tx in ${ms.toFixed(0)} ms = ${((ms * 1000) / n).toFixed(0)} µs/tx\n`);
  return ms;
}

process.stdout.write(`database: ${database.kind}\n`);
await run('warm-up', { municipalityCode: null, role: 'system' });
// Alternate the two, three rounds each: the machine is noisy.
let base = 0;
let rls = 0;
for (let round = 0; round < 3; round++) {
  base += await run('system (connection role, no RLS)', { municipalityCode: null, role: 'system' });
  rls += await run('officer (registry_app + RLS)', { municipalityCode: 'GM0363', role: 'officer' });
}
process.stdout.write(`ratio officer/system over all rounds: ${(rls / base).toFixed(2)}\n`);
await database.close();
if (adminUrl) await admin(`drop database if exists ${scratch} with (force)`);

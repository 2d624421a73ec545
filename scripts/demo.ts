/**
 * `npm run demo`: the service on a FRESH embedded database (DEMO_DATA_DIR, default ./data-demo,
 * wiped first) filled with the demo data set (test/support/demo-data.ts, seeded): loaded in-process
 * through the registry's own commands, each municipality's records in one transaction by its own
 * officer client (test/support/demo-load.ts). Then it listens (PORT, default 3001, so it can run
 * beside `npm start` on 3000) and prints an officer, an analyst and an admin token, the docs link
 * and the curl that shows the letter's 85 / 610.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { buildAppFor } from '../src/app.js';
import { madeBy } from '../src/application/commands/run.js';
import { systemContext } from '../src/application/context.js';
import { loadConfig } from '../src/config.js';
import { resolveSigningKey } from '../src/infrastructure/audit/signing-key.js';
import { migrateDatabase, openPglite } from '../src/infrastructure/db/client.js';
import { createLogger } from '../src/logger.js';
import { generateDemoData } from '../test/support/demo-data.js';
import { type DemoOfficer, loadDemoData } from '../test/support/demo-load.js';

const began = performance.now();
const seconds = (from: number) => `${((performance.now() - from) / 1000).toFixed(1)} s`;
const say = (line: string) => process.stdout.write(`${line}\n`);

const dataDir = path.resolve(process.env.DEMO_DATA_DIR ?? './data-demo');
const seed = Number(process.env.DEMO_SEED ?? 20200324);
const config = loadConfig({
  ...process.env,
  PORT: process.env.PORT ?? '3001',
  DATA_DIR: dataDir,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  // Someone trying the demo sends requests in bursts: no rate limit unless asked for.
  RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '0',
});

rmSync(dataDir, { recursive: true, force: true });
say(`Creating a fresh embedded database in ${dataDir} (the first creation takes a while: initdb in WebAssembly)…`);
const database = await openPglite({ dataDir });
await migrateDatabase(database);
const logger = createLogger(config.LOG_LEVEL);
// As `npm start` on the embedded database: the audit signing key from AUDIT_SIGNING_KEY(_FILE), else one
// generated into the fresh DATA_DIR, so checkpoints and the public key work as docs/audit-trail.md shows.
const { key: auditSigningKey } = resolveSigningKey(config, 'pglite', true);
const { app, services } = await buildAppFor(database, config, { closeDatabase: true, logger, auditSigningKey });
say(`  ready in ${seconds(began)}`);

const loading = performance.now();
const data = generateDemoData(seed);
say(`Loading the demo data set (seed ${seed}) through the registry's commands…`);
const loaded = await loadDemoData(services, data, 'npm run demo');
say(`  ${loaded.establishments} establishments, ${loaded.actions} actions (${loaded.writes} audited writes) in ${seconds(loading)}`);

const actor = systemContext('npm run demo');
const analyst = madeBy(await services.commands.apiClients.create(actor, { name: 'demo analyst', role: 'analyst', municipalityCode: null }));
const admin = madeBy(await services.commands.apiClients.create(actor, { name: 'demo admin', role: 'admin', municipalityCode: null }));
const officer = loaded.officers.get('GM0363') as DemoOfficer; // Amsterdam: the demo data always has it

const origin = await app.listen({ port: config.PORT, host: config.HOST });
// As src/server.ts does: imports sent to the demo run, and its subscriptions get their events.
const dispatcher =
  config.NOTIFICATIONS_DISPATCH === 'on' ? services.notifications.dispatcher(logger.child({ component: 'notifications' })) : null;
dispatcher?.start();
if (config.IMPORT_WORKER === 'on') services.imports.worker.start(logger.child({ component: 'imports' }));
const base = `${origin}/v1`;
const letterPath = '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2017&yearTo=2019';
const letter = await app.inject({ url: letterPath, headers: { authorization: `Bearer ${analyst.token}` } });
const figures = (JSON.parse(letter.body) as { items?: { licenceStatus: string; actions: number }[] }).items ?? [];
const count = (status: string) => figures.find((i) => i.licenceStatus === status)?.actions ?? '?';

say(`
The demo registry is listening on ${base} (Ctrl-C to stop), ${seconds(began)} after the start.
The letter's figures from it: ${count('licensed')} actions against licensed and ${count('unlicensed')} against unlicensed establishments.

Tokens (this database only; each was shown once):
  officer (Amsterdam, GM0363)  ${officer.token}
  analyst                      ${analyst.token}
  admin                        ${admin.token}

Interactive docs (try requests in the browser): ${origin}/docs
Dashboard (paste the analyst token): ${origin}/dashboard   open data, no token: ${origin}/dashboard/open

The letter's 85 / 610, with the averages per municipality per year:
  curl -s -H 'Authorization: Bearer ${analyst.token}' '${origin}${letterPath}'

The same per year and municipality, as CSV:
  curl -s -H 'Authorization: Bearer ${analyst.token}' -H 'Accept: text/csv' '${base}/statistics/enforcement-actions?programme=LPP&yearFrom=2017&yearTo=2019&groupBy=year,municipality,licenceStatus'

Amsterdam's actions, as its officer sees them:
  curl -s -H 'Authorization: Bearer ${officer.token}' '${base}/enforcement-actions?pageSize=5'

Open data (no token; small counts suppressed):
  curl -s '${base}/open-data/enforcement-actions?groupBy=municipality,licenceStatus'
`);

const stop = async () => {
  await dispatcher?.stop();
  if (config.IMPORT_WORKER === 'on') await services.imports.worker.stop();
  await app.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

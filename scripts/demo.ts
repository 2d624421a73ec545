/**
 * `npm run demo`: the service on a FRESH embedded database (DEMO_DATA_DIR, default ./data-demo,
 * wiped first) filled with the demo data set (test/support/demo-data.ts, seeded), loaded through the
 * HTTP API by one officer client per municipality. Prints an analyst token and curl commands.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { buildAppFor } from '../src/app.js';
import { madeBy } from '../src/application/commands/run.js';
import { systemContext } from '../src/application/context.js';
import { loadConfig } from '../src/config.js';
import { migrateDatabase, openPglite } from '../src/infrastructure/db/client.js';
import { createLogger } from '../src/logger.js';
import { generateDemoData } from '../test/support/demo-data.js';
import { loadDemoData } from '../test/support/demo-load.js';

const dataDir = path.resolve(process.env.DEMO_DATA_DIR ?? './data-demo');
const seed = Number(process.env.DEMO_SEED ?? 20200324);
// The loader sends hundreds of requests a minute per officer client: no rate limit unless asked for.
const config = loadConfig({
  ...process.env,
  DATA_DIR: dataDir,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  RATE_LIMIT_PER_MINUTE: process.env.RATE_LIMIT_PER_MINUTE ?? '0',
});

rmSync(dataDir, { recursive: true, force: true });
process.stdout.write(`Fresh embedded database in ${dataDir} (seed ${seed})…\n`);
const database = await openPglite({ dataDir });
await migrateDatabase(database);
const { app, services } = await buildAppFor(database, config, { closeDatabase: true, logger: createLogger(config.LOG_LEVEL) });
await app.ready();

const actor = systemContext('npm run demo');
const officers = new Map<string, Record<string, string>>();
const officerHeaders = (code: string) => officers.get(code) as Record<string, string>;
const data = generateDemoData(seed);
for (const code of new Set(data.establishments.map((e) => e.body.municipalityCode))) {
  const c = madeBy(
    await services.commands.apiClients.create(actor, { name: `demo officer ${code}`, role: 'officer', municipalityCode: code }),
  );
  officers.set(code, { authorization: `Bearer ${c.token}` });
}
const started = performance.now();
const loaded = await loadDemoData(app, officerHeaders, data);
const analyst = madeBy(await services.commands.apiClients.create(actor, { name: 'demo analyst', role: 'analyst', municipalityCode: null }));
process.stdout.write(
  `Loaded ${loaded.establishments} establishments and ${loaded.actions} actions in ${Math.round(performance.now() - started) / 1000} s.\n`,
);

await app.listen({ port: config.PORT, host: config.HOST });
const base = `http://${config.HOST}:${config.PORT}/v1`;
const auth = `-H 'Authorization: Bearer ${analyst.token}'`;
process.stdout.write(`
The registry is listening on ${base} (Ctrl-C to stop). Analyst token: ${analyst.token}

The letter's figures (85 and 610, with their averages per municipality per year):
  curl -s ${auth} '${base}/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2017&yearTo=2019'

Per year and municipality, as CSV:
  curl -s ${auth} -H 'Accept: text/csv' '${base}/statistics/enforcement-actions?programme=LPP&yearFrom=2017&yearTo=2019&groupBy=year,municipality,licenceStatus'

Per measure, long format (CBS StatLine style):
  curl -s ${auth} '${base}/statistics/enforcement-actions/observations?groupBy=year,measure'

Open data (no token; small counts suppressed):
  curl -s '${base}/open-data/enforcement-actions?groupBy=municipality,licenceStatus'
`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

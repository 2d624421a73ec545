import { pathToFileURL } from 'node:url';
import { servicesFor } from '../app.js';
import type { DestructionReport } from '../application/commands/retention.js';
import { systemContext } from '../application/context.js';
import { type Config, loadConfigOrExitCode } from '../config.js';
import { refusedAsOf, retentionRules } from '../domain/retention.js';
import type { Database } from '../infrastructure/db/client.js';
import { todayInNetherlands } from '../lib/dates.js';
import { runOnDatabase } from './on-database.js';

/** Retention periods set without RETENTION_SELECTION_LIST: nothing is destroyed without the list it is destroyed under. */
export class SelectionListMissing extends Error {
  constructor() {
    super(
      'RETENTION_SELECTION_LIST is not set: name the selection list (and version, category) the retention periods come from; every destruction records it. Nothing was destroyed.',
    );
  }
}

/** The retention rules of this configuration (RETENTION_*); none without a period; SelectionListMissing for periods without their list. */
export function rulesOf(config: Config) {
  const periods = {
    enforcementActionYears: config.RETENTION_ENFORCEMENT_ACTION_YEARS,
    licenceYears: config.RETENTION_LICENCE_YEARS,
    establishmentYears: config.RETENTION_ESTABLISHMENT_YEARS,
  };
  const selectionList = config.RETENTION_SELECTION_LIST;
  if (selectionList) return retentionRules({ ...periods, selectionList });
  if (Object.values(periods).some((years) => years !== undefined)) throw new SelectionListMissing();
  return [];
}

/** Destroys what is past retention on `today` (YYYY-MM-DD); the report as one JSON line. */
export async function runRetentionDestroy(database: Database, config: Config, today: string): Promise<DestructionReport> {
  const services = servicesFor(database, config);
  return services.commands.retention.destroyPastRetention(systemContext(`retention: destruction run of ${today}`), rulesOf(config), today);
}

/**
 * `npm run retention:destroy [-- YYYY-MM-DD]`: destroys every record past its retention period
 * (RETENTION_*), as of today or the earlier date given. Exit 0 with a JSON report; 1 when a destruction
 * failed part-way (what was committed stays, and the report of a new run shows the rest); 2 when it
 * could not run (a date refused, no registry in DATA_DIR, a folder the service holds, a database it
 * cannot reach); 78 on bad configuration.
 */
async function main(): Promise<void> {
  const config = loadConfigOrExitCode();
  if (!config) return; // with exit code 78
  let rules: ReturnType<typeof rulesOf>;
  try {
    rules = rulesOf(config);
  } catch (err) {
    if (!(err instanceof SelectionListMissing)) throw err;
    process.stderr.write(`retention:destroy: ${err.message}\n`);
    process.exitCode = 78; // EX_CONFIG, before the database is opened
    return;
  }
  const today = process.argv[2] ?? todayInNetherlands();
  const refused = refusedAsOf(today);
  if (refused) {
    process.stderr.write(
      `retention:destroy: ${refused}. Nothing was destroyed.\nusage: retention:destroy [YYYY-MM-DD]   (the day to destroy as of, today or before; default today)\n`,
    );
    process.exitCode = 2;
    return;
  }
  if (rules.length === 0) {
    process.stdout.write(`${JSON.stringify({ destroyed: {}, note: 'no RETENTION_*_YEARS set: everything is kept' })}\n`);
    return;
  }
  // Never on a database it would have to make: a mistyped DATA_DIR would "succeed" every year, destroying nothing.
  await runOnDatabase(
    'retention:destroy',
    () => config,
    async (database) => {
      try {
        const report = await runRetentionDestroy(database, config, today);
        process.stdout.write(`${JSON.stringify({ today, rules, ...report })}\n`);
        return 0;
      } catch (err) {
        process.stderr.write(`retention:destroy failed: ${(err as Error).message}\n`);
        return 1;
      }
    },
    true,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

import { pathToFileURL } from 'node:url';
import { findStoredPersonalData } from '../application/queries/stored-personal-data.js';
import { loadConfig } from '../config.js';
import type { Database } from '../infrastructure/db/client.js';
import { runOnDatabase } from './on-database.js';

/**
 * Reports the personal data the database keeps that the rule would refuse now: one JSON line per
 * finding (where, and what kind; never the text), then a summary line and a plain one. Returns the
 * exit code: 0 when nothing was found, 1 when something was.
 */
export async function runPersonalDataReport(database: Database, write: (line: string) => void, pageSize?: number): Promise<number> {
  const summary = await findStoredPersonalData(database.db, (finding) => write(`${JSON.stringify(finding)}\n`), pageSize);
  write(`${JSON.stringify(summary)}\n`);
  const { recordsWithPersonalData: records, entriesWithPersonalData: entries } = summary;
  if (records + entries === 0) {
    write(
      `no personal data found in ${count(summary.recordsRead, 'record')} and ${count(summary.entriesRead, 'audit entry', 'audit entries')}\n`,
    );
    return 0;
  }
  write(`personal data found in ${count(records, 'record')} and ${count(entries, 'audit entry', 'audit entries')} (docs/api.md#text)\n`);
  return 1;
}

/** `1 record`, `2 records`: a count and its noun. */
export const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * `npm run personal-data:report`: reads the configured database (stop the server first on the
 * embedded one); exits 1 when it found personal data, 2 when it could not run.
 */
async function main(): Promise<void> {
  await runOnDatabase(
    'personal-data:report',
    () => loadConfig(),
    (database) => runPersonalDataReport(database, (line) => process.stdout.write(line)),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();

import type { Config } from '../config.js';
import { type Database, openDatabase, prepareDatabase } from '../infrastructure/db/client.js';

/**
 * A command line's run on the configured database: opens it (and migrates it first when `migrate`),
 * runs `work` and exits with the code it returns. A configuration it cannot load or a database it
 * cannot open (a data folder a running service holds, an unreachable server) is exit 2, "could not
 * run", in one line naming `name`; the database is closed in every case.
 */
export async function runOnDatabase(
  name: string,
  config: () => Config,
  work: (database: Database, config: Config) => Promise<number>,
  migrate = false,
): Promise<void> {
  let database: Database | undefined;
  try {
    const loaded = config();
    database = await openDatabase(loaded);
    if (migrate) await prepareDatabase(database, loaded.DATABASE_MIGRATION_URL);
    process.exitCode = await work(database, loaded);
  } catch (err) {
    process.stderr.write(`${name} could not run: ${(err as Error).message}\n`);
    process.exitCode = 2;
  } finally {
    await database?.close();
  }
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Config } from '../config.js';
import { type Database, openDatabase, prepareDatabase } from '../infrastructure/db/client.js';

/** The configured database, opened, when it holds a registry; else why not (and nothing is left open or made). */
async function openRegistry(config: Config, open: () => Promise<Database>): Promise<{ reason: string } | { database: Database }> {
  // Opening an embedded database in a folder that is not there would make an empty one.
  if (!config.DATABASE_URL && !existsSync(path.join(config.DATA_DIR, 'PG_VERSION'))) {
    return { reason: `there is no embedded database in DATA_DIR (${path.resolve(config.DATA_DIR)})` };
  }
  const database = await open();
  const result = (await database.db.execute(sql`select to_regclass('public.audit_log') is not null as migrated`)) as unknown as {
    rows: { migrated: boolean }[];
  };
  if (result.rows[0]?.migrated) return { database };
  await database.close();
  return { reason: 'the database holds no registry yet (start the service once, or npm run db:migrate)' };
}

/** An error's own message: the database's, not drizzle's wrapper with the statement and its parameters. */
const messageOf = (err: unknown): string => {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : (err as Error).message;
};

/**
 * A command line's run on the configured database: opens it (it must hold a registry already: an
 * embedded one is never made where there is none), migrates it first when `migrate` (a command that
 * needs the newest functions), runs `work` and exits with the code it returns. A configuration it
 * cannot load or a database it cannot open (a data folder a running service holds, an unreachable
 * server) is exit 2, "could not run", in one line naming `name` and the database's own message; the
 * database is closed in every case.
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
    const found = await openRegistry(loaded, () => openDatabase(loaded));
    if ('reason' in found) throw new Error(found.reason);
    database = found.database;
    if (migrate) await prepareDatabase(database, loaded.DATABASE_MIGRATION_URL);
    process.exitCode = await work(database, loaded);
  } catch (err) {
    process.stderr.write(`${name} could not run: ${messageOf(err)}\n`);
    process.exitCode = 2;
  } finally {
    await database?.close();
  }
}

import { loadConfigOrExitCode } from '../config.js';
import { openDatabase, prepareDatabase } from '../infrastructure/db/client.js';
import { migrationFailure } from '../infrastructure/db/errors.js';

/**
 * `npm run db:migrate`: applies migrations/ to the configured database and exits. As a start does:
 * through DATABASE_MIGRATION_URL when set (the owner), which also lets DATABASE_URL's plain role act as registry_app.
 * A failure is one line on stderr (exit 1), with the likely fix where there is one.
 */
const config = loadConfigOrExitCode();
if (!config) process.exit(); // with exit code 78

try {
  const database = await openDatabase(config);
  try {
    await prepareDatabase(database, config.DATABASE_MIGRATION_URL);
    process.stdout.write(
      `migrations applied to ${database.kind === 'postgres' ? 'PostgreSQL' : `the embedded database in ${config.DATA_DIR}`}\n`,
    );
  } finally {
    // Closing cannot undo what was applied: its own failure is not this command's answer.
    await database.close().catch(() => {});
  }
} catch (err) {
  // The database could not be opened, or a migration was refused (42501: the plain role may not change the schema).
  process.stderr.write(`${migrationFailure(err, config.DATABASE_MIGRATION_URL !== undefined)}\n`);
  process.exitCode = 1;
}

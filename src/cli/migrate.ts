import { loadConfigOrExitCode } from '../config.js';
import { openDatabase, prepareDatabase } from '../infrastructure/db/client.js';

/**
 * `npm run db:migrate`: applies migrations/ to the configured database and exits. As a start does:
 * through DATABASE_MIGRATION_URL when set (the owner), which also lets DATABASE_URL's plain role act as registry_app.
 */
const config = loadConfigOrExitCode();
if (!config) process.exit(); // with exit code 78
const database = await openDatabase(config);
try {
  await prepareDatabase(database, config.DATABASE_MIGRATION_URL);
  process.stdout.write(
    `migrations applied to ${database.kind === 'postgres' ? 'PostgreSQL' : `the embedded database in ${config.DATA_DIR}`}\n`,
  );
} finally {
  await database.close();
}

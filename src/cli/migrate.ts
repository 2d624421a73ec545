import { type Config, ConfigError, loadConfig } from '../config.js';
import { openDatabase, prepareDatabase } from '../infrastructure/db/client.js';

/**
 * `npm run db:migrate`: applies migrations/ to the configured database and exits. As a start does:
 * through DATABASE_MIGRATION_URL when set (the owner), which also lets DATABASE_URL's plain role act as registry_app.
 */
let config: Config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(78); // EX_CONFIG, as the service
}
const database = await openDatabase(config);
try {
  await prepareDatabase(database, config.DATABASE_MIGRATION_URL);
  process.stdout.write(
    `migrations applied to ${database.kind === 'postgres' ? 'PostgreSQL' : `the embedded database in ${config.DATA_DIR}`}\n`,
  );
} finally {
  await database.close();
}

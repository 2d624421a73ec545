import { loadConfig } from '../config.js';
import { migrateDatabase, openDatabase } from '../infrastructure/db/client.js';

/** `npm run db:migrate`: applies migrations/ to the configured database and exits. */
const config = loadConfig();
const database = await openDatabase(config);
try {
  await migrateDatabase(database);
  process.stdout.write(
    `migrations applied to ${database.kind === 'postgres' ? 'PostgreSQL' : `the embedded database in ${config.DATA_DIR}`}\n`,
  );
} finally {
  await database.close();
}

import { loadConfigOrExitCode } from '../config.js';
import { openDatabase, prepareDatabase } from '../infrastructure/db/client.js';

/**
 * `npm run db:migrate`: applies migrations/ to the configured database and exits. As a start does:
 * through DATABASE_MIGRATION_URL when set (the owner), which also lets DATABASE_URL's plain role act as registry_app.
 * A failure is one line on stderr (exit 1), with the likely fix where there is one.
 */
const config = loadConfigOrExitCode();
if (!config) process.exit(); // with exit code 78

/** The innermost cause's message and SQLSTATE: a driver's error wrapped by drizzle's "Failed query". */
function reasonOf(err: unknown): { message: string; code?: string } {
  let e = err;
  // A host with several addresses fails with one error per address (AggregateError): the first says why.
  while (e instanceof Error && (e.cause instanceof Error || (e instanceof AggregateError && e.errors[0] instanceof Error))) {
    e = e instanceof AggregateError && !(e.cause instanceof Error) ? e.errors[0] : e.cause;
  }
  const code = (e as { code?: unknown })?.code;
  return { message: e instanceof Error ? e.message : String(e), ...(typeof code === 'string' ? { code } : {}) };
}

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
  const { message, code } = reasonOf(err);
  // 42501 insufficient_privilege: the service's plain role may not create or alter the schema.
  const hint =
    code === '42501' && !config.DATABASE_MIGRATION_URL
      ? ' (DATABASE_URL’s role may not change the schema: set DATABASE_MIGRATION_URL to the database owner’s, docs/access.md)'
      : '';
  process.stderr.write(`migrations not applied: ${message}${code ? ` [${code}]` : ''}${hint}\n`);
  process.exitCode = 1;
}

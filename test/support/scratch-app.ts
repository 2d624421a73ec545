import type { Test } from 'tap';
import { buildAppFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { systemContext } from '../../src/application/context.js';
import { loadConfig } from '../../src/config.js';
import { openPostgres, type PostgresOptions, prepareDatabase } from '../../src/infrastructure/db/client.js';
import { json } from './helper.js';
import { scratchForService } from './scratch-database.js';

/**
 * The app on a scratch PostgreSQL database of its own (migrated through the owner, served as
 * DATABASE_URL's role), with pool options of the test's choosing, an optional replica URL, and an officer of GM0363: for the
 * tests that stall, cut or exhaust the database. Everything is closed and dropped in teardown.
 */
export async function appOnScratch(
  t: Test,
  prefix: string,
  pool: Omit<PostgresOptions, 'url' | 'readUrl'>,
  env: Record<string, string> = {},
  /** A read replica's URL, made from the database's own (`DATABASE_READ_URL`). */
  readUrlFor?: (appUrl: string) => Promise<string>,
) {
  const scratch = await scratchForService(prefix);
  t.teardown(() => scratch.drop());
  const readUrl = readUrlFor ? await readUrlFor(scratch.appUrl) : undefined;
  const database = await openPostgres({ ...pool, url: scratch.appUrl, ...(readUrl ? { readUrl } : {}) });
  await prepareDatabase(database, scratch.ownerUrl);
  const { app, services } = await buildAppFor(database, loadConfig({ LOG_LEVEL: 'silent', ...env }), { closeDatabase: true });
  await app.ready();
  t.teardown(() => app.close());
  const officer = madeBy(
    await services.commands.apiClients.create(systemContext('test'), { name: 'o', role: 'officer', municipalityCode: 'GM0363' }),
  );
  return { scratch, database, app, services, auth: { authorization: `Bearer ${officer.token}` } };
}

/** The answer to a request the database could not serve: 503 problem+json with Retry-After. */
export function assertDatabaseUnavailable(
  t: Test,
  res: { statusCode: number; body: string; headers: Record<string, unknown> },
  what: string,
) {
  t.equal(res.statusCode, 503, `${what}: 503 (${res.body.slice(0, 200)})`);
  t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: problem+json`);
  t.match(res.headers['retry-after'], /^[1-9][0-9]*$/, `${what}: Retry-After`);
  t.match(json(res), { status: 503, code: 'database-unavailable' }, what);
}

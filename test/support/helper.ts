import { generateKeyPairSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import { type App, buildAppFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { systemContext } from '../../src/application/context.js';
import type { Services } from '../../src/application/services.js';
import { loadConfig } from '../../src/config.js';
import { type SigningKey, signingKeyFromPem } from '../../src/infrastructure/audit/checkpoints.js';
import { type Database, type Db, openPglite, openPostgres, prepareDatabase } from '../../src/infrastructure/db/client.js';
import { ownerUrlFromEnv, usingPostgres } from './basics.js';
import { scratchFolder, seedDataDir } from './pglite-template.js';
import { withTemplate } from './postgres-template.js';
import { scratchForService } from './scratch-database.js';

/** The subset of tap's Test this helper needs. */
interface TestLike {
  teardown(fn: () => unknown): void;
}

export { json, sample, usingPostgres } from './basics.js';

/**
 * The database a test file runs the service on, and `owner`: a connection that may see and change
 * everything, for set-up and for inspecting (or tampering with) the tables from outside the service.
 */
export type TestDatabase = Database & {
  owner: Db;
  /** Where a process of its own (a script, a dump) reaches the same data: the owner's URL on PostgreSQL, the folder on PGlite (once closed). */
  outside: { databaseUrl: string } | { dataDir: string } | null;
};

/**
 * A fresh PostgreSQL database for one test, dropped afterwards: a copy of the migrated template
 * (test/support/postgres-template.ts), made through DATABASE_MIGRATION_URL (the owner) when set, and
 * prepared as the server does (no migration left to run; the service's role granted registry_app).
 * The service's connection logs in as DATABASE_URL's role, which CI makes a plain one, so row-level
 * security binds as in production.
 */
async function freshPostgres(t: TestLike): Promise<TestDatabase> {
  const scratch = await withTemplate(ownerUrlFromEnv(), (template) => scratchForService('er_test', template));
  t.teardown(() => scratch.drop());
  const options = { poolSize: 10, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 };
  const database = await openPostgres({ url: scratch.appUrl, ...options });
  await prepareDatabase(database, scratch.ownerUrl);
  const owner = await openPostgres({ url: scratch.ownerUrl, ...options, poolSize: 2 });
  t.teardown(() => owner.close());
  return Object.assign(database, { owner: owner.db, outside: { databaseUrl: scratch.ownerUrl } });
}

/**
 * A migrated database for one test file: PostgreSQL when DATABASE_URL is set, else PGlite (one
 * superuser connection) in a copy of the migrated template: in `dataDir` when given (kept for the
 * test to read), else in a folder of its own, removed once the database is closed.
 */
export async function testDatabase(t: TestLike, opts: { dataDir?: string } = {}): Promise<TestDatabase> {
  if (usingPostgres) {
    const database = await freshPostgres(t);
    t.teardown(() => database.close());
    return database;
  }
  const dataDir = opts.dataDir ?? scratchFolder('er-test-');
  await seedDataDir(dataDir);
  const opened = await openPglite({ dataDir });
  const database = Object.assign(opened, { owner: opened.db, outside: opts.dataDir ? { dataDir } : null });
  t.teardown(async () => {
    await database.close();
    if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return database;
}

export const testConfig = () => loadConfig({ LOG_LEVEL: 'silent' });

export interface TestContext {
  app: App;
  services: Services;
  database: TestDatabase;
  /** Creates an API client through its command and returns its bearer header. */
  client(
    role: 'officer' | 'analyst' | 'admin',
    municipalityCode?: string,
  ): Promise<{ id: string; token: string; auth: { authorization: string } }>;
}

/** Builds the app on a fresh database, ready for `app.inject`; closed when the test ends. */
export async function build(
  t: TestLike,
  opts: { config?: Record<string, string>; auditSigningKey?: SigningKey; clock?: () => Date; dataDir?: string } = {},
): Promise<TestContext> {
  const database = await testDatabase(t, opts);
  const config = loadConfig({ LOG_LEVEL: 'silent', ...opts.config });
  const { app, services } = await buildAppFor(database, config, {
    auditSigningKey: opts.auditSigningKey ?? null,
    ...(opts.clock ? { clock: opts.clock } : {}),
  });
  await app.ready();
  t.teardown(() => app.close());
  let n = 0;
  return {
    app,
    services,
    database,
    async client(role, municipalityCode) {
      n += 1;
      const created = madeBy(
        await services.commands.apiClients.create(systemContext('test set-up'), {
          name: `test ${role} ${n}`,
          role,
          municipalityCode: role === 'officer' ? (municipalityCode ?? 'GM0363') : null,
        }),
      );
      return { id: created.id, token: created.token, auth: { authorization: `Bearer ${created.token}` } };
    },
  };
}

/** A fresh Ed25519 audit signing key, for tests of the signed checkpoints. */
export const newSigningKey = (): SigningKey =>
  signingKeyFromPem(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());

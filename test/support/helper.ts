import { type App, buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { type Database, migrateDatabase, openPglite, openPostgres } from '../../src/db/client.js';
import { systemActor } from '../../src/services/context.js';
import { pgliteTemplate } from './pglite-template.js';
import { scratchDatabase } from './scratch-database.js';

/** The subset of tap's Test this helper needs. */
interface TestLike {
  teardown(fn: () => unknown): void;
}

export { pgliteTemplate };

export const usingPostgres = Boolean(process.env.DATABASE_URL);

/** A fresh, migrated PostgreSQL database for one test file, dropped afterwards. */
async function freshPostgres(t: TestLike): Promise<Database> {
  const scratch = await scratchDatabase(process.env.DATABASE_URL as string, 'er_test');
  t.teardown(() => scratch.drop());
  const database = await openPostgres({ url: scratch.url, poolSize: 10, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 });
  await migrateDatabase(database);
  return database;
}

/** A migrated database for one test file: PostgreSQL when DATABASE_URL is set, else PGlite. */
export async function testDatabase(t: TestLike): Promise<Database> {
  const database = usingPostgres ? await freshPostgres(t) : await openPglite({ loadDataDir: await pgliteTemplate() });
  t.teardown(() => database.close());
  return database;
}

export const testConfig = () => loadConfig({ LOG_LEVEL: 'silent' });

export interface TestContext {
  app: App;
  database: Database;
  /** Creates an API client through the repository and returns its bearer header. */
  client(
    role: 'officer' | 'analyst' | 'admin',
    municipalityCode?: string,
  ): Promise<{ id: string; token: string; auth: { authorization: string } }>;
}

/** Builds the app on a fresh database, ready for `app.inject`; closed when the test ends. */
export async function build(t: TestLike, opts: { config?: Record<string, string> } = {}): Promise<TestContext> {
  const database = await testDatabase(t);
  const config = loadConfig({ LOG_LEVEL: 'silent', ...opts.config });
  const app = await buildApp({ config, database });
  await app.ready();
  t.teardown(() => app.close());
  let n = 0;
  return {
    app,
    database,
    async client(role, municipalityCode) {
      n += 1;
      const created = await app.repos.apiClients.create(systemActor('test set-up'), {
        name: `test ${role} ${n}`,
        role,
        municipalityCode: role === 'officer' ? (municipalityCode ?? 'GM0363') : null,
      });
      return { id: created.id, token: created.token, auth: { authorization: `Bearer ${created.token}` } };
    },
  };
}

/** Bodies for tests: valid by default, overridable per field. */
export const sample = {
  establishment: (municipalityCode = 'GM0363', over: Record<string, unknown> = {}) => ({
    municipalityCode,
    name: 'Club Rood',
    kind: 'club',
    address: { street: 'Oudezijds Achterburgwal', houseNumber: 12, postalCode: '1012DK', city: 'Amsterdam' },
    ...over,
  }),
  licence: (over: Record<string, unknown> = {}) => ({
    licenceNumber: 'EV-2016-001',
    validFrom: '2016-01-01',
    validUntil: '2020-12-31',
    statusHistory: [{ status: 'granted', effectiveDate: '2016-01-01' }],
    ...over,
  }),
  action: (establishmentId: string, over: Record<string, unknown> = {}) => ({
    establishmentId,
    measure: 'administrative_fine',
    grounds: ['hygiene'],
    stage: 'decided',
    decisionDate: '2019-05-01',
    fine: { amountCents: 150_000 },
    ...over,
  }),
};

/** Parses a JSON response body. */
export const json = <T = Record<string, unknown>>(res: { body: string }): T => JSON.parse(res.body) as T;

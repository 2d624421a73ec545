import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrateDatabase, openPostgres } from '../../src/infrastructure/db/client.js';
import { migrationsHash } from './pglite-template.js';

const PREFIX = 'er_template_';
let template: Promise<string> | undefined;

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

const templateName = () => `${PREFIX}${migrationsHash()}`;

async function makeTemplate(ownerUrl: string): Promise<string> {
  const name = templateName();
  const exists = await withClient(ownerUrl, (c) => c.query('select 1 from pg_database where datname = $1', [name]));
  if (exists.rowCount) return name;
  const building = `${name}_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(ownerUrl, (c) => c.query(`create database ${building}`));
  try {
    const db = await openPostgres({
      url: withDatabase(ownerUrl, building),
      poolSize: 1,
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 600_000,
    });
    try {
      await migrateDatabase(db);
    } finally {
      await db.close();
    }
    await withClient(ownerUrl, (c) => c.query(`alter database ${building} rename to ${name}`));
  } catch (err) {
    // A failed migration, or another process renamed its copy into place first (42P04): this copy goes.
    await withClient(ownerUrl, (c) => c.query(`drop database if exists ${building} with (force)`));
    if ((err as { code?: string }).code !== '42P04') throw err;
  }
  return name;
}

/**
 * The name of a PostgreSQL database holding the current migrations and nothing else, on the server
 * of `ownerUrl` (DATABASE_MIGRATION_URL in CI): a test database is `create database … template` of
 * it. Creating and migrating every test database cost ~0.39 s (its 30-odd migrations, measured 7
 * December 2026 on this kind of machine); the copy takes ~0.06 s. Named after the migrations'
 * fingerprint, so a changed migration makes a new one. Made once, by tap's before script
 * (test/support/prepare.ts), and safely by any process that finds it missing: each migrates a
 * database of its own and renames it into place, and a loser drops its copy. A failure is not kept:
 * the next test asks again.
 */
export function postgresTemplate(ownerUrl: string): Promise<string> {
  template ??= makeTemplate(ownerUrl).catch((err) => {
    template = undefined;
    throw err;
  });
  return template;
}

/**
 * Runs `copy` (a `create database … template`) with the migrated template's name. Another run on the
 * same server, with other migrations, may have dropped this run's template as stale
 * (dropStaleTemplates) after this process looked it up: then it is made again, once.
 */
export async function withTemplate<T>(ownerUrl: string, copy: (template: string) => Promise<T>): Promise<T> {
  try {
    return await copy(await postgresTemplate(ownerUrl));
  } catch (err) {
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: the template does not exist
    template = undefined;
    return await copy(await postgresTemplate(ownerUrl));
  }
}

/**
 * Drops the templates of other migrations (a developer's server collects one per change) and the
 * copies that killed processes left half-built. The current template and its builds are kept, and
 * so is any database with a session (drop without force): a build in progress. A template that
 * another run is copying has no session and goes; that run makes it again (withTemplate).
 */
export async function dropStaleTemplates(ownerUrl: string): Promise<void> {
  const current = templateName();
  await withClient(ownerUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      'select datname from pg_database where starts_with(datname, $1) and datname <> $2 and not starts_with(datname, $3)',
      [PREFIX, current, `${current}_`],
    );
    for (const { datname } of rows) await c.query(`drop database if exists ${datname}`).catch(() => {});
  });
}

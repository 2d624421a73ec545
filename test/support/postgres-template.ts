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

/**
 * The name of a PostgreSQL database holding the current migrations and nothing else, on the server
 * of `ownerUrl` (DATABASE_MIGRATION_URL in CI): a test database is `create database … template` of
 * it. Migrating every test database itself cost ~0.32 s of each (its 30-odd migrations, measured
 * 7 December 2026 on this kind of machine); the copy takes ~0.06 s. Named after the migrations'
 * fingerprint, so a changed migration makes a new one. Made once, by tap's before script
 * (test/support/prepare.ts), and safely by any process that finds it missing: each migrates a
 * database of its own and renames it into place, and a loser drops its copy.
 */
export function postgresTemplate(ownerUrl: string): Promise<string> {
  template ??= (async () => {
    const name = `${PREFIX}${migrationsHash()}`;
    const exists = await withClient(ownerUrl, (c) => c.query('select 1 from pg_database where datname = $1', [name]));
    if (exists.rowCount) return name;
    const building = `${name}_${process.pid}_${randomBytes(4).toString('hex')}`;
    await withClient(ownerUrl, (c) => c.query(`create database ${building}`));
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
    await withClient(ownerUrl, async (c) => {
      try {
        await c.query(`alter database ${building} rename to ${name}`);
      } catch (err) {
        await c.query(`drop database if exists ${building} with (force)`);
        if ((err as { code?: string }).code !== '42P04') throw err; // 42P04: another process made it first
      }
    });
    return name;
  })();
  return template;
}

/** Drops the templates of earlier migrations (a developer's server collects one per change); one in use is left. */
export async function dropStaleTemplates(ownerUrl: string): Promise<void> {
  const current = `${PREFIX}${migrationsHash()}`;
  await withClient(ownerUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      `select datname from pg_database where datname like '${PREFIX}%' and datname <> $1 and datname !~ '_[0-9]+_[0-9a-f]{8}$'`,
      [current],
    );
    for (const { datname } of rows) await c.query(`drop database if exists ${datname}`).catch(() => {});
  });
}

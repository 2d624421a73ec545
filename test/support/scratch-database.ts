import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { ownerUrlFromEnv } from './basics.js';

/**
 * A scratch database beside the one in `adminUrl` (same server and credentials), with a unique name,
 * for a test file, a server process or a benchmark; `drop()` removes it, even with sessions still open.
 * Empty, or a copy of `template` (test/support/postgres-template.ts: already migrated).
 */
export async function scratchDatabase(adminUrl: string, prefix: string, template?: string) {
  const name = `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name}${template ? ` template ${template}` : ''}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`drop database if exists ${name} with (force)`);
      } finally {
        await c.end();
      }
    },
  };
}

/**
 * A scratch database on the server in DATABASE_URL, laid out as the service expects in production:
 * created through DATABASE_MIGRATION_URL, the owner, when set (empty, or a copy of the migrated
 * `template`); `appUrl` logs in as DATABASE_URL's role (a plain one in CI), `ownerUrl` as the owner.
 */
export async function scratchForService(prefix: string, template?: string) {
  const appBase = process.env.DATABASE_URL as string;
  const scratch = await scratchDatabase(ownerUrlFromEnv(), prefix, template);
  const app = new URL(appBase);
  app.pathname = `/${scratch.name}`;
  return { ...scratch, appUrl: app.toString(), ownerUrl: scratch.url };
}

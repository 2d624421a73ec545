import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS_DIR, migrateDatabase, openPglite } from '../../src/infrastructure/db/client.js';

/** A fingerprint of the migrations, so a cached template is rebuilt when they change. */
function migrationsHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string) => {
    for (const f of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, f.name);
      if (f.isDirectory()) walk(p);
      else h.update(f.name).update(readFileSync(p));
    }
  };
  walk(MIGRATIONS_DIR);
  return h.digest('hex').slice(0, 16);
}

let template: Blob | undefined;

/**
 * A migrated PGlite data folder, dumped once and loaded by every test file: a new PGlite runs
 * initdb (seconds, ~800 MB); loading a dump is about half a second. tap's `before` script
 * (test/support/before.ts) makes it before any test file starts, so no file pays for initdb.
 * Not compressed: a 40 MB tar loads ~0.3 s faster than its gzip, on every build().
 */
export async function pgliteTemplate(): Promise<Blob> {
  if (template) return template;
  const dir = path.join(tmpdir(), 'enforcement-registry-test');
  const file = path.join(dir, `template-${migrationsHash()}.tar`);
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const db = await openPglite({});
    await migrateDatabase(db);
    const dump = await db.client.dumpDataDir('none');
    await db.close();
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, file); // atomic: concurrent test files never read half a file
  }
  template = new Blob([readFileSync(file)]);
  return template;
}

// Run as a program by test/support/before.ts: makes the template before any test file starts.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await pgliteTemplate();

import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
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

let template: string | undefined;

/**
 * A migrated PGlite data folder, made once and copied for every test database: a new PGlite runs
 * initdb (seconds, ~800 MB), a copy on /dev/shm takes ~0.05 s. Opening a copy there and working in
 * it costs about a third less CPU than loading a dump (`loadDataDir`) into PGlite's in-memory file
 * system (open, 400 inserts, 200 queries, close: 0.6 s against 0.9-1.0 s; on the disk 0.9-1.3 s,
 * measured 6 December 2026). tap's `before` script (test/support/before.ts) makes it before any test
 * file starts, so no file pays for initdb.
 */
export async function pgliteTemplateDir(): Promise<string> {
  if (template) return template;
  const dir = path.join(tmpdir(), 'enforcement-registry-test', `template-${migrationsHash()}`);
  if (!existsSync(dir)) {
    const tmp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
    mkdirSync(tmp, { recursive: true });
    const db = await openPglite({ dataDir: tmp });
    await migrateDatabase(db);
    await db.close();
    try {
      renameSync(tmp, dir); // atomic: concurrent test files never copy half a folder
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      if (!existsSync(dir)) throw err; // else another process made it first
    }
  }
  template = dir;
  return template;
}

/**
 * Where a test database's folder goes: /dev/shm (memory) where the machine has it, else the temp
 * folder. Copying the template onto a disk cost 0.3-0.6 s of system time a database on this kind of
 * machine (ext4 on a virtual disk), on /dev/shm 0.05 s; PGlite's writes there are cheaper too.
 */
const scratchRoot = (() => {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
})();

/** A new empty folder for a test database, named `prefix…`, in memory where possible. */
export const scratchFolder = (prefix: string): string => mkdtempSync(path.join(scratchRoot, prefix));

/** Fills `dataDir` (made if missing, empty if present) with the migrated template: a registry as after its first start. */
export async function seedDataDir(dataDir: string): Promise<void> {
  cpSync(await pgliteTemplateDir(), dataDir, { recursive: true });
}

// Run as a program by test/support/before.ts: makes the template before any test file starts.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await pgliteTemplateDir();

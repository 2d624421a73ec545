import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  appendFileSync,
  constants,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MIGRATIONS_DIR, migrateDatabase, openPglite } from '../../src/infrastructure/db/client.js';

/**
 * What the template sets beyond PGlite's defaults. `shared_buffers` at PostgreSQL's 128MB made every
 * open touch 128 MB of wasm memory: opening a copy cost 0.92 s of CPU, with 16MB 0.49 s (5 opens
 * after a first, this kind of machine, 7 December 2026). A test database holds a few MB, so the
 * smaller pool changes no answer. The servers the process tests start on a seeded folder
 * (test/support/server.ts) run with it too; the service's own embedded database, in a folder it
 * makes itself, keeps PGlite's default.
 */
const TEMPLATE_SETTINGS = 'shared_buffers = 16MB\n';

/** A fingerprint of the migrations, so a cached template (PGlite's or PostgreSQL's) is rebuilt when they change. */
export function migrationsHash(): string {
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
  const version = createHash('sha256').update(migrationsHash()).update(TEMPLATE_SETTINGS).digest('hex').slice(0, 16);
  const dir = path.join(tmpdir(), 'enforcement-registry-test', `template-${version}`);
  if (!existsSync(dir)) {
    const tmp = `${dir}.${process.pid}.${randomBytes(4).toString('hex')}`;
    mkdirSync(tmp, { recursive: true });
    const db = await openPglite({ dataDir: tmp });
    await migrateDatabase(db);
    await db.close();
    appendFileSync(path.join(tmp, 'postgresql.conf'), `\n# test template (test/support/pglite-template.ts)\n${TEMPLATE_SETTINGS}`);
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

/**
 * A new empty folder for a test database, named `prefix<pid>-…`, in memory where possible. The
 * process id lets the next run remove what a killed test process left behind (sweepScratchFolders).
 */
export const scratchFolder = (prefix: string): string => mkdtempSync(path.join(scratchRoot, `${prefix}${process.pid}-`));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process: leave its folder
  }
};

/**
 * Removes the scratch folders of test processes that are gone: a file killed by tap's timeout, or a
 * run stopped with Ctrl-C, skips its teardown and would leave ~40 MB in /dev/shm (memory) each time.
 * A folder whose process still runs (another test run on this machine) is left alone.
 */
export function sweepScratchFolders(): void {
  for (const name of readdirSync(scratchRoot)) {
    const pid = /^er-[a-z-]+?-(\d+)-[A-Za-z0-9]{6}$/.exec(name)?.[1];
    if (pid && !alive(Number(pid))) rmSync(path.join(scratchRoot, name), { recursive: true, force: true });
  }
}

/** Fills `dataDir` (made if missing, empty if present) with the migrated template: a registry as after its first start. */
export async function seedDataDir(dataDir: string): Promise<void> {
  cpSync(await pgliteTemplateDir(), dataDir, { recursive: true });
}

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import t, { type Test } from 'tap';
import { acquireDataDirLock, processStart } from '../../src/infrastructure/db/client.js';

/**
 * The embedded database's folder lock (src/infrastructure/db/client.ts) and what the audit
 * verifier does when it meets one. No database is opened: the lock is taken before PGlite starts.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
// Every test here is on the embedded database whatever DATABASE_URL says (the commands' environment
// drops it): the PostgreSQL run of the suite skips them, the embedded run covers them.
const skip = process.env.DATABASE_URL ? 'the embedded database only: runs in the embedded-database suite' : false;

function tempDir(t: Test): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'er-lock-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A live process that has nothing to do with the registry. */
function unrelatedProcess(t: Test): ChildProcess & { pid: number } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  t.teardown(() => child.kill());
  return child as ChildProcess & { pid: number };
}

const lockFile = (dir: string) => path.join(dir, 'registry.lock');

t.test('a stale lock whose pid now belongs to an unrelated live process does not block the start', { skip }, async (t) => {
  const dir = tempDir(t);
  const other = unrelatedProcess(t);
  const start = processStart(other.pid);
  t.ok(start, 'this machine has /proc');
  // Written by a registry process that died; its pid was then given to `sleep`, which started later.
  writeFileSync(lockFile(dir), JSON.stringify({ pid: other.pid, start: String(Number(start) - 1000) }));
  acquireDataDirLock(dir)();
  t.pass('a lock with another start time is taken over');
  // The same, as an older version wrote the lock: only a pid, an hour before that process started.
  writeFileSync(lockFile(dir), String(other.pid));
  const anHourAgo = new Date(Date.now() - 3_600_000);
  utimesSync(lockFile(dir), anHourAgo, anHourAgo);
  acquireDataDirLock(dir)();
  t.pass('a bare-pid lock older than the process holding that pid is taken over');
});

t.test('a lock held by a live process with the recorded start time blocks', { skip }, async (t) => {
  const dir = tempDir(t);
  const other = unrelatedProcess(t);
  writeFileSync(lockFile(dir), JSON.stringify({ pid: other.pid, start: processStart(other.pid) }));
  t.throws(() => acquireDataDirLock(dir), /in use by another process/);
  // A lock of the older format (a bare pid) of a live process is honoured as before.
  writeFileSync(lockFile(dir), String(other.pid));
  t.throws(() => acquireDataDirLock(dir), /in use by another process/);
});

t.test('a lock of a process that was killed but not yet reaped by its parent (a zombie) does not block', { skip }, async (t) => {
  const dir = tempDir(t);
  // The shell starts a short sleep, prints its pid and becomes a long sleep, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.2 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => parent.kill());
  const [line] = await once(createInterface({ input: parent.stdout }), 'line');
  const pid = Number(line);
  const start = processStart(pid);
  t.ok(start, 'the holder runs');
  writeFileSync(lockFile(dir), JSON.stringify({ pid, start }));
  t.throws(() => acquireDataDirLock(dir), /in use by another process/, 'held while it runs');
  const state = () => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
  for (let i = 0; i < 100 && state() !== 'Z'; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(state(), 'Z', 'it has exited and is not reaped');
  acquireDataDirLock(dir)();
  t.pass('its lock is taken over');
});

t.test(
  'a lock from another pid namespace (a second container on the same volume) blocks while its holder keeps it fresh',
  { skip },
  async (t) => {
    const dir = tempDir(t);
    // In each container the service is pid 1, and a pid of another container cannot be looked up here:
    // neither our own pid nor a pid that is not alive here says anything about the holder.
    for (const pid of [process.pid, 2 ** 22 + 1]) {
      writeFileSync(lockFile(dir), JSON.stringify({ pid, start: '12345', ns: 'pid:[1]' }));
      t.throws(() => acquireDataDirLock(dir), /in use by another process/, `pid ${pid} of another namespace, refreshed just now: held`);
      const aMinuteAgo = new Date(Date.now() - 60_000);
      utimesSync(lockFile(dir), aMinuteAgo, aMinuteAgo);
      acquireDataDirLock(dir)();
      t.pass(`pid ${pid} of another namespace, not refreshed for a minute: taken over (its container is gone)`);
    }
    // The holder keeps its lock fresh, and records its namespace.
    const release = acquireDataDirLock(dir, { refreshMs: 50 });
    t.teardown(release);
    t.match(JSON.parse(readFileSync(lockFile(dir), 'utf8')), { pid: process.pid, ns: /^pid:\[\d+\]$/ });
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockFile(dir), old, old);
    await new Promise((r) => setTimeout(r, 300));
    t.ok(Date.now() - statSync(lockFile(dir)).mtimeMs < 5000, 'refreshed while held');
  },
);

t.test('audit:verify on a locked data folder exits 2 (could not run), not 1 (broken)', { skip }, async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'PG_VERSION'), '18\n'); // a database folder, as far as the command can tell before it opens it
  const release = acquireDataDirLock(dir); // held by this (live) test process
  t.teardown(release);
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/audit-verify.ts'], {
    cwd: ROOT,
    env: embedded(dir),
    encoding: 'utf8',
  });
  t.equal(run.status, 2, `exit code (stderr: ${run.stderr.slice(0, 300)})`);
  t.match(run.stderr, /could not run: .*in use by another process/);
});

t.test('a command on the registry makes no embedded database where there is none', { skip }, async (t) => {
  const dir = path.join(tempDir(t), 'data');
  const commands = [
    { cli: 'audit-verify', args: [] },
    { cli: 'personal-data-report', args: [] },
    { cli: 'personal-data-redact', args: ['--by', 'fg', '--reason', 'AVG', '--apply'] }, // it migrates: a registry first
  ];
  for (const { cli, args } of commands) {
    const run = spawnSync(process.execPath, ['--import', 'tsx', `src/cli/${cli}.ts`, ...args], {
      cwd: ROOT,
      env: embedded(dir),
      encoding: 'utf8',
    });
    t.equal(run.status, 2, `${cli}: exit 2 (stderr: ${run.stderr.slice(0, 300)})`);
    t.match(run.stderr, /could not run: there is no embedded database in DATA_DIR/, cli);
    t.notOk(existsSync(dir), `${cli}: no folder made`);
  }
});

/** The environment of a command on the embedded database in `dir`. */
function embedded(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dir, LOG_LEVEL: 'silent' };
  delete env.DATABASE_URL;
  delete env.DATABASE_READ_URL;
  delete env.DATABASE_MIGRATION_URL;
  return env;
}

t.test('a takeover left half done by a process that died does not block the folder', { skip }, async (t) => {
  const dir = tempDir(t);
  const dead = spawnSync('true').pid;
  const stale = JSON.stringify({ pid: dead, start: '1' });
  writeFileSync(lockFile(dir), stale);
  // Its claim on the stale lock's removal (src/infrastructure/db/client.ts, removeStale), by a process now gone too.
  const claim = `${lockFile(dir)}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  writeFileSync(claim, JSON.stringify({ pid: dead, start: '2' }));
  const release = acquireDataDirLock(dir);
  t.match(JSON.parse(readFileSync(lockFile(dir), 'utf8')), { pid: process.pid }, 'taken over');
  t.same(readdirSync(dir), ['registry.lock'], 'the dead claim is gone, and no file of the takeover is left');
  release();
});

/**
 * A process of its own (the lock's pid is the process's) that takes the lock of the folder named by
 * each `go <dir>` line and answers `won` or `lost`, and lets it go on `release`.
 */
async function locker(t: Test) {
  const client = pathToFileURL(path.join(ROOT, 'src/infrastructure/db/client.ts')).href;
  const script = `
    import { once } from 'node:events';
import { createInterface } from 'node:readline';
    const { acquireDataDirLock, DataDirLockedError } = await import(${JSON.stringify(client)});
    let release = null;
    console.log('ready');
    for await (const line of createInterface({ input: process.stdin })) {
      if (line.startsWith('go ')) {
        try {
          release = acquireDataDirLock(line.slice(3));
          console.log('won');
        } catch (err) {
          console.log(err instanceof DataDirLockedError ? 'lost' : 'error ' + err.message);
        }
      } else if (line === 'release') {
        release?.();
        release = null;
        console.log('released');
      }
    }`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.teardown(() => child.kill());
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => String((await lines.next()).value);
  t.equal(await next(), 'ready');
  return { send: (line: string) => child.stdin.write(`${line}\n`), next };
}

t.test('two processes taking over one stale lock at the same instant: exactly one wins', { skip }, async (t) => {
  const [a, b] = [await locker(t), await locker(t)];
  const dead = spawnSync('true').pid; // a registry process that died holding the lock
  const rounds = 300;
  const outcomes: Record<string, number> = {};
  for (let round = 0; round < rounds; round++) {
    const dir = mkdtempSync(path.join(tmpdir(), 'er-lock-race-'));
    writeFileSync(lockFile(dir), JSON.stringify({ pid: dead, start: '1' }));
    a.send(`go ${dir}`);
    b.send(`go ${dir}`);
    const got = [await a.next(), await b.next()].sort().join(' and ');
    outcomes[got] = (outcomes[got] ?? 0) + 1;
    a.send('release');
    b.send('release');
    await Promise.all([a.next(), b.next()]);
    rmSync(dir, { recursive: true, force: true });
  }
  t.same(outcomes, { 'lost and won': rounds }, `of ${rounds} races, one winner each time: ${JSON.stringify(outcomes)}`);
});

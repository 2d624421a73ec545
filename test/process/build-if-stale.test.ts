import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';

/**
 * `npm start` runs scripts/build-if-stale.mjs first (prestart): it builds dist/ with tsc only when
 * dist/server.js is missing or older than the sources. Run here in a scratch project with one source
 * file, so the real script and the real tsc do the work in a second or two.
 */
const SCRIPT = path.resolve(import.meta.dirname, '../../scripts/build-if-stale.mjs');
t.setTimeout(120_000); // tsc starts twice
// It does not touch a database: the PostgreSQL run of the suite skips it (the embedded run covers it).
const skip = process.env.DATABASE_URL ? 'needs no database: runs in the embedded-database suite' : false;

t.test('builds when dist/ is missing or older than src/, and not when it is fresh', { skip }, async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'er-build-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(path.join(root, 'src'));
  writeFileSync(path.join(root, 'src/server.ts'), 'export const answer: number = 42;\n');
  writeFileSync(
    path.join(root, 'tsconfig.build.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', outDir: 'dist', rootDir: 'src', types: [] },
      include: ['src'],
    }),
  );
  const server = path.join(root, 'dist/server.js');
  const run = () => execFileSync(process.execPath, [SCRIPT], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const past = (seconds: number) => new Date(Date.now() - seconds * 1000);

  // A fresh clone: no dist/ yet.
  run();
  t.ok(statSync(server).isFile(), 'dist/server.js was built');

  // Fresh: dist/server.js is newer than every source. Age it a little (still newer than the source), so a rebuild would show.
  utimesSync(path.join(root, 'src/server.ts'), past(120), past(120));
  utimesSync(path.join(root, 'tsconfig.build.json'), past(120), past(120));
  utimesSync(path.join(root, 'src'), past(120), past(120));
  utimesSync(server, past(60), past(60));
  const before = statSync(server).mtimeMs;
  run();
  t.equal(statSync(server).mtimeMs, before, 'dist/ is fresh: no build, dist/server.js untouched');

  // A source edited after the build: rebuilt. Here the edit has a type error, so the build fails: the
  // start stops, and no dist/server.js is left that would look fresh next time.
  writeFileSync(path.join(root, 'src/server.ts'), 'export const answer: number = "not a number";\n');
  t.throws(run, 'a newer source: tsc runs again, and its failure fails the start');
  t.throws(() => statSync(server), 'no dist/server.js is left behind');
});

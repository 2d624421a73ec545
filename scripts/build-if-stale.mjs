// `npm start`'s first step (prestart): builds dist/ with tsc only when it is missing or older than
// the sources (src/, tsconfig*.json), so a start with a fresh build goes straight to
// `node dist/server.js`. Plain JavaScript, so it needs nothing but Node. Run in the folder to check
// (the repository root under npm). Without src/ (an image holding only dist/) it never builds.
// Exit code: 0 when dist/ is up to date or was built, tsc's code when the build failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = process.cwd();
const output = path.join(root, 'dist', 'server.js');

/** The newest modification time of a file or anything under a folder. */
function newest(p) {
  const s = statSync(p);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(p).reduce((latest, name) => Math.max(latest, newest(path.join(p, name))), s.mtimeMs);
}

const sources = [
  path.join(root, 'src'),
  ...readdirSync(root)
    .filter((f) => /^tsconfig.*\.json$/.test(f))
    .map((f) => path.join(root, f)),
];
if (!existsSync(sources[0])) process.exit(0);
const built = existsSync(output) ? statSync(output).mtimeMs : -1;
const changed = Math.max(...sources.map(newest));
if (built >= changed) process.exit(0);

process.stderr.write(built < 0 ? 'Building dist/ (first start)…\n' : 'Building dist/ (the sources changed since the last build)…\n');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  // tsc writes its output even when it reports errors: leave no server.js that looks fresh.
  rmSync(output, { force: true });
  process.exit(result.status ?? 1);
}

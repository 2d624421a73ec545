/**
 * `npm run bench:first-start`: a newcomer's first minutes, timed. Clones this repository (its
 * committed HEAD) into a temporary folder and there runs, one after the other:
 *
 *   1. `npm ci`
 *   2. `npm start` until the `ready` log line: builds dist/, creates the embedded database (initdb),
 *      migrates, creates the first admin and prints its token
 *   3. the first authenticated answer: GET /v1/api-clients with the printed token
 *   4. `npm start` again on the existing folder, to `ready` (no build, no initdb)
 *   5. `npm run demo` until the letter's figures (85 / 610) are answered over HTTP
 *
 * Prints each step's seconds and the running total. BENCH_KEEP=1 keeps the clone; BENCH_NPM_CI_ARGS
 * adds arguments to `npm ci` (e.g. `--prefer-offline`). npm's cache is whatever this machine has:
 * say which when reporting (a cold cache downloads ~250 MB).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../test/support/free-port.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const began = performance.now();
const rows: { step: string; seconds: number }[] = [];
const sec = (ms: number) => Math.round(ms / 100) / 10;

function record(step: string, from: number): void {
  rows.push({ step, seconds: sec(performance.now() - from) });
  process.stderr.write(`  ${step}: ${sec(performance.now() - from)} s (total ${sec(performance.now() - began)} s)\n`);
}

/** Runs a command to its end, output discarded unless it fails. */
function runToEnd(cmd: string, args: string[], cwd: string): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
}

/** Spawns a long-running command; resolves once `until` matches its output (stdout and stderr). */
function spawnUntil(cmd: string, args: string[], cwd: string, env: Record<string, string>, until: RegExp) {
  const proc = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk.toString();
      const m = until.exec(output);
      if (m) resolve(m);
    };
    proc.stdout?.on('data', look);
    proc.stderr?.on('data', look);
    proc.on('exit', (code) => reject(new Error(`${cmd} ${args.join(' ')} exited (${code}) before ${until}:\n${output.slice(-3000)}`)));
  });
  return { proc, matched, output: () => output };
}

/** Stops a process started by spawnUntil and everything it started (npm runs node under a shell). */
async function stop(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.pid === undefined) return;
  const exited = new Promise((r) => proc.once('exit', r));
  process.kill(-proc.pid, 'SIGTERM');
  await exited;
}

const clone = mkdtempSync(path.join(tmpdir(), 'er-first-start-'));
const branch = execFileSync('git', ['rev-parse', '--abbrev-ref', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
process.stderr.write(
  `First start of ${branch} in ${clone} (${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')})\n`,
);
try {
  let t = performance.now();
  runToEnd('git', ['clone', '--quiet', '--branch', branch, ROOT, clone], tmpdir());
  record('git clone', t);

  t = performance.now();
  runToEnd('npm', ['ci', '--no-audit', '--no-fund', ...(process.env.BENCH_NPM_CI_ARGS?.split(' ').filter(Boolean) ?? [])], clone);
  record('npm ci', t);

  const port = String(await freePort());
  const env = { PORT: port, DATA_DIR: path.join(clone, 'data'), REGISTRY_ADMIN_TOKEN: '', NODE_ENV: '', REGISTRY_FIRST_START_HINTS: '' };
  t = performance.now();
  const first = spawnUntil('npm', ['start'], clone, env, /export REGISTRY_ADMIN_TOKEN=(\S+)/);
  const token = (await first.matched)[1] as string;
  record('npm start to ready (build, initdb, migrations, first admin)', t);
  t = performance.now();
  const answer = await fetch(`http://127.0.0.1:${port}/v1/api-clients`, { headers: { authorization: `Bearer ${token}` } });
  if (answer.status !== 200) throw new Error(`the first authenticated answer was ${answer.status}`);
  record('first authenticated answer', t);
  rows.push({ step: 'clean clone to first authenticated answer', seconds: sec(performance.now() - began) });
  await stop(first.proc);

  t = performance.now();
  const again = spawnUntil('npm', ['start'], clone, env, /"msg":"ready"/);
  await again.matched;
  record('npm start again to ready (existing folder, no build)', t);
  await stop(again.proc);

  t = performance.now();
  const demoPort = String(await freePort());
  const demo = spawnUntil(
    'npm',
    ['run', 'demo'],
    clone,
    { PORT: demoPort, DEMO_DATA_DIR: path.join(clone, 'data-demo') },
    /analyst\s+(er_\S+)/,
  );
  const analyst = (await demo.matched)[1] as string;
  const summary = await fetch(
    `http://127.0.0.1:${demoPort}/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2017&yearTo=2019`,
    { headers: { authorization: `Bearer ${analyst}` } },
  );
  const items = ((await summary.json()) as { items: { licenceStatus: string; actions: number }[] }).items;
  const figure = (s: string) => items.find((i) => i.licenceStatus === s)?.actions;
  if (figure('licensed') !== 85 || figure('unlicensed') !== 610)
    throw new Error(`the demo answered ${figure('licensed')} / ${figure('unlicensed')}, not 85 / 610`);
  record('npm run demo to the letter’s 85 / 610', t);
  await stop(demo.proc);

  process.stdout.write(`\n| step | seconds |\n| --- | ---: |\n${rows.map((r) => `| ${r.step} | ${r.seconds} |`).join('\n')}\n`);
  process.stdout.write(`| everything above | ${sec(performance.now() - began)} |\n`);
} finally {
  if (process.env.BENCH_KEEP) process.stderr.write(`kept ${clone}\n`);
  else rmSync(clone, { recursive: true, force: true });
}

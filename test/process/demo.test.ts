import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';

/**
 * `npm run demo` (scripts/demo.ts), run as a newcomer runs it: it prints tokens and curl commands, and
 * each printed command answers as the docs say. A newcomer's review found the audit checkpoint steps of
 * docs/audit-trail.md failing against it (no signing key); this keeps the demo a service like `npm start`.
 */
t.setTimeout(180_000); // initdb in WebAssembly and the demo data set, on a loaded machine

const ROOT = path.resolve(import.meta.dirname, '../..');
const skip = process.env.DATABASE_URL ? 'the demo is the embedded database only' : false;

t.test('the demo prints working curl commands and signs audit checkpoints', { skip }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'er-demo-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const proc = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'scripts/demo.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, DEMO_DATA_DIR: path.join(dir, 'data'), PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
  });
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  proc.stderr.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => proc.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  for (let i = 0; i < 1500 && !/Open data \(no token/.test(out) && proc.exitCode === null; i++)
    await new Promise((r) => setTimeout(r, 100));
  t.match(out, /The letter's figures from it: 85 actions against licensed and 610 against unlicensed establishments\./);
  const base = /listening on (http:\/\/\S+\/v1)/.exec(out)?.[1];
  const admin = /^ {2}admin\s+(\S+)$/m.exec(out)?.[1];
  t.ok(base && admin, `the address and the tokens are printed:\n${out.slice(0, 2000)}`);

  // Every curl command it prints, as pasted into a terminal.
  const commands = out.split('\n').filter((line) => line.startsWith('  curl '));
  t.equal(commands.length, 4, 'four commands');
  const run = promisify(execFile);
  const answers = await Promise.all(commands.map((c) => run('bash', ['-e', '-o', 'pipefail', '-c', c], { timeout: 60_000 })));
  const [summary, csv, actions, open] = answers.map((a) => a.stdout);
  t.match(JSON.parse(summary ?? '{}'), {
    items: [
      { licenceStatus: 'licensed', actions: 85 },
      { licenceStatus: 'unlicensed', actions: 610 },
    ],
  });
  t.match(csv?.split('\n')[0], /^year,municipality_code,municipality_name,licence_status,/, 'the CSV, with its header');
  t.ok((JSON.parse(actions ?? '{}') as { items: unknown[] }).items.length > 0, 'Amsterdam’s actions');
  t.ok((JSON.parse(open ?? '{}') as { cells?: unknown[] }).cells?.length, 'open data, its cells');

  // The checkpoint steps of docs/audit-trail.md: the public key, and a checkpoint signed with it.
  const key = await fetch(`${base}/audit-trail/public-key`);
  t.equal(key.status, 200, 'a public key: the demo signs checkpoints');
  const checkpoint = await fetch(`${base}/audit-trail/checkpoints`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
  t.equal(checkpoint.status, 201, await checkpoint.text());

  proc.kill('SIGTERM');
  t.equal(await exited, 0, 'Ctrl-C stops it cleanly');
});

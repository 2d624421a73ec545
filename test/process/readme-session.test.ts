import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { ensureBuilt, owned, seededDataDir, startServer } from '../support/server.js';

/**
 * The README's example session, exactly as written: the sh block under the `example-session`
 * marker, run with bash against a server started as a newcomer starts it (no REGISTRY_ADMIN_TOKEN:
 * the token comes from the line the first start prints), so the README cannot drift from what runs.
 */
const README = readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
t.setTimeout(180_000); // a spawned server (PGlite, migrations) and a dozen curl and node processes
ensureBuilt();

/** The ```sh block after the marker comment. */
function exampleSession(readme: string): string {
  const marker = readme.indexOf('<!-- example-session');
  const start = readme.indexOf('```sh\n', marker);
  const end = readme.indexOf('\n```', start + 6);
  if (marker < 0 || start < 0 || end < 0) throw new Error('README.md has no example-session block');
  return readme.slice(start + 6, end + 1);
}

// The embedded database's first-start experience; the PostgreSQL run of the suite skips it.
const skip = process.env.DATABASE_URL ? 'the example session is the embedded first start' : false;

t.test('the README example session runs top to bottom against a first start', { skip }, async (t) => {
  const dataDir = await seededDataDir(t, 'readme'); // migrated, as after initdb

  const server = owned(t, startServer({ PORT: '0', LOG_LEVEL: 'info', DATA_DIR: dataDir }));
  const port = new URL(await server.ready).port;
  for (let i = 0; i < 20 && !/export REGISTRY_ADMIN_TOKEN=/.test(server.output()); i++) await new Promise((r) => setTimeout(r, 100));
  const token = /export REGISTRY_ADMIN_TOKEN=(\S+)/.exec(server.output())?.[1];
  t.ok(token, 'the first start printed the export line the session starts from');

  // As pasted into a terminal, except that the first failing command stops it (-e, pipefail).
  const session = exampleSession(README);
  const { stdout } = await promisify(execFile)('bash', ['-e', '-o', 'pipefail', '-c', session], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', PORT: port, REGISTRY_ADMIN_TOKEN: token ?? '' },
    timeout: 120_000,
  });
  const lines = stdout.split('\n');
  t.match(lines[0], /^HTTP\/1\.1 201 Created/, 'the establishment is created');
  t.match(stdout, /^location: \/v1\/establishments\/[0-9a-f-]{36}\r?$/m, 'its Location');
  t.match(stdout, /^etag: "1"\r?$/m, 'its ETag');
  t.match(stdout, /^idempotent-replayed: true\r?$/m, 'the retry is answered from the first');
  t.match(stdout, /^administrative_fine, unlicensed, version 1$/m, 'the action, derived unlicensed');
  t.match(
    stdout,
    /^licensed: 0\nunlicensed: 1\nCounts enforcement actions \(bestuurlijke handhavingsmaatregelen\) in stages decided, objection, appeal, final;/m,
    'the figures, with their counting rule, as the README shows them',
  );
  server.proc.kill('SIGTERM');
  t.equal(await server.exited, 0);
});

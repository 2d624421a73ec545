import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import { usingPostgres } from '../support/basics.js';
import { scratchForService } from '../support/scratch-database.js';
import { ensureBuilt, startServer } from '../support/server.js';

/**
 * Imports across processes: the CLI against a listening service; a service stopped in the middle
 * of an import, and a new one on the same database that resumes it; a cancel while running.
 */
t.setTimeout(240_000);

const ROOT = path.resolve(import.meta.dirname, '../..');
const ADMIN = 'import-test-admin-token-0123456789abcdef';
const HEADER = 'externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId';
const establishments = (prefix: string, n: number) =>
  `${HEADER}\n${Array.from({ length: n }, (_, i) => `${prefix}-${i},GM0363,Club ${prefix} ${i},club,Kade,${(i % 999) + 1},,1012DK,Amsterdam,,`).join('\n')}\n`;

type Job = { id: string; state: string; phase: string | null; rowsDone: number; rowsTotal: number; counts: Record<string, number> };

function runCli(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const proc = spawn(process.execPath, [path.join(ROOT, 'dist/cli/import.js'), ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    proc.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

t.test('CLI, restart mid-import, cancel', async (t) => {
  ensureBuilt();
  const dir = mkdtempSync(path.join(tmpdir(), 'er-import-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  let dbEnv: Record<string, string> = { DATA_DIR: path.join(dir, 'data') };
  if (usingPostgres) {
    const scratch = await scratchForService('er_import');
    t.teardown(scratch.drop);
    dbEnv = { DATABASE_URL: scratch.appUrl, DATABASE_MIGRATION_URL: scratch.ownerUrl };
  }
  const env = { ...dbEnv, PORT: '0', REGISTRY_ADMIN_TOKEN: ADMIN, IMPORT_BATCH_SIZE: '10', NOTIFICATIONS_DISPATCH: 'off' };

  let server = startServer(env);
  t.teardown(() => server.proc.kill('SIGKILL'));
  let base = `${await server.ready}/v1`;
  const made = await fetch(`${base}/api-clients`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'import officer', role: 'officer', municipalityCode: 'GM0363' }),
  });
  const officer = ((await made.json()) as { token: string }).token;
  const auth = { authorization: `Bearer ${officer}` };
  const getJob = async (id: string) => (await (await fetch(`${base}/imports/${id}`, { headers: auth })).json()) as Job;
  const upload = async (body: string, query: string) => {
    const res = await fetch(`${base}/imports?${query}`, { method: 'POST', headers: { ...auth, 'content-type': 'text/csv' }, body });
    t.equal(res.status, 202);
    return (await res.json()) as Job;
  };
  const until = async (id: string, done: (j: Job) => boolean) => {
    for (let i = 0; i < 600; i++) {
      const j = await getJob(id);
      if (done(j)) return j;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('timed out');
  };

  // The CLI: a dry run with a rejected record exits 1 and lists it; a good file exits 0.
  const bad = path.join(dir, 'establishments-bad.csv');
  writeFileSync(bad, `${establishments('B', 3)}B-9,GM0363,Club,castle,Kade,1,,1012DK,Amsterdam,,\n`);
  const cliEnv = { REGISTRY_URL: base, REGISTRY_TOKEN: officer };
  const dry = await runCli([bad, '--dry-run'], cliEnv);
  t.equal(dry.code, 1, dry.stderr);
  t.match(dry.stdout, /: succeeded \(dry run: nothing was written\)/);
  t.match(dry.stdout, /created 3, updated 0, unchanged 0, rejected 1/);
  t.match(dry.stdout, /line 5, kind: invalid_value/);
  t.match(dry.stderr, /\[#+\] 100% 4\/4/);
  const good = path.join(dir, 'establishments-good.csv');
  writeFileSync(good, establishments('G', 40));
  const ok = await runCli([good], cliEnv);
  t.equal(ok.code, 0, ok.stderr + ok.stdout);
  t.match(ok.stdout, /created 40, updated 0, unchanged 0, rejected 0/);
  const again = await runCli([good], cliEnv);
  t.match(again.stdout, /created 0, updated 0, unchanged 40, rejected 0/);
  // A dry run of an edited file names what it would change, record by record.
  const edited = path.join(dir, 'establishments-edited.csv');
  writeFileSync(edited, establishments('G', 40).replace('G-7,GM0363,Club G 7,club,Kade,8,', 'G-7,GM0363,Club G 7,club,Dijk,80,'));
  const changes = await runCli([edited, '--dry-run'], cliEnv);
  t.equal(changes.code, 0, changes.stderr);
  t.match(changes.stdout, /would change: 1\n {4}line 9, G-7: street, houseNumber\n/);
  const noToken = await runCli([good], { REGISTRY_URL: base });
  t.equal(noToken.code, 2);

  // Stop the service in the middle of applying; a new one on the same database resumes after the last commit.
  const N = 500;
  const big = await upload(establishments('R', N), 'recordType=establishments&mode=row-by-row');
  const partway = await until(big.id, (j) => j.rowsDone >= 50);
  t.ok(partway.rowsDone < N, `stopped part way (${partway.rowsDone} of ${N})`);
  server.proc.kill('SIGTERM');
  await server.exited;
  server = startServer(env);
  base = `${await server.ready}/v1`;
  const resumed = await until(big.id, (j) => j.state !== 'running' && j.state !== 'queued');
  t.match(resumed, { state: 'succeeded', rowsDone: N, counts: { created: N, rejected: 0 } });
  const list = (await (await fetch(`${base}/establishments?name=Club%20R&pageSize=1`, { headers: auth })).json()) as {
    totalItems: number;
  };
  t.equal(list.totalItems, N, 'every record once: none lost, none twice');

  // Cancel while running: what committed stays, and the counts say how much.
  const other = await upload(establishments('C', N), 'recordType=establishments&mode=row-by-row');
  await until(other.id, (j) => j.rowsDone >= 20);
  const cancel = await fetch(`${base}/imports/${other.id}/cancel`, { method: 'POST', headers: auth });
  t.equal(cancel.status, 202);
  const stopped = await until(other.id, (j) => j.state !== 'running');
  t.equal(stopped.state, 'cancelled');
  t.ok(stopped.rowsDone < N, `cancelled at ${stopped.rowsDone}`);
  const kept = (await (await fetch(`${base}/establishments?name=Club%20C&pageSize=1`, { headers: auth })).json()) as {
    totalItems: number;
  };
  t.equal(kept.totalItems, stopped.counts.created, 'the counts say what was kept');
});

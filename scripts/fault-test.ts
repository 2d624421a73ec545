/**
 * `npm run test:fault`: the fault and load test. Starts a PRIVATE PostgreSQL 15 (its own data folder
 * and port, so restarting it never disturbs anyone else's database), starts the built service
 * (`node dist/server.js`) on it, and runs many concurrent clients that create and update
 * enforcement actions with Idempotency-Keys, retrying on network errors, 503s and 409s, and sending
 * some keys twice at once. Midway it restarts PostgreSQL (pg_ctl restart -m fast) and later kills the
 * service with SIGKILL and starts it again. Then it reconciles, straight from the database:
 * every acknowledged create exists exactly once, no create exists twice, every action has its
 * audit entry. Exits 1 when anything is lost or duplicated.
 *
 * Environment: FAULT_DURATION_S (default 30), FAULT_CLIENTS (16), FAULT_PG_PORT (55432),
 * PG_BIN (/usr/lib/postgresql/15/bin).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from '../test/support/free-port.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const PG_BIN = process.env.PG_BIN ?? '/usr/lib/postgresql/15/bin';
let PG_PORT = Number(process.env.FAULT_PG_PORT ?? 55432);
const DURATION_MS = Number(process.env.FAULT_DURATION_S ?? 30) * 1000;
const CLIENTS = Number(process.env.FAULT_CLIENTS ?? 16);
const RUN_AS_POSTGRES = process.getuid?.() === 0; // initdb refuses to run as root

const log = (msg: string) => process.stdout.write(`[fault-test ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const stats = {
  requests: 0,
  acknowledged: 0,
  retried: 0,
  unavailable503: 0,
  conflicts409: 0,
  networkErrors: 0,
  updates: 0,
  stale412: 0,
  other: 0,
};
const unexpected: string[] = [];

// ---------------------------------------------------------------- private PostgreSQL
const dataRoot = mkdtempSync(path.join(tmpdir(), 'er-fault-pg-'));
const dataDir = path.join(dataRoot, 'data');
chmodSync(dataRoot, 0o777);

function pgCmd(bin: string, args: string[]) {
  const cmd = path.join(PG_BIN, bin);
  const [file, argv] = RUN_AS_POSTGRES ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
  return execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: dataRoot }).toString();
}
const pgOptions = () => `-p ${PG_PORT} -k ${dataRoot} -c listen_addresses=127.0.0.1 -c max_connections=100`;

function startPostgres() {
  pgCmd('initdb', ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  pgCmd('pg_ctl', ['-D', dataDir, '-o', pgOptions(), '-l', path.join(dataRoot, 'pg.log'), '-w', 'start']);
}
/** Asynchronous, so the clients keep sending while PostgreSQL goes down and comes back. */
async function restartPostgres() {
  const args = [
    path.join(PG_BIN, 'pg_ctl'),
    '-D',
    dataDir,
    '-o',
    pgOptions(),
    '-l',
    path.join(dataRoot, 'pg.log'),
    '-m',
    'fast',
    '-w',
    'restart',
  ];
  const [file, argv] = RUN_AS_POSTGRES ? ['runuser', ['-u', 'postgres', '--', ...args]] : [args[0] as string, args.slice(1)];
  await promisify(execFile)(file, argv, { cwd: dataRoot });
}
const databaseUrl = () => `postgres://postgres@127.0.0.1:${PG_PORT}/postgres`;

// ---------------------------------------------------------------- the service
const ADMIN_TOKEN = `fault-admin-${randomBytes(24).toString('hex')}`;
let servicePort = 0;
let service: ChildProcess | undefined;

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

async function startService() {
  service = spawn(process.execPath, [path.join(ROOT, 'dist/server.js')], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl(),
      PORT: String(servicePort),
      HOST: '127.0.0.1',
      REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'error',
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
      DATABASE_POOL_SIZE: '20',
      RATE_LIMIT_PER_MINUTE: '1000000',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${servicePort}/health/ready`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error('the service did not become ready');
}

// ---------------------------------------------------------------- HTTP with retries
const base = () => `http://127.0.0.1:${servicePort}/v1`;

interface Outcome {
  /** 0: no HTTP answer (refused, reset, timed out). */
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function call(method: string, url: string, headers: Record<string, string>, body?: unknown): Promise<Outcome> {
  stats.requests += 1;
  try {
    const res = await fetch(`${base()}${url}`, {
      method,
      headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (res.status === 503) stats.unavailable503 += 1;
    if (res.status >= 500 && res.status !== 503) unexpected.push(`${method} ${url} → ${res.status} ${text.slice(0, 200)}`);
    return { status: res.status, body: parsed, headers: res.headers };
  } catch (err) {
    stats.networkErrors += 1;
    return { status: 0, body: { error: String(err) }, headers: new Headers() };
  }
}

const retryable = (o: Outcome) => o.status === 0 || o.status === 503 || o.status === 409 || o.status === 502 || o.status === 504;

/** Sends until a final answer (or the deadline); retries keep the same Idempotency-Key. */
async function withRetries(send: () => Promise<Outcome>, deadline: number): Promise<Outcome> {
  let outcome = await send();
  while (retryable(outcome) && Date.now() < deadline) {
    if (outcome.status === 409) stats.conflicts409 += 1;
    stats.retried += 1;
    const retryAfter = outcome.status !== 0 ? Number(outcome.headers.get('retry-after') ?? 1) : 0.2;
    await sleep(Math.min(retryAfter * 1000, 1000) * (0.3 + Math.random()));
    outcome = await send();
  }
  return outcome;
}

// ---------------------------------------------------------------- the workload
interface Create {
  key: string;
  tag: string;
  acknowledgedId: string | null;
}
const creates: Create[] = [];

async function worker(auth: Record<string, string>, establishmentIds: string[], stopAt: number, finalDeadline: number) {
  const mine: { id: string; version: number }[] = [];
  while (Date.now() < stopAt) {
    if (mine.length > 0 && Math.random() < 0.25) {
      // An update with If-Match: decided → objection (bezwaar). 412 when someone else was first.
      const target = mine[Math.floor(Math.random() * mine.length)] as { id: string; version: number };
      const read = await withRetries(() => call('GET', `/enforcement-actions/${target.id}`, auth), finalDeadline);
      if (read.status !== 200) continue;
      const a = read.body;
      const body = {
        establishmentId: a.establishmentId,
        measure: a.measure,
        grounds: a.grounds,
        stage: a.stage === 'decided' ? 'objection' : a.stage,
        decisionDate: a.decisionDate,
        fine: a.fine,
        caseReference: a.caseReference,
      };
      const put = await withRetries(
        () => call('PUT', `/enforcement-actions/${target.id}`, { ...auth, 'if-match': `"${a.version}"` }, body),
        finalDeadline,
      );
      if (put.status === 200) stats.updates += 1;
      else if (put.status === 412) stats.stale412 += 1;
      else if (put.status !== 0 && put.status !== 503) unexpected.push(`PUT → ${put.status} ${JSON.stringify(put.status ? put.body : '')}`);
      continue;
    }
    const c: Create = { key: randomUUID(), tag: '', acknowledgedId: null };
    c.tag = `FT-${c.key}`;
    creates.push(c);
    const body = {
      establishmentId: establishmentIds[Math.floor(Math.random() * establishmentIds.length)],
      measure: 'administrative_fine',
      grounds: ['hygiene'],
      stage: 'decided',
      decisionDate: '2019-05-01',
      fine: { amountCents: 100_000 },
      caseReference: c.tag,
    };
    const send = () => call('POST', '/enforcement-actions', { ...auth, 'idempotency-key': c.key }, body);
    // One create in ten is sent twice at once, as a client that times out and retries too eagerly.
    const attempts =
      Math.random() < 0.1 ? [withRetries(send, finalDeadline), withRetries(send, finalDeadline)] : [withRetries(send, finalDeadline)];
    const outcomes = await Promise.all(attempts);
    for (const o of outcomes) {
      if (o.status === 201) {
        const id = o.body.id as string;
        if (c.acknowledgedId && c.acknowledgedId !== id) unexpected.push(`key ${c.key} answered two ids: ${c.acknowledgedId} and ${id}`);
        c.acknowledgedId = id;
      } else if (o.status !== 0 && o.status !== 503 && o.status !== 409) {
        stats.other += 1;
        unexpected.push(`POST → ${o.status} ${JSON.stringify(o.body).slice(0, 200)}`);
      }
    }
    if (c.acknowledgedId) {
      stats.acknowledged += 1;
      mine.push({ id: c.acknowledgedId, version: 1 });
    }
  }
}

// ---------------------------------------------------------------- main
async function main() {
  if (!existsSync(path.join(ROOT, 'dist/server.js'))) {
    log('building');
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!(await portIsFree(PG_PORT))) PG_PORT = await freePort(); // another run (another engineer's CI) has it
  log(`private PostgreSQL 15 on port ${PG_PORT} in ${dataRoot}`);
  startPostgres();
  servicePort = await freePort();
  await startService();
  log(`service on port ${servicePort}; ${CLIENTS} clients for ${DURATION_MS / 1000} s`);

  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const farFuture = Date.now() + 60_000;
  const officers: Record<string, string>[] = [];
  for (const code of ['GM0363', 'GM0599']) {
    const o = await withRetries(
      () =>
        call(
          'POST',
          '/api-clients',
          { ...admin, 'idempotency-key': randomUUID() },
          { name: `fault ${code}`, role: 'officer', municipalityCode: code },
        ),
      farFuture,
    );
    if (o.status !== 201) throw new Error(`cannot create an officer: ${o.status}`);
    officers.push({ authorization: `Bearer ${o.body.token as string}` });
  }
  const establishments = new Map<Record<string, string>, string[]>();
  for (const [i, auth] of officers.entries()) {
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) {
      const body = {
        municipalityCode: i === 0 ? 'GM0363' : 'GM0599',
        name: `Fault ${n}`,
        kind: 'club',
        address: { street: 'Teststraat', houseNumber: n + 1, postalCode: '1012DK', city: 'Amsterdam' },
      };
      const o = await withRetries(() => call('POST', '/establishments', { ...auth, 'idempotency-key': randomUUID() }, body), farFuture);
      if (o.status !== 201) throw new Error(`cannot create an establishment: ${o.status}`);
      ids.push(o.body.id as string);
    }
    establishments.set(auth, ids);
  }

  const started = Date.now();
  const stopAt = started + DURATION_MS;
  const finalDeadline = stopAt + 60_000;
  const workers = Array.from({ length: CLIENTS }, (_, i) => {
    const auth = officers[i % officers.length] as Record<string, string>;
    return worker(auth, establishments.get(auth) as string[], stopAt, finalDeadline);
  });

  const faults = (async () => {
    await sleep(DURATION_MS * 0.3);
    log('fault: pg_ctl restart -m fast');
    const t0 = Date.now();
    await restartPostgres();
    log(`PostgreSQL back after ${Date.now() - t0} ms`);
    await sleep(DURATION_MS * 0.3);
    log('fault: kill -9 the service');
    service?.kill('SIGKILL');
    await new Promise((r) => (service?.exitCode !== null || service?.signalCode ? r(null) : service?.once('exit', r)));
    await sleep(500);
    const t1 = Date.now();
    await startService();
    log(`service back after ${Date.now() - t1} ms`);
  })();
  await Promise.all([...workers, faults]);
  log(`load done in ${Math.round((Date.now() - started) / 1000)} s; reconciling`);

  // ---------------------------------------------------------------- reconcile, from the database
  const db = new pg.Client({ connectionString: databaseUrl() });
  await db.connect();
  const rows = (
    await db.query<{ id: string; case_reference: string }>(
      `select id, case_reference from enforcement_actions where case_reference like 'FT-%'`,
    )
  ).rows;
  const byTag = new Map<string, string[]>();
  for (const r of rows) byTag.set(r.case_reference, [...(byTag.get(r.case_reference) ?? []), r.id]);
  let lost = 0;
  let duplicated = 0;
  let unacknowledgedButStored = 0;
  for (const c of creates) {
    const ids = byTag.get(c.tag) ?? [];
    if (ids.length > 1) {
      duplicated += ids.length - 1;
      unexpected.push(`${c.tag} stored ${ids.length} times`);
    }
    if (c.acknowledgedId) {
      if (!ids.includes(c.acknowledgedId)) {
        lost += 1;
        unexpected.push(`${c.tag} acknowledged as ${c.acknowledgedId} but not stored`);
      }
    } else if (ids.length > 0) unacknowledgedButStored += 1;
  }
  const missingAudit =
    (
      await db.query<{ n: number }>(
        `select count(*)::int as n from enforcement_actions a where not exists (select 1 from audit_log l where l.object_type = 'enforcement_action' and l.object_id = a.id::text and l.action = 'create')`,
      )
    ).rows[0]?.n ?? -1;
  const doubleAudit =
    (
      await db.query<{ n: number }>(
        `select count(*)::int as n from (select object_id from audit_log where object_type = 'enforcement_action' and action = 'create' group by object_id having count(*) > 1) d`,
      )
    ).rows[0]?.n ?? -1;
  const updateAudits =
    (
      await db.query<{ n: number }>(
        `select count(*)::int as n from audit_log where object_type = 'enforcement_action' and action = 'update'`,
      )
    ).rows[0]?.n ?? -1;
  await db.end();

  const summary = {
    requests: stats.requests,
    creates: creates.length,
    acknowledged: stats.acknowledged,
    retried: stats.retried,
    '503s': stats.unavailable503,
    '409s (in flight)': stats.conflicts409,
    'network errors': stats.networkErrors,
    updates: stats.updates,
    'stale (412)': stats.stale412,
    'unacknowledged but stored': unacknowledgedButStored,
    'actions without a create audit entry': missingAudit,
    'actions with two create entries': doubleAudit,
    'update audit entries': updateAudits,
    'unexpected answers': unexpected.length,
    lost,
    duplicated,
  };
  process.stdout.write('\nfault-test summary\n');
  for (const [k, v] of Object.entries(summary)) process.stdout.write(`  ${k.padEnd(38)} ${v}\n`);
  for (const u of unexpected.slice(0, 20)) process.stdout.write(`  ! ${u}\n`);
  const ok = lost === 0 && duplicated === 0 && missingAudit === 0 && doubleAudit === 0 && unexpected.length === 0 && stats.acknowledged > 0;
  process.stdout.write(`fault-test: ${ok ? 'PASS' : 'FAIL'}\n`);
  return ok;
}

let ok = false;
try {
  ok = await main();
} catch (err) {
  process.stderr.write(`fault-test error: ${err instanceof Error ? err.stack : String(err)}\n`);
} finally {
  service?.kill('SIGTERM');
  try {
    pgCmd('pg_ctl', ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
  } catch {
    // not running
  }
  rmSync(dataRoot, { recursive: true, force: true });
}
process.exit(ok ? 0 : 1);

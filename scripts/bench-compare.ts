/**
 * `npm run bench:compare -- [REF]`: the read and list routes of this checkout against an earlier
 * commit (default b556e66, before the refactoring into commands, queries and row-level security on
 * every query), on PostgreSQL, over real HTTP.
 *
 * Both builds run at once, each on its own scratch database seeded alike through its own API, and
 * are measured in alternating rounds (old, new, old, new, …), so that the load of a shared machine
 * falls on both alike; medians of the rounds, and the ratio new ÷ old.
 *
 * The old build connects as the database's owner (it had no other way); this one as a plain login
 * role (registry_bench, made when missing) with its migrations through the owner, as docker-compose,
 * CI and docs/access.md have it.
 *
 * Environment: DATABASE_URL (owner of a local PostgreSQL; default postgres://postgres@127.0.0.1:5432/postgres),
 * BENCH_SECONDS (per round, default 5), BENCH_ROUNDS (default 5), BENCH_CLIENTS (default 16), BENCH_ROUTES
 * (default read,list), PROFILE_DIR (a V8 CPU profile of each service).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { scratchDatabase } from '../test/support/scratch-database.js';
import { type LoadResult, type RequestSpec, runLoad } from './bench/load.js';
import { DEFAULT_URL } from './bench/seed.js';
import { cpuMs, plainRoleUrl, postgresCpuMs, ROOT, type RunningService, startService } from './bench/service.js';

const REF = process.argv[2] ?? 'b556e66';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 16);
const ACTIONS = 200;
/** BENCH_ROUTES=read or =list measures one of the two (a profile of one route alone). */
const ROUTES = (process.env.BENCH_ROUTES ?? 'read,list').split(',').filter((r): r is 'read' | 'list' => r === 'read' || r === 'list');
const ADMIN_TOKEN = `bench-admin-${'y'.repeat(32)}`;
const adminUrl = process.env.DATABASE_URL || DEFAULT_URL;

/** The earlier commit, checked out beside this one and built with this checkout's node_modules. */
function buildRef(ref: string): { root: string; remove(): void } {
  const root = mkdtempSync(path.join(tmpdir(), 'er-bench-ref-'));
  execFileSync('git', ['worktree', 'add', '--detach', root, ref], { cwd: ROOT, stdio: 'ignore' });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'));
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  return {
    root,
    remove() {
      execFileSync('git', ['worktree', 'remove', '--force', root], { cwd: ROOT, stdio: 'ignore' });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

async function call(base: string, method: string, url: string, token: string, body?: unknown) {
  const res = await fetch(`${base}/v1${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** An officer with one establishment and ACTIONS actions, made through the API; the requests to measure. */
async function seed(s: RunningService): Promise<Record<'read' | 'list', RequestSpec>> {
  const officer = await call(s.baseUrl, 'POST', '/api-clients', ADMIN_TOKEN, {
    name: 'bench officer',
    role: 'officer',
    municipalityCode: 'GM0363',
  });
  const token = officer.token as string;
  const est = await call(s.baseUrl, 'POST', '/establishments', token, {
    municipalityCode: 'GM0363',
    name: 'Bench',
    kind: 'club',
    address: { street: 'Straat', houseNumber: 1, postalCode: '1012AB', city: 'Amsterdam' },
  });
  let actionId = '';
  for (let i = 0; i < ACTIONS; i++) {
    const day = String((i % 28) + 1).padStart(2, '0');
    const a = await call(s.baseUrl, 'POST', '/enforcement-actions', token, {
      establishmentId: est.id,
      measure: 'administrative_fine',
      grounds: ['hygiene'],
      stage: 'decided',
      decisionDate: `2019-${String((i % 12) + 1).padStart(2, '0')}-${day}`,
      fine: { amountCents: 10_000 + i },
    });
    actionId = a.id as string;
  }
  const headers = { accept: 'application/json', authorization: `Bearer ${token}` };
  return {
    read: { method: 'GET', path: `/v1/enforcement-actions/${actionId}`, headers, expectStatus: 200 },
    list: { method: 'GET', path: '/v1/enforcement-actions?page=2&pageSize=20', headers, expectStatus: 200 },
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const ref = buildRef(REF);
const dbs = await Promise.all([scratchDatabase(adminUrl, 'er_cmp_old'), scratchDatabase(adminUrl, 'er_cmp_new')]);
const services: RunningService[] = [];
try {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const env = (url: string) => ({ DATABASE_URL: url, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'warn' });
  const old = await startService(env((dbs[0] as { url: string }).url), 60_000, ref.root);
  services.push(old);
  // Each build as it is meant to run: the old one as the owner (it knew no other way), this one as a
  // plain login role with its migrations through the owner (docs/access.md; docker-compose and CI).
  const newUrl = (dbs[1] as { url: string }).url;
  const current = await startService({ ...env(await plainRoleUrl(newUrl)), DATABASE_MIGRATION_URL: newUrl }, 60_000, ROOT);
  services.push(current);
  const specs = { old: await seed(old), new: await seed(current) };
  // As autovacuum would have them after the seeding (it is off on this machine): without statistics
  // the planner guesses, and a guess that happens to favour one build's indexes is not what runs.
  for (const d of dbs) {
    const c = new pg.Client({ connectionString: d.url });
    await c.connect();
    await c.query('analyze');
    await c.end();
  }
  const results: Record<string, LoadResult[]> = {};
  /** CPU milliseconds per request, per round: the service's own, and PostgreSQL's (every backend) while it was the one loaded. */
  const cpu: Record<string, { service: number; postgres: number }[]> = {};
  for (const route of ROUTES) {
    for (const s of [old, current]) await runLoad(s.baseUrl, specs[s === old ? 'old' : 'new'][route], CLIENTS, 1); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, s] of [
        ['old', old],
        ['new', current],
      ] as const) {
        const serviceBefore = cpuMs(s.child.pid as number);
        const postgresBefore = postgresCpuMs();
        const r = await runLoad(s.baseUrl, specs[name][route], CLIENTS, SECONDS);
        const used = { service: cpuMs(s.child.pid as number) - serviceBefore, postgres: postgresCpuMs() - postgresBefore };
        if (r.errors > 0) throw new Error(`${name} ${route}: ${r.errors} errors, first: ${r.firstError}`);
        const key = `${route}:${name}`;
        results[key] = [...(results[key] ?? []), r];
        cpu[key] = [...(cpu[key] ?? []), { service: used.service / r.requests, postgres: used.postgres / r.requests }];
      }
    }
  }
  process.stdout.write(
    `\n${REF} (old) vs this checkout (new), PostgreSQL, ${CLIENTS} clients, ${ROUNDS} alternating rounds × ${SECONDS} s\n`,
  );
  process.stdout.write(
    '| route | old req/s | new req/s | new ÷ old | old p99 ms | new p99 ms | CPU ms/req old: service + PostgreSQL | new | new ÷ old (CPU) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n',
  );
  for (const route of ROUTES) {
    const o = results[`${route}:old`] ?? [];
    const n = results[`${route}:new`] ?? [];
    const ot = median(o.map((r) => r.throughput));
    const nt = median(n.map((r) => r.throughput));
    const perRequest = (k: string) => {
      const c = cpu[k] ?? [];
      const service = median(c.map((x) => x.service));
      const postgres = median(c.map((x) => x.postgres));
      return { service, postgres, total: service + postgres, text: `${service.toFixed(2)} + ${postgres.toFixed(2)}` };
    };
    const oc = perRequest(`${route}:old`);
    const nc = perRequest(`${route}:new`);
    process.stdout.write(
      `| ${route} | ${ot.toFixed(0)} | ${nt.toFixed(0)} | ${(nt / ot).toFixed(2)} | ${median(o.map((r) => r.p99)).toFixed(1)} | ${median(n.map((r) => r.p99)).toFixed(1)} | ${oc.text} | ${nc.text} | ${(nc.total / oc.total).toFixed(2)} |\n`,
    );
  }
} finally {
  for (const s of services) await s.stop();
  for (const d of dbs) await d.drop();
  ref.remove();
  if (existsSync(ref.root)) rmSync(ref.root, { recursive: true, force: true });
}

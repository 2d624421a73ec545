/**
 * `npm run bench`: the service over real HTTP on loopback next to pgbench running the same SQL.
 *
 * For each scenario (a table below: add a row to measure another route) and each client count,
 * alternately: the API under a closed-loop load, then pgbench with the statements the route
 * executed, captured from the service's own code path. Three rounds; medians; API ÷ pgbench, and API ÷ the
 * route's ceiling (the lower of pgbench and the HTTP floor; issue 17).
 * Then start-up time and RSS on PGlite (fresh and existing folder) and PostgreSQL.
 *
 * Environment: DATABASE_URL (admin URL of a local PostgreSQL; a scratch database is created and
 * dropped), BENCH_SECONDS (per measurement, default 5), BENCH_ROUNDS (3), BENCH_CLIENTS ("1,16"),
 * BENCH_SCENARIOS (comma-separated names to run a subset), BENCH_SHOW_SQL=1 prints the pgbench scripts,
 * BENCH_LOG_LEVEL (the service's LOG_LEVEL, default info), BENCH_POOL_SIZE (its DATABASE_POOL_SIZE),
 * BENCH_KEEP_DIR (keep the scratch database and write the pgbench scripts to this folder).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { buildAppFor } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openPostgres } from '../src/infrastructure/db/client.js';
import { sample } from '../test/support/basics.js';
import { scratchDatabase } from '../test/support/scratch-database.js';
import { captureQueries, toPgbenchScript } from './bench/capture.js';
import { type LoadResult, type RequestSpec, runLoad } from './bench/load.js';
import { findPgbench, runPgbench } from './bench/pgbench.js';
import { bulkLoadActions, DEFAULT_URL } from './bench/seed.js';
import { cpuMs, ROOT, rssMb, startService } from './bench/service.js';

const ADMIN_TOKEN = `bench-admin-${'x'.repeat(32)}`;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CLIENTS = (process.env.BENCH_CLIENTS ?? '1,16').split(',').map(Number);
const ONLY = process.env.BENCH_SCENARIOS?.split(',').map((s) => s.trim());
/** BENCH_KEEP_DIR: keep the scratch database and write the pgbench scripts there, for experiments by hand. */
const KEEP_DIR = process.env.BENCH_KEEP_DIR;
const SEEDED_ACTIONS = 5000;
/** Establishments of the benchmark's officer: creates spread over them (one establishment would serialise every create on its row lock). */
const ESTABLISHMENTS = 128;
/** Actions the PATCH scenario spreads over (more than the clients, so none waits for another's). */
const PATCHABLE = 64;

interface Fixture {
  officer: string;
  analyst: string;
  /** The officer's establishments; creates go round-robin over them, as many officers would. */
  establishmentIds: string[];
  actionId: string;
  /** Actions to PATCH, each with its current ETag: no two clients patch the same one at once. */
  patchable: { id: string; etag: string }[];
}

/**
 * A route's ceiling is the lower of the two things it cannot beat (issue 17): pgbench running the
 * route's own SQL, and the HTTP floor (the same server answering an empty GET), both measured in
 * this run at the same client count. `of` says which the target is a ratio of.
 */
interface Target {
  ratio: number;
  of: 'pgbench' | 'HTTP floor' | 'ceiling';
  /** Also: the API's p99 no worse than pgbench's own for the same transactions. */
  p99?: boolean;
}

interface Scenario {
  name: string;
  /** The target at 16 clients, if any. */
  target?: Target;
  /** Builds the request, or explains why this scenario cannot run on this build. */
  request(f: Fixture, probe: Probe): Promise<RequestSpec | { skip: string }>;
  /** False for a request that runs no SQL (nothing for pgbench to run). */
  sql?: boolean;
  /**
   * The request to capture (default: the request itself) and how to spread the captured script
   * the way the load spreads its requests (pgbench picks one of the scripts per transaction).
   */
  capture?(f: Fixture): RequestSpec;
  variants?(script: string, f: Fixture): string[];
}

interface Probe {
  paths: Set<string>;
  status(spec: RequestSpec): Promise<number>;
}

const json = { accept: 'application/json' };
const bearer = (t: string) => ({ ...json, authorization: `Bearer ${t}` });

/** Every create carries an Idempotency-Key, as a careful client sends: the key's record is part of the path measured. */
let keys = 0;
const idempotencyKey = () => ({ 'idempotency-key': `bench-${process.pid}-${++keys}` });

const actionBody = (establishmentId: string) => JSON.stringify(sample.action(establishmentId));

/** PATCHes of one field over `actions`, each sent with its current ETag and never two at once on one action. */
function patchSpec(f: Fixture, actions: { id: string; etag: string }[]): RequestSpec {
  const free = [...actions];
  let n = 0;
  return {
    method: 'PATCH',
    path: '/v1/enforcement-actions',
    headers: { ...bearer(f.officer), 'content-type': 'application/merge-patch+json' },
    body: () => JSON.stringify({ legalBasis: `APV art. 3:${(n++ % 40) + 1}` }),
    prepare: () => {
      const action = free.shift() ?? (actions[0] as { id: string; etag: string });
      return {
        path: `/v1/enforcement-actions/${action.id}`,
        headers: { 'if-match': action.etag },
        done: (status, etag) => {
          if (status === 200 && etag) action.etag = etag;
          free.push(action);
        },
      };
    },
    expectStatus: 200,
  };
}

/** The scenarios: add a row to benchmark another route. */
const SCENARIOS: Scenario[] = [
  {
    name: 'create action',
    target: { ratio: 0.8, of: 'pgbench', p99: true },
    request: async (f) => {
      let i = 0;
      return {
        method: 'POST',
        path: '/v1/enforcement-actions',
        headers: bearer(f.officer),
        body: () => actionBody(f.establishmentIds[i++ % f.establishmentIds.length] as string),
        freshHeaders: idempotencyKey,
        expectStatus: 201,
      };
    },
    capture: (f) => ({
      method: 'POST',
      path: '/v1/enforcement-actions',
      headers: bearer(f.officer),
      body: () => actionBody(f.establishmentIds[0] as string),
      freshHeaders: idempotencyKey,
      expectStatus: 201,
    }),
    variants: (script, f) => f.establishmentIds.map((id) => script.replaceAll(f.establishmentIds[0] as string, id)),
  },
  {
    // What HTTP alone costs here: no database, no auth. No route can be faster than this row.
    name: 'HTTP floor (GET /health/live)',
    sql: false,
    request: async () => ({ method: 'GET', path: '/health/live', headers: json, expectStatus: 200 }),
  },
  {
    name: 'read action',
    target: { ratio: 0.5, of: 'HTTP floor' },
    request: async (f) => ({ method: 'GET', path: `/v1/enforcement-actions/${f.actionId}`, headers: bearer(f.officer), expectStatus: 200 }),
  },
  {
    name: 'list page',
    target: { ratio: 0.5, of: 'ceiling' },
    request: async (f) => ({
      method: 'GET',
      path: '/v1/enforcement-actions?page=1&pageSize=20',
      headers: bearer(f.officer),
      expectStatus: 200,
    }),
  },
  {
    name: 'statistics (one year)',
    target: { ratio: 0.5, of: 'HTTP floor' },
    request: async (f, probe) => {
      const route = '/statistics/enforcement-actions';
      if (!probe.paths.has(route)) return { skip: `no ${route} in this build's OpenAPI document` };
      // the first of these the route accepts is used
      const candidates = [
        '?groupBy=municipality,licenceStatus&decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31',
        '?groupBy=municipality&decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31',
        '?decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31',
        '?yearFrom=2019&yearTo=2019',
        '?year=2019',
        '',
      ];
      for (const q of candidates) {
        const spec: RequestSpec = { method: 'GET', path: `/v1${route}${q}`, headers: bearer(f.analyst), expectStatus: 200 };
        if ((await probe.status(spec)) === 200) return spec;
      }
      return { skip: `${route} answered none of the candidate queries with 200` };
    },
  },
  {
    // A JSON Merge Patch of one field, with If-Match, spread over PATCHABLE actions.
    name: 'patch action',
    target: { ratio: 0.8, of: 'pgbench', p99: true },
    request: async (f, probe) => {
      if (![...probe.paths].some((p) => p === '/enforcement-actions/{id}')) return { skip: 'no action route' };
      return patchSpec(f, f.patchable.slice(1, 33));
    },
    // the same action twice, so that the two captured runs differ only in what a PATCH changes
    capture: (f) => patchSpec(f, f.patchable.slice(0, 1)),
    // pgbench spreads its PATCHes over as many actions of its own (one script per action): its replayed
    // statements set versions the API's ETags would not know
    variants: (script, f) => f.patchable.slice(33).map((a) => script.replaceAll((f.patchable[0] as { id: string }).id, a.id)),
  },
  {
    // The dashboard's first data request for an analyst (src/http/dashboard/dashboard.js): years × licence status.
    name: 'dashboard data (analyst)',
    target: { ratio: 0.5, of: 'HTTP floor' },
    request: async (f) => ({
      method: 'GET',
      path: '/v1/statistics/enforcement-actions?groupBy=year,licenceStatus',
      headers: bearer(f.analyst),
      expectStatus: 200,
    }),
  },
  {
    // The public dashboard's request: open data, answered from the current release (no token).
    name: 'dashboard data (open data)',
    target: { ratio: 0.5, of: 'HTTP floor' },
    request: async (_f, probe) => {
      const route = '/open-data/enforcement-actions';
      if (!probe.paths.has(route)) return { skip: `no ${route} in this build's OpenAPI document` };
      return { method: 'GET', path: `/v1${route}?groupBy=year,licenceStatus`, headers: json, expectStatus: 200 };
    },
  },
];

async function http(base: string, method: string, p: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(base + p, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function setUp(base: string, dbUrl: string): Promise<Fixture> {
  const admin = bearer(ADMIN_TOKEN);
  const mk = async (role: string, municipalityCode: string | null) => {
    const r = await http(base, 'POST', '/v1/api-clients', admin, { name: `bench ${role}`, role, municipalityCode });
    if (r.status !== 201) throw new Error(`cannot create ${role}: ${JSON.stringify(r.body)}`);
    return r.body as { id: string; token: string };
  };
  const officer = await mk('officer', 'GM0363');
  const analyst = await mk('analyst', null);
  const establishmentIds: string[] = [];
  for (let n = 0; n < ESTABLISHMENTS; n++) {
    const est = await http(base, 'POST', '/v1/establishments', bearer(officer.token), {
      municipalityCode: 'GM0363',
      name: `Club ${n}`,
      kind: 'club',
      address: { street: 'Oudezijds Achterburgwal', houseNumber: n + 1, postalCode: '1012DK', city: 'Amsterdam' },
    });
    if (est.status !== 201) throw new Error(`cannot create establishment: ${JSON.stringify(est.body)}`);
    const id = est.body.id as string;
    establishmentIds.push(id);
    const lic = await http(base, 'POST', `/v1/establishments/${id}/licences`, bearer(officer.token), {
      licenceNumber: `EV-2016-${n}`,
      validFrom: '2016-01-01',
      validUntil: '2020-12-31',
      statusHistory: [{ status: 'granted', effectiveDate: '2016-01-01' }],
    });
    if (lic.status !== 201) throw new Error(`cannot create licence: ${JSON.stringify(lic.body)}`);
  }
  const establishmentId = establishmentIds[0] as string;
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  await bulkLoadActions(c, 1, SEEDED_ACTIONS, officer.id);
  await c.query('analyze');
  await c.end();
  const action = await http(base, 'POST', '/v1/enforcement-actions', bearer(officer.token), JSON.parse(actionBody(establishmentId)));
  if (action.status !== 201) throw new Error(`cannot create action: ${JSON.stringify(action.body)}`);
  const patchable: { id: string; etag: string }[] = [];
  for (let n = 0; n < PATCHABLE; n++) {
    const made = await http(
      base,
      'POST',
      '/v1/enforcement-actions',
      bearer(officer.token),
      JSON.parse(actionBody(establishmentIds[n] as string)),
    );
    if (made.status !== 201) throw new Error(`cannot create action: ${JSON.stringify(made.body)}`);
    patchable.push({ id: made.body.id as string, etag: `"${made.body.version}"` });
  }
  return { officer: officer.token, analyst: analyst.token, establishmentIds, actionId: action.body.id as string, patchable };
}

/** The statements each scenario's request executes, captured from the service's code in this process. */
async function capturePgbenchScript(dbUrl: string, spec: RequestSpec): Promise<string> {
  const database = await openPostgres({ url: dbUrl, poolSize: 2, connectTimeoutMs: 5000, statementTimeoutMs: 30_000 });
  // Rate-limit counts are taken in leases of up to 64 (src/infrastructure/rate-limit-store.ts): one
  // upsert per 64 requests, which two captured runs would not both contain. Captured without it.
  const { app } = await buildAppFor(database, loadConfig({ LOG_LEVEL: 'silent', DATABASE_URL: dbUrl, RATE_LIMIT_STORE: 'memory' }), {
    closeDatabase: true,
  });
  try {
    await app.ready();
    const inject = async () => {
      const prepared = spec.prepare?.();
      const res = await app.inject({
        method: spec.method as 'GET',
        url: prepared?.path ?? spec.path,
        headers: {
          ...(spec.body ? { 'content-type': 'application/json' } : {}),
          ...spec.headers,
          ...spec.freshHeaders?.(),
          ...prepared?.headers,
        },
        ...(spec.body ? { payload: spec.body() } : {}),
      });
      const etag = res.headers.etag;
      prepared?.done(res.statusCode, typeof etag === 'string' ? etag : undefined);
      if (res.statusCode !== spec.expectStatus) throw new Error(`capture: ${spec.method} ${spec.path} → ${res.statusCode} ${res.body}`);
    };
    await inject(); // warm: caches a steady-state request would have warm
    // Until the token cache trusts its revocation channel (LISTEN, connected in the background) a
    // request still looks its token up: capture again until two runs agree, as in steady state.
    for (let attempt = 1; ; attempt++) {
      const a = await captureQueries(inject);
      const b = await captureQueries(inject);
      try {
        return toPgbenchScript(a, b);
      } catch (err) {
        if (attempt >= 5) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  } finally {
    await app.close();
  }
}

const NO_SQL: LoadResult = { requests: 0, errors: 0, throughput: Number.NaN, p50: Number.NaN, p99: Number.NaN };

const median = (xs: number[]) => {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((p, q) => p - q);
  if (s.length === 0) return Number.NaN;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

const fmt = (n: number, d = 0) => (Number.isNaN(n) ? '–' : n.toFixed(d));

function table(head: string[], rows: string[][]) {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i] as number) : c.padStart(w[i] as number))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${w.map((n, i) => (i === 0 ? `${'-'.repeat(n + 1)}-` : `${'-'.repeat(n + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

async function startupFigures(pgUrl: string) {
  const rows: string[][] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'er-bench-pglite-'));
  try {
    const dataDir = path.join(dir, 'data');
    for (const label of ['PGlite, fresh folder', 'PGlite, existing folder']) {
      const s = await startService({ DATA_DIR: dataDir, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info' }, 120_000);
      rows.push([label, fmt(s.readyMs), fmt(s.loggedStartupMs ?? Number.NaN), fmt(rssMb(s.child.pid as number))]);
      await s.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const label of ['PostgreSQL, empty database', 'PostgreSQL, migrated database']) {
    const s = await startService({ DATABASE_URL: pgUrl, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info' });
    rows.push([label, fmt(s.readyMs), fmt(s.loggedStartupMs ?? Number.NaN), fmt(rssMb(s.child.pid as number))]);
    await s.stop();
  }
  return rows;
}

async function main() {
  if (!existsSync(path.join(ROOT, 'dist/server.js'))) throw new Error('dist/server.js is missing: run npm run build');
  const pgbench = findPgbench();
  if (!pgbench) throw new Error('pgbench not found (Debian: apt-get install postgresql-client / postgresql-contrib)');
  const adminUrl = process.env.DATABASE_URL || DEFAULT_URL;
  const scratch = await scratchDatabase(adminUrl, 'er_bench');
  let service: Awaited<ReturnType<typeof startService>> | undefined;
  try {
    console.log(`# bench: ${ROUNDS} rounds × ${SECONDS} s, clients ${CLIENTS.join('/')}, database ${scratch.name}, pgbench ${pgbench}`);
    if (KEEP_DIR) mkdirSync(KEEP_DIR, { recursive: true });
    const startup = await startupFigures(scratch.url);

    service = await startService({
      DATABASE_URL: scratch.url,
      REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      ...(process.env.BENCH_POOL_SIZE ? { DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE } : {}),
    });
    const base = service.baseUrl;
    const fixture = await setUp(base, scratch.url);
    const doc = (await (await fetch(`${base}/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const probe: Probe = {
      paths: new Set(Object.keys(doc.paths)),
      status: async (s) => (await http(base, s.method, s.path, s.headers)).status,
    };

    const runs: { scenario: Scenario; spec: RequestSpec; scripts: string[] }[] = [];
    const skipped: string[][] = [];
    for (const scenario of SCENARIOS) {
      if (ONLY && !ONLY.includes(scenario.name)) continue;
      const spec = await scenario.request(fixture, probe);
      if ('skip' in spec) {
        skipped.push([scenario.name, spec.skip]);
        continue;
      }
      if (scenario.sql === false) {
        runs.push({ scenario, spec, scripts: [] });
        continue;
      }
      const script = await capturePgbenchScript(scratch.url, scenario.capture?.(fixture) ?? spec);
      if (process.env.BENCH_SHOW_SQL) console.log(`\n-- ${scenario.name}: pgbench script\n${script}`);
      if (KEEP_DIR) {
        (scenario.variants?.(script, fixture) ?? [script]).forEach((v, i) => {
          writeFileSync(path.join(KEEP_DIR, `${scenario.name.replace(/\W+/g, '-')}-${i}.sql`), v);
        });
      }
      runs.push({ scenario, spec, scripts: scenario.variants?.(script, fixture) ?? [script] });
    }

    /** Per scenario and client count: the API's and pgbench's results, and the service's CPU ms per request. */
    const results = new Map<string, { api: LoadResult[]; pg: LoadResult[]; cpu: number[] }>();
    const errors: string[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const { scenario, spec, scripts } of runs) {
        for (const c of CLIENTS) {
          const key = `${scenario.name}|${c}`;
          const slot = results.get(key) ?? { api: [], pg: [], cpu: [] };
          results.set(key, slot);
          const cpuBefore = cpuMs(service.child.pid as number);
          const api = await runLoad(base, spec, c, SECONDS);
          slot.cpu.push((cpuMs(service.child.pid as number) - cpuBefore) / api.requests);
          const pgb = scripts.length > 0 ? await runPgbench(pgbench, scratch.url, scripts, c, SECONDS) : NO_SQL;
          slot.api.push(api);
          slot.pg.push(pgb);
          for (const [who, r] of [
            ['API', api],
            ['pgbench', pgb],
          ] as const) {
            if (r.errors) errors.push(`round ${round} ${key} ${who}: ${r.errors} errors, first: ${r.firstError}`);
          }
          process.stderr.write(
            `round ${round} ${scenario.name} c=${c}: API ${fmt(api.throughput)} req/s, pgbench ${fmt(pgb.throughput)} tps\n`,
          );
        }
      }
    }
    const rssAfter = rssMb(service.child.pid as number);

    console.log(`\n## API vs pgbench (medians of ${ROUNDS} rounds, ${SECONDS} s each; latency in ms)\n`);
    const rows: string[][] = [];
    const m = (xs: LoadResult[], k: 'throughput' | 'p50' | 'p99') => median(xs.map((x) => x[k]));
    const floorName = SCENARIOS.find((s) => s.sql === false)?.name ?? '';
    for (const { scenario } of runs) {
      for (const c of CLIENTS) {
        const slot = results.get(`${scenario.name}|${c}`);
        if (!slot) continue;
        const api = m(slot.api, 'throughput');
        const pgb = m(slot.pg, 'throughput');
        const floorSlot = results.get(`${floorName}|${c}`);
        const floor = floorSlot ? m(floorSlot.api, 'throughput') : Number.NaN;
        const ceiling = Math.min(
          Number.isNaN(pgb) ? Number.POSITIVE_INFINITY : pgb,
          Number.isNaN(floor) ? Number.POSITIVE_INFINITY : floor,
        );
        let target = '';
        if (scenario.target && c >= 16) {
          const { ratio, of, p99 } = scenario.target;
          const base = of === 'pgbench' ? pgb : of === 'HTTP floor' ? floor : ceiling;
          const met = api / base >= ratio && (!p99 || m(slot.api, 'p99') <= m(slot.pg, 'p99'));
          target = `≥ ${ratio} of ${of}${p99 ? ', p99 ≤ pgbench' : ''}: ${fmt(api / base, 2)} ${met ? 'met' : 'MISSED'}`;
        }
        rows.push([
          scenario.name,
          String(c),
          fmt(api),
          fmt(m(slot.api, 'p50'), 1),
          fmt(m(slot.api, 'p99'), 1),
          fmt(median(slot.cpu), 2),
          fmt(pgb),
          fmt(m(slot.pg, 'p50'), 1),
          fmt(m(slot.pg, 'p99'), 1),
          fmt(api / pgb, 2),
          Number.isFinite(ceiling) ? fmt(api / ceiling, 2) : '–',
          target,
        ]);
      }
    }
    table(
      [
        'scenario',
        'clients',
        'API req/s',
        'API p50',
        'API p99',
        'API CPU ms/req',
        'pgbench tps',
        'pgb p50',
        'pgb p99',
        'API ÷ pgbench',
        'API ÷ ceiling',
        'target (16 clients)',
      ],
      rows,
    );
    for (const [name, why] of skipped) console.log(`\n${name}: skipped (${why})`);
    const creates = results.get(`create action|${Math.max(...CLIENTS)}`);
    if (creates) {
      const p99 = median(creates.api.map((x) => x.p99));
      const pgP99 = median(creates.pg.map((x) => x.p99));
      console.log(
        `\np99 of creates at ${Math.max(...CLIENTS)} clients: ${fmt(p99, 1)} ms; pgbench's own for the same transactions: ${fmt(pgP99, 1)} ms (${p99 <= pgP99 ? 'met' : 'MISSED'})`,
      );
    }
    if (errors.length) console.log(`\nerrors:\n${errors.map((e) => `  ${e}`).join('\n')}`);

    console.log('\n## Start-up (spawn → /health/ready 200) and memory\n');
    startup.push(['PostgreSQL, after the load above', '', '', fmt(rssAfter)]);
    table(['database', 'to ready ms', 'logged startupMs', 'RSS MB'], startup);
    const existing = startup.find((r) => r[0] === 'PGlite, existing folder');
    if (existing) console.log(`\nembedded start-up on an existing folder: ${existing[1]} ms (target < 2000 ms)`);
  } finally {
    await service?.stop();
    if (KEEP_DIR) console.log(`\nkept: database ${scratch.url}, pgbench scripts in ${KEEP_DIR}`);
    else await scratch.drop();
  }
}

await main();

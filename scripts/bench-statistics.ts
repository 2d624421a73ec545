/**
 * `npm run bench:statistics [-- 10000 1000000 10000000]`: statistics latency at scale on PostgreSQL.
 *
 * Needs DATABASE_URL (a superuser on a PostgreSQL ≥ 15); creates and drops the scratch database
 * `er_bench_statistics`. For each size it bulk-loads enforcement actions with generate_series (the
 * rollup triggers disabled during the bulk insert, then the rollups rebuilt with one INSERT…SELECT
 * per table by statistics_rebuild_rollups(): row triggers would make a 10 M-row load take hours),
 * then measures p50/p95 of typical statistics requests through the API — a real listening server on
 * 127.0.0.1, requests with fetch over keep-alive — next to the raw SQL over enforcement_actions that
 * answers the same question (same pg pool settings, from the same process).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { buildAppFor } from '../src/app.js';
import { madeBy } from '../src/application/commands/run.js';
import { systemContext } from '../src/application/context.js';
import { loadConfig } from '../src/config.js';
import { migrateDatabase, openPostgres } from '../src/infrastructure/db/client.js';

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) {
  process.stderr.write('Set DATABASE_URL to a PostgreSQL superuser URL, e.g. postgres://postgres@127.0.0.1:5432/postgres\n');
  process.exit(2);
}
const sizes = (process.argv.slice(2).length ? process.argv.slice(2) : ['10000', '1000000']).map(Number).sort((a, b) => a - b);
const DB = 'er_bench_statistics';
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 200);
const RAW_BUDGET_MS = Number(process.env.BENCH_RAW_BUDGET_MS ?? 30_000);

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`drop database if exists ${DB} with (force)`);
await admin.query(`create database ${DB}`);
await admin.end();
const url = new URL(adminUrl);
url.pathname = `/${DB}`;

const database = await openPostgres({ url: url.toString(), poolSize: 10, connectTimeoutMs: 5000, statementTimeoutMs: 600_000 });
await migrateDatabase(database);
const pool = database.pool;

// All Dutch municipalities, roughly: the ten LPP ones are seeded; add 332 more.
await pool.query(`insert into municipalities (code, name, programmes, created_at, updated_at)
  select 'GM' || lpad(g::text, 4, '0'), 'Gemeente ' || g, '{}', now(), now() from generate_series(1000, 1331) g`);
const codes = (await pool.query('select code from municipalities order by code')).rows.map((r) => r.code as string);
const clientId = '00000000-0000-4000-8000-000000000001';
await pool.query(`create table bench_establishments (idx int primary key, id uuid not null, municipality_code text not null)`);

const MEASURES = `(array['closure','administrative_fine','penalty_order','administrative_coercion','warning','licence_suspension','licence_revocation'])`;
const GROUNDS = `(array['no_manager_present','licence_condition_breach','hygiene','worker_without_valid_id','unlicensed_operation','underage_worker','trafficking_indicators','other'])`;
const STAGES = `(array['decided','decided','decided','objection','appeal','final','final','intended','withdrawn','annulled'])`;
const ESTABLISHMENTS = 20_000;

async function ensureEstablishments() {
  const have = Number((await pool.query('select count(*) from bench_establishments')).rows[0].count);
  if (have) return;
  await pool.query(
    `insert into establishments (id, municipality_code, name, kind, street, house_number, postal_code, city, created_at, updated_at, created_by, updated_by)
     select gen_random_uuid(), (array[${codes.map((c) => `'${c}'`).join(',')}])[1 + (g % ${codes.length})], 'Pand ' || g, 'club', 'Straat', 1, '1012AB', 'Stad', now(), now(), $1, $1
     from generate_series(1, ${ESTABLISHMENTS}) g`,
    [clientId],
  );
  await pool.query(
    `insert into bench_establishments select row_number() over (order by id) - 1, id, municipality_code from establishments`,
  );
}

/** Adds `count` actions, decision dates 2010–2025, triggers off; deleted ones included (2 %). */
async function addActions(count: number) {
  const c = await pool.connect();
  try {
    await c.query('begin');
    await c.query('alter table enforcement_actions disable trigger user');
    const batch = 1_000_000;
    for (let done = 0; done < count; done += batch) {
      const n = Math.min(batch, count - done);
      await c.query(
        `insert into enforcement_actions (id, establishment_id, municipality_code, licence_status, measure, grounds, stage, decision_date,
           fine_amount_cents, penalty_amount_cents, penalty_unit, penalty_maximum_cents, penalty_compliance_deadline, penalty_forfeited_cents,
           created_at, updated_at, created_by, updated_by, deleted_at, deleted_by, delete_reason)
         select gen_random_uuid(), e.id, e.municipality_code, case when random() < 0.12 then 'licensed' else 'unlicensed' end, m.measure,
           case when random() < 0.3 then array[${GROUNDS}[1 + (g % 8)], ${GROUNDS}[1 + ((g / 8) % 8)]] else array[${GROUNDS}[1 + (g % 8)]] end,
           ${STAGES}[1 + floor(random() * 10)::int], d.decision_date,
           case when m.measure = 'administrative_fine' then (1 + floor(random() * 200))::bigint * 10000 end,
           case when m.measure = 'penalty_order' then 50000 end, case when m.measure = 'penalty_order' then 'per_day' end,
           case when m.measure = 'penalty_order' then 500000 end, case when m.measure = 'penalty_order' then d.decision_date + 14 end,
           case when m.measure = 'penalty_order' then (floor(random() * 5))::bigint * 100000 end,
           now(), now(), $1, $1,
           case when random() < 0.02 then now() end, case when random() < 0.02 then $1::uuid end, null
         from generate_series(1, ${n}) g
         join bench_establishments e on e.idx = g % ${ESTABLISHMENTS}
         cross join lateral (select ${MEASURES}[1 + floor(random() * 7)::int + (g * 0)] as measure) m
         cross join lateral (select date '2010-01-01' + floor(random() * 5844)::int + (g * 0) as decision_date) d`,
        [clientId],
      );
    }
    await c.query('select statistics_rebuild_rollups()');
    await c.query('alter table enforcement_actions enable trigger user');
    await c.query('commit');
  } catch (err) {
    await c.query('rollback');
    throw err;
  } finally {
    c.release();
  }
  await pool.query('vacuum analyze enforcement_actions');
  await pool.query('vacuum analyze statistics_action_cells');
  await pool.query('vacuum analyze statistics_action_ground_cells');
}

const COUNTED = `stage in ('decided','objection','appeal','final') and deleted_at is null`;
const LPP = `municipality_code in (select code from municipalities where 'LPP' = any(programmes))`;
const QUESTIONS = [
  {
    name: 'one year by municipality',
    api: '/v1/statistics/enforcement-actions?groupBy=municipality&yearFrom=2019&yearTo=2019',
    raw: `select municipality_code, count(*) from enforcement_actions where ${COUNTED} and decision_date between '2019-01-01' and '2019-12-31' group by 1`,
    fullRange: false,
  },
  {
    name: 'full range by year × licenceStatus',
    api: '/v1/statistics/enforcement-actions?groupBy=year,licenceStatus',
    raw: `select extract(year from decision_date)::int, licence_status, count(*) from enforcement_actions where ${COUNTED} group by 1, 2`,
    fullRange: true,
  },
  {
    name: 'full range by measure',
    api: '/v1/statistics/enforcement-actions?groupBy=measure',
    raw: `select measure, count(*), sum(fine_amount_cents) from enforcement_actions where ${COUNTED} group by 1`,
    fullRange: true,
  },
  {
    name: 'LPP 2017–2019 summary',
    api: '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2017&yearTo=2019',
    raw: `select licence_status, count(*) from enforcement_actions where ${COUNTED} and ${LPP} and decision_date between '2017-01-01' and '2019-12-31' group by 1`,
    fullRange: false,
  },
  {
    name: 'one year by ground',
    api: '/v1/statistics/enforcement-actions?groupBy=ground&yearFrom=2019&yearTo=2019',
    raw: `select g, count(*) from enforcement_actions cross join lateral unnest(grounds) g where ${COUNTED} and decision_date between '2019-01-01' and '2019-12-31' group by 1`,
    fullRange: false,
  },
];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};

async function time(fn: () => Promise<void>, budgetMs: number, iterations: number) {
  for (let i = 0; i < Math.min(2, iterations); i++) await fn();
  const out: number[] = [];
  const start = performance.now();
  while (out.length < iterations && (out.length < 5 || performance.now() - start < budgetMs)) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return { p50: pct(out, 50), p95: pct(out, 95), n: out.length };
}

const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0' });
const { app, services } = await buildAppFor(database, config);
const analyst = madeBy(
  await services.commands.apiClients.create(systemContext('bench'), {
    name: `bench ${randomBytes(3).toString('hex')}`,
    role: 'analyst',
    municipalityCode: null,
  }),
);
const address = await app.listen({ port: 0, host: '127.0.0.1' });
const headers = { authorization: `Bearer ${analyst.token}` };

const results: string[] = [];
const line = (cols: (string | number)[]) => `| ${cols.join(' | ')} |`;
results.push(line(['actions', 'question', 'API p50 ms', 'API p95 ms', 'raw SQL p50 ms', 'raw SQL p95 ms', 'API p50 ÷ raw p50']));
results.push(line(['---:', '---', '---:', '---:', '---:', '---:', '---:']));

let loaded = 0;
await ensureEstablishments();
for (const size of sizes) {
  const t0 = performance.now();
  await addActions(size - loaded);
  loaded = size;
  process.stdout.write(
    `loaded ${size.toLocaleString('en')} actions (+ rollup rebuild, analyze) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
  );
  const plan = await pool.query(
    `explain select municipality_code, sum(actions) from statistics_action_cells where year between 2019 and 2019 and stage = any('{decided,objection,appeal,final}') group by 1`,
  );
  process.stdout.write(
    `  plan of the API's one-year query: ${plan.rows
      .map((r) => r['QUERY PLAN'])
      .join(' / ')
      .replace(/\s+/g, ' ')
      .slice(0, 220)}\n`,
  );
  for (const q of QUESTIONS) {
    const api = await time(
      async () => {
        const res = await fetch(`${address}${q.api}`, { headers });
        if (res.status !== 200) throw new Error(`${q.api}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      },
      60_000,
      ITERATIONS,
    );
    const raw = await time(
      async () => {
        await pool.query(q.raw);
      },
      RAW_BUDGET_MS,
      ITERATIONS,
    );
    const row = [
      size.toLocaleString('en'),
      q.name,
      api.p50.toFixed(2),
      api.p95.toFixed(2),
      raw.p50.toFixed(1),
      raw.p95.toFixed(1),
      (api.p50 / raw.p50).toFixed(3),
    ];
    results.push(line(row));
    process.stdout.write(
      `  ${q.name}: API p50 ${api.p50.toFixed(2)} / p95 ${api.p95.toFixed(2)} ms (n=${api.n}); raw p50 ${raw.p50.toFixed(1)} / p95 ${raw.p95.toFixed(1)} ms (n=${raw.n})\n`,
    );
  }
}
process.stdout.write(`\n${results.join('\n')}\n`);
await app.close();
await database.close();
if (!process.env.BENCH_KEEP_DATABASE) {
  const dropper = new pg.Client({ connectionString: adminUrl });
  await dropper.connect();
  await dropper.query(`drop database if exists ${DB} with (force)`);
  await dropper.end();
}

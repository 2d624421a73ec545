/**
 * `npm run bench:growth`: does a list page (and a one-year statistics request, when the route
 * exists) stay flat as the registry grows? Bulk-loads enforcement actions with generate_series
 * into a scratch database (not through the API), step by step, and after each step measures the
 * service over HTTP: latency (p50/p99 of sequential requests) and the service's RSS.
 *
 * Environment: DATABASE_URL (admin URL; a scratch database is created and dropped),
 * BENCH_GROWTH_SIZES (default "10000,100000,1000000"; add 10000000 if you have ~20 minutes),
 * BENCH_GROWTH_REQUESTS (per measurement, default 60).
 */
import pg from 'pg';
import { scratchDatabase } from '../test/support/scratch-database.js';
import { type RequestSpec, runLoad } from './bench/load.js';
import { bulkEstablishments, bulkLoadActions, DEFAULT_URL } from './bench/seed.js';
import { rssMb, startService } from './bench/service.js';

const ADMIN_TOKEN = `bench-admin-${'x'.repeat(32)}`;
const SIZES = (process.env.BENCH_GROWTH_SIZES ?? '10000,100000,1000000').split(',').map(Number);
const REQUESTS = Number(process.env.BENCH_GROWTH_REQUESTS ?? 60);
const CHUNK = 1_000_000;

const fmt = (n: number, d = 1) => (Number.isNaN(n) ? '–' : n.toFixed(d));

async function main() {
  const scratch = await scratchDatabase(process.env.DATABASE_URL || DEFAULT_URL, 'er_growth');
  const service = await startService({ DATABASE_URL: scratch.url, REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info' });
  const c = new pg.Client({ connectionString: scratch.url });
  await c.connect();
  try {
    const post = async (body: unknown) => {
      const res = await fetch(`${service.baseUrl}/v1/api-clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 201) throw new Error(`api-clients: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string; token: string };
    };
    const officer = await post({ name: 'growth officer', role: 'officer', municipalityCode: 'GM0363' });
    const analyst = await post({ name: 'growth analyst', role: 'analyst', municipalityCode: null });
    await bulkEstablishments(c, 20, officer.id);
    const doc = (await (await fetch(`${service.baseUrl}/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const hasStatistics = '/statistics/enforcement-actions' in doc.paths;

    const list: RequestSpec = {
      method: 'GET',
      path: '/v1/enforcement-actions?page=1&pageSize=20',
      headers: { authorization: `Bearer ${officer.token}` },
      expectStatus: 200,
    };
    const filtered: RequestSpec = {
      ...list,
      path: '/v1/enforcement-actions?page=1&pageSize=20&decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31',
    };
    const stats: RequestSpec = {
      method: 'GET',
      path: '/v1/statistics/enforcement-actions?decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31',
      headers: { authorization: `Bearer ${analyst.token}` },
      expectStatus: 200,
    };

    const rows: string[][] = [];
    let loaded = 0;
    for (const size of SIZES) {
      const t0 = performance.now();
      // Row triggers off during the bulk load (millions of per-row rollup updates would take most of an
      // hour at 10 M), then the rollups rebuilt from the table in one pass, as scripts/bench-statistics.ts does.
      await c.query('alter table enforcement_actions disable trigger user');
      try {
        while (loaded < size) {
          const to = Math.min(size, loaded + CHUNK);
          await bulkLoadActions(c, loaded + 1, to, officer.id);
          loaded = to;
        }
      } finally {
        await c.query('alter table enforcement_actions enable trigger user');
      }
      await c.query('select statistics_rebuild_rollups()');
      await c.query('vacuum analyze enforcement_actions');
      const loadS = (performance.now() - t0) / 1000;
      const bytes = Number((await c.query("select pg_total_relation_size('enforcement_actions') as b")).rows[0].b);
      const measure = async (spec: RequestSpec) => {
        await runLoad(service.baseUrl, spec, 1, 30, 5); // warm
        return runLoad(service.baseUrl, spec, 1, 60, REQUESTS);
      };
      const l = await measure(list);
      const f = await measure(filtered);
      const s = hasStatistics ? await measure(stats) : null;
      const errors = [l, f, s].filter((r) => r?.errors).map((r) => r?.firstError);
      rows.push([
        size.toLocaleString('en'),
        fmt(loadS, 0),
        fmt(bytes / 1024 / 1024, 0),
        `${fmt(l.p50)} / ${fmt(l.p99)}`,
        `${fmt(f.p50)} / ${fmt(f.p99)}`,
        s ? `${fmt(s.p50)} / ${fmt(s.p99)}` : 'no route',
        String(rssMb(service.child.pid as number)),
        errors.length ? String(errors[0]).slice(0, 80) : '',
      ]);
      process.stderr.write(`${size}: loaded in ${fmt(loadS, 0)} s, list p50 ${fmt(l.p50)} ms\n`);
    }
    const head = [
      'actions',
      'load s',
      'table+indexes MB',
      'list page p50/p99 ms',
      'list, one year p50/p99',
      'statistics one year p50/p99',
      'service RSS MB',
      'errors',
    ];
    console.log(`\n## Growth (sequential requests, ${REQUESTS} per cell; officer of GM0363 sees ~1/10 of the rows)\n`);
    console.log(`| ${head.join(' | ')} |`);
    console.log(`|${head.map(() => '---').join('|')}|`);
    for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  } finally {
    await c.end();
    await service.stop();
    await scratch.drop();
  }
}

await main();

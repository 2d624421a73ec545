import { sql } from 'drizzle-orm';
import t from 'tap';
import { verifyAuditChain } from '../../src/infrastructure/audit/chain.js';
import type { Db } from '../../src/infrastructure/db/client.js';
import { generateDemoData, LETTER } from '../support/demo-data.js';
import { loadDemoData } from '../support/demo-load.js';
import { build, json } from '../support/helper.js';

/** The figures of the letter of 24 March 2020, computed by the API from the demo data. */
// Longer than .taprc's default: ~1,500 writes through the commands (a count the letter fixes), ~10 s when idle.
t.setTimeout(300_000);

const rows = async <T>(db: Db, query: ReturnType<typeof sql>) => ((await db.execute(query)) as unknown as { rows: T[] }).rows;

/** Every rollup cell that holds something, in a stable order. */
const rollups = (db: Db) =>
  Promise.all(
    ['statistics_action_cells', 'statistics_action_ground_cells', 'statistics_national_cells', 'statistics_national_ground_cells'].map(
      async (table) => {
        const cells = await rows(
          db,
          sql.raw(
            `select * from ${table} where actions <> 0 or fine_amount_cents <> 0 or penalty_maximum_cents <> 0 or penalty_forfeited_cents <> 0`,
          ),
        );
        return cells.map((c) => JSON.stringify(c)).sort();
      },
    ),
  );

t.test('the demo data gives the letter’s figures through the API', async (t) => {
  const { app, client, services, database } = await build(t);
  const data = generateDemoData();
  // In bulk, as `npm run demo` loads it: each municipality's records in one transaction.
  const loaded = await loadDemoData(services, data);
  const analyst = await client('analyst');

  // Bulk is no shortcut past the audit trail or the rollups: every record has its create entry, the
  // chain verifies, and the rollups kept at each commit equal a rebuild from the actions themselves.
  const unaudited = await rows<{ n: number }>(
    database.owner,
    sql`select count(*)::int as n from (select id::text as id from establishments union all select id::text from licences
        union all select id::text from enforcement_actions) r
        where not exists (select 1 from audit_log l where l.object_id = r.id and l.action = 'create')`,
  );
  t.equal(unaudited[0]?.n, 0, 'every loaded record has its create entry in the audit trail');
  const entries = await rows<{ n: number }>(database.owner, sql`select count(*)::int as n from audit_log where client_role = 'officer'`);
  t.ok((entries[0]?.n ?? 0) >= loaded.writes, `an entry per write (${loaded.writes}), re-derivations besides`);
  const chain = await verifyAuditChain(database.owner);
  t.ok(chain.ok, `the audit chain verifies (${chain.entriesChecked} entries)`);
  const kept = await rollups(database.owner);
  await database.owner.execute(sql`select statistics_rebuild_rollups()`);
  t.same(await rollups(database.owner), kept, 'the rollups equal a rebuild from the actions');
  t.ok((kept[0]?.length ?? 0) > 0);

  const res = await app.inject({
    url: '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2017&yearTo=2019',
    headers: analyst.auth,
  });
  t.equal(res.statusCode, 200, res.body);
  const body = json<{
    items: { licenceStatus: string; actions: number; municipalities: number; years: number; averagePerMunicipalityPerYear: number }[];
    countingRule: { stages: string[]; municipalityCodes: string[]; years: number[]; description: string };
    divisor: { municipalityYears: number; averagePerMunicipalityPerYear: number };
  }>(res);
  const licensed = body.items.find((i) => i.licenceStatus === 'licensed');
  const unlicensed = body.items.find((i) => i.licenceStatus === 'unlicensed');
  t.equal(licensed?.actions, 85, 'the letter: 85 times against a licensed establishment');
  t.equal(unlicensed?.actions, 610, 'the letter: 610 times against unlicensed ones');
  t.equal(licensed?.municipalities, 10);
  t.equal(licensed?.years, 3);
  // 85 / 30 and 610 / 30, as the API writes them (two decimals): the letter's "three" and "twenty".
  t.equal(licensed?.averagePerMunicipalityPerYear, 2.83, '“gemiddeld drie keer per jaar per gemeente”');
  t.equal(unlicensed?.averagePerMunicipalityPerYear, 20.33, '“gemiddeld twintig keer per jaar per gemeente”');
  t.same(
    [body.divisor.municipalityYears, body.divisor.averagePerMunicipalityPerYear],
    [30, 30],
    'whole calendar years: the divisor is the municipality-years',
  );
  t.equal(Math.round(licensed?.averagePerMunicipalityPerYear ?? 0), 3);
  t.equal(Math.round(unlicensed?.averagePerMunicipalityPerYear ?? 0), 20);
  t.equal((licensed as { periodYears?: number } | undefined)?.periodYears, 3, 'three whole calendar years');

  // The letter's own period, "the three years before March 2020": 36 months, so 3 years, though it
  // touches four calendar years; the average divides by 10 × 3, not by 10 × 4.
  const literal = json<{
    items: { licenceStatus: string; actions: number; years: number; periodYears: number; averagePerMunicipalityPerYear: number }[];
    divisor: { rule: string; averagePerMunicipalityPerYear: number; averagePerReportingMunicipalityYear: number | null };
    reporting: { year: number; status: string }[];
  }>(
    await app.inject({
      url: '/v1/statistics/enforcement-actions/summary?programme=LPP&decisionDateFrom=2017-03-01&decisionDateTo=2020-02-29',
      headers: analyst.auth,
    }),
  );
  t.same(
    literal.items.map((i) => i.licenceStatus).sort(),
    ['licensed', 'unlicensed'],
    'a row for each licence status (the checks below run on both)',
  );
  for (const item of literal.items) {
    t.match(item, { years: 4, periodYears: 3 }, `${item.licenceStatus}: four calendar years touched, three years long`);
    const exact = Math.floor((2 * item.actions * 100 + 30) / 60) / 100; // actions ÷ 30, half up
    t.equal(item.averagePerMunicipalityPerYear, exact, `${item.licenceStatus}: ${item.actions} ÷ (10 × 3)`);
  }
  t.match(literal.divisor.rule, /× the period's length, 3 years \(2017-03-01 to 2020-02-29\)/);
  // The divisors themselves, so that an analyst can check each average by hand: 10 × 3 years, and the
  // part of the period in each municipality-year that reported (March–December of 2017, January–February of 2020).
  t.equal(literal.divisor.averagePerMunicipalityPerYear, 30);
  const part: Record<number, number> = { 2017: 10 / 12, 2018: 1, 2019: 1, 2020: 2 / 12 };
  const reportingYears = literal.reporting.filter((r) => r.status !== 'not_reported').map((r) => part[r.year] ?? Number.NaN);
  t.ok(reportingYears.length >= 30, 'every LPP municipality reported 2017–2019');
  const expected = Math.round(reportingYears.reduce((a, b) => a + b, 0) * 10_000) / 10_000;
  t.equal(literal.divisor.averagePerReportingMunicipalityYear, expected, `reporting divisor ${expected}`);

  t.same(body.countingRule.stages, ['decided', 'objection', 'appeal', 'final']);
  t.equal(body.countingRule.municipalityCodes.length, LETTER.municipalities);
  t.same(body.countingRule.years, [2017, 2018, 2019]);
  t.match(body.countingRule.description, /decision date/);

  // The same totals from the grouped endpoint, its CSV and the observations.
  const grouped = json<{ items: { year: number; municipalityCode: string; licenceStatus: string; actions: number }[] }>(
    await app.inject({
      url: '/v1/statistics/enforcement-actions?programme=LPP&yearFrom=2017&yearTo=2019&groupBy=year,municipality,licenceStatus',
      headers: analyst.auth,
    }),
  );
  t.equal(grouped.items.length, 3 * 10 * 2, 'every year × municipality × licence status, zeros included');
  const sum = (s: string) => grouped.items.filter((i) => i.licenceStatus === s).reduce((n, i) => n + i.actions, 0);
  t.equal(sum('licensed'), 85);
  t.equal(sum('unlicensed'), 610);

  // What was recorded but must not count: intended, withdrawn, annulled (deleted never shows).
  const all = json<{ items: { stage: string; actions: number }[] }>(
    await app.inject({
      url: '/v1/statistics/enforcement-actions?groupBy=stage&stage=intended,decided,objection,appeal,final,withdrawn,annulled',
      headers: analyst.auth,
    }),
  );
  const notCounted = all.items.filter((i) => ['intended', 'withdrawn', 'annulled'].includes(i.stage)).reduce((n, i) => n + i.actions, 0);
  const deleted = data.actions.filter((a) => a.deleteReason).length;
  t.equal(notCounted, data.actions.filter((a) => a.expected === 'not_counted').length - deleted);
  t.ok(notCounted > 0 && deleted > 0, 'the demo has actions that must not count');
});

import t from 'tap';
import { generateDemoData, LETTER } from '../support/demo-data.js';
import { loadDemoData } from '../support/demo-load.js';
import { build, json } from '../support/helper.js';

/** The figures of the letter of 24 March 2020, computed by the API from the demo data. */
// Longer than .taprc's default: ~1,700 writes through the API (a count the letter fixes), ~20 s when idle.
t.setTimeout(300_000);

t.test('the demo data gives the letter’s figures through the API', async (t) => {
  // One officer client records hundreds of actions in a minute while loading: no rate limit here.
  const { app, client } = await build(t, { config: { RATE_LIMIT_PER_MINUTE: '0' } });
  const data = generateDemoData();
  const officers = new Map<string, Record<string, string>>();
  for (const code of new Set(data.establishments.map((e) => e.body.municipalityCode)))
    officers.set(code, (await client('officer', code)).auth);
  await loadDemoData(app, (code) => officers.get(code) as Record<string, string>, data);
  const analyst = await client('analyst');

  const res = await app.inject({
    url: '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2017&yearTo=2019',
    headers: analyst.auth,
  });
  t.equal(res.statusCode, 200, res.body);
  const body = json<{
    items: { licenceStatus: string; actions: number; municipalities: number; years: number; averagePerMunicipalityPerYear: number }[];
    countingRule: { stages: string[]; municipalityCodes: string[]; years: number[]; description: string };
  }>(res);
  const licensed = body.items.find((i) => i.licenceStatus === 'licensed');
  const unlicensed = body.items.find((i) => i.licenceStatus === 'unlicensed');
  t.equal(licensed?.actions, 85, 'the letter: 85 times against a licensed establishment');
  t.equal(unlicensed?.actions, 610, 'the letter: 610 times against unlicensed ones');
  t.equal(licensed?.municipalities, 10);
  t.equal(licensed?.years, 3);
  t.equal(licensed?.averagePerMunicipalityPerYear.toFixed(1), '2.8', '“gemiddeld drie keer per jaar per gemeente”');
  t.equal(unlicensed?.averagePerMunicipalityPerYear.toFixed(1), '20.3', '“gemiddeld twintig keer per jaar per gemeente”');
  t.equal(Math.round(licensed?.averagePerMunicipalityPerYear ?? 0), 3);
  t.equal(Math.round(unlicensed?.averagePerMunicipalityPerYear ?? 0), 20);
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

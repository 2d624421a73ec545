import { sql } from 'drizzle-orm';
import t from 'tap';
import { dutchLabel, titleOf } from '../../src/domain/code-titles.js';
import { GROUNDS, LICENCE_STATUSES, MEASURES, PROGRAMMES, STAGES } from '../../src/domain/codes.js';
import { DIMENSIONS } from '../../src/domain/statistics.js';
import { build, json, sample } from '../support/helper.js';
import { checkResponse } from '../support/openapi.js';
import { parseCsv } from '../support/statistics.js';

interface Code {
  identifier: string;
  value: string | number | null;
  title: { nl: string; en: string };
  programmes?: string[];
}
interface Metadata {
  dimensions: { identifier: string; groupBy: string; kind: string; title: { nl: string; en: string }; codes: Code[] }[];
  measureCodes: { identifier: string; field: string; unit: string; euro: { factor: number } | null }[];
  valueAttributes: { identifier: string }[];
  programmes: { identifier: string }[];
  countingRule: { countedStages: string[]; averageDenominator: string; description: { nl: string; en: string } };
}
interface Obs {
  id: number;
  measure: string;
  valueAttribute: string;
  value: number | null;
  [k: string]: unknown;
}

/** Amsterdam 2 licensed (2018) + 8 unlicensed (7 in 2018, 1 in 2019), Rotterdam 3 unlicensed (2018). */
async function setUp(t: Parameters<typeof build>[0]) {
  const ctx = await build(t);
  const { app, client } = ctx;
  const ams = await client('officer', 'GM0363');
  const rdam = await client('officer', 'GM0599');
  const post = async (auth: Record<string, string>, url: string, payload: unknown) => {
    const res = await app.inject({ method: 'POST', url, headers: auth, payload: payload as Record<string, unknown> });
    if (res.statusCode !== 201) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
    return json<{ id: string }>(res);
  };
  const licensed = await post(ams.auth, '/v1/establishments', sample.establishment('GM0363'));
  await post(ams.auth, `/v1/establishments/${licensed.id}/licences`, sample.licence());
  const illegal = await post(ams.auth, '/v1/establishments', sample.establishment('GM0363', { name: 'Pand' }));
  const rdamEst = await post(
    rdam.auth,
    '/v1/establishments',
    sample.establishment('GM0599', { address: { street: 'Hoogstraat', houseNumber: 3, postalCode: '3011AA', city: 'Rotterdam' } }),
  );
  for (let i = 0; i < 7; i++)
    await post(ams.auth, '/v1/enforcement-actions', sample.action(illegal.id, { decisionDate: `2018-0${i + 1}-10` }));
  for (let i = 0; i < 2; i++)
    await post(ams.auth, '/v1/enforcement-actions', sample.action(licensed.id, { measure: 'warning', fine: undefined }));
  await post(
    ams.auth,
    '/v1/enforcement-actions',
    sample.action(illegal.id, { measure: 'closure', fine: undefined, closure: { startDate: '2019-02-01' }, decisionDate: '2019-01-15' }),
  );
  for (let i = 0; i < 3; i++) await post(rdam.auth, '/v1/enforcement-actions', sample.action(rdamEst.id, { decisionDate: '2018-11-11' }));
  // Rotterdam's 2019 has no actions: attested, so its 0s over 2018–2019 are true 0s.
  await post(rdam.auth, '/v1/reporting-attestations', { municipalityCode: 'GM0599', year: 2019, complete: true, nothingToReport: true });
  return { ...ctx, analyst: await client('analyst') };
}

t.test('one title table: the Dutch titles are the labels the CSV columns use', async (t) => {
  const titled = [...LICENCE_STATUSES, ...MEASURES, ...GROUNDS, ...STAGES, ...PROGRAMMES];
  const names = [...DIMENSIONS, ...titled];
  t.equal(new Set(names).size, names.length, 'no two code lists share a code, and no code is named like a dimension');
  for (const code of titled) {
    t.ok(titleOf(code).nl && titleOf(code).en, `${code} has both titles`);
    t.equal(dutchLabel(code), titleOf(code).nl, `${code}: its label is its Dutch title`);
  }
  t.equal(dutchLabel('GM0363'), '', 'a value no code list has gets no label');
  t.equal(dutchLabel('constructor'), '', 'nor does a name every object has');
});

t.test('metadata: every dimension’s codes with Dutch and English titles, units, the counting rule', async (t) => {
  const { app, analyst } = await setUp(t);
  const res = await app.inject({ url: '/v1/statistics/metadata' });
  t.equal(res.statusCode, 200, 'no token needed');
  t.same(checkResponse('GET', '/v1/statistics/metadata', 200, res.headers['content-type'] as string, res.body), [], 'matches the contract');
  const meta = json<Metadata>(res);
  const dim = (g: string) => meta.dimensions.find((d) => d.groupBy === g);
  t.same(
    meta.dimensions.map((d) => [d.groupBy, d.identifier, d.kind]),
    [
      ['year', 'Perioden', 'TimeDimension'],
      ['municipality', 'RegioS', 'GeoDimension'],
      ['licenceStatus', 'Vergunningstatus', 'Dimension'],
      ['measure', 'Maatregel', 'Dimension'],
      ['ground', 'Grond', 'Dimension'],
      ['stage', 'Fase', 'Dimension'],
    ],
  );
  const values = (g: string) => (dim(g)?.codes ?? []).filter((c) => c.value !== null).map((c) => c.value);
  t.same(values('licenceStatus'), [...LICENCE_STATUSES]);
  t.same(values('measure'), [...MEASURES]);
  t.same(values('ground'), [...GROUNDS]);
  t.same(values('stage'), [...STAGES]);
  for (const d of meta.dimensions) {
    for (const c of d.codes) t.ok(c.title.nl && c.title.en, `${d.identifier} ${c.identifier} has both titles`);
    t.equal(d.codes.at(-1)?.identifier, 'T001', `${d.identifier} lists its total code`);
  }
  t.same(dim('measure')?.codes.find((c) => c.value === 'penalty_order')?.title, {
    nl: 'last onder dwangsom',
    en: 'order subject to a penalty',
  });

  // Municipalities: the registered ones with CBS code and name, as the municipalities endpoint has them.
  const registered = json<{ items: { code: string; name: string; programmes: string[] }[] }>(
    await app.inject({ url: '/v1/municipalities?pageSize=100', headers: analyst.auth }),
  ).items;
  t.same(
    dim('municipality')
      ?.codes.filter((c) => c.value !== null)
      .map((c) => [c.identifier, c.title.nl, c.programmes]),
    registered.map((m) => [m.code, m.name, m.programmes]),
  );
  // Periods: the years with data, as the statistics' default period.
  const rule = json<{ countingRule: { years: number[] } }>(
    await app.inject({ url: '/v1/statistics/enforcement-actions', headers: analyst.auth }),
  ).countingRule;
  t.same(values('year'), rule.years);
  t.same(
    dim('year')
      ?.codes.filter((c) => c.value !== null)
      .map((c) => c.identifier),
    ['2018JJ00', '2019JJ00'],
  );

  t.same(
    meta.measureCodes.map((m) => [m.identifier, m.field, m.unit, m.euro?.factor ?? null]),
    [
      ['Handhavingsmaatregelen_1', 'actions', 'count', null],
      ['OpgelegdeBoetes_2', 'fineAmountCents', 'cent', 0.01],
      ['MaximaleDwangsommen_3', 'penaltyMaximumCents', 'cent', 0.01],
      ['VerbeurdeDwangsommen_4', 'penaltyForfeitedCents', 'cent', 0.01],
    ],
  );
  t.same(
    meta.valueAttributes.map((v) => v.identifier),
    ['None', 'Confidential', 'NotReported'],
  );
  t.same(
    meta.programmes.map((p) => p.identifier),
    [...PROGRAMMES],
  );
  t.same(meta.countingRule.countedStages, ['decided', 'objection', 'appeal', 'final']);
  t.match(meta.countingRule.averageDenominator, /municipalities in scope × the period’s length in years/);
  t.ok(meta.countingRule.description.nl && meta.countingRule.description.en);
});

t.test(
  'metadata: the periods cover the current open-data release’s, which its observations use, and the years with data now',
  async (t) => {
    const { app, analyst, client, database } = await setUp(t);
    const periods = async () =>
      json<Metadata>(await app.inject({ url: '/v1/statistics/metadata' }))
        .dimensions.find((d) => d.groupBy === 'year')
        ?.codes.filter((c) => c.value !== null)
        .map((c) => c.identifier);
    const observed = async () => [
      ...new Set(
        json<{ items: Obs[] }>(await app.inject({ url: '/v1/open-data/enforcement-actions/observations?groupBy=year' }))
          .items.map((o) => o.Perioden)
          .filter((p) => p !== 'T001'),
      ),
    ];
    const officer = await client('officer', 'GM0363');
    const est = json<{ id: string }>(
      await app.inject({
        method: 'POST',
        url: '/v1/establishments',
        headers: officer.auth,
        payload: sample.establishment('GM0363', { name: 'Oud' }),
      }),
    );
    const action = (decisionDate: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/enforcement-actions',
        headers: officer.auth,
        payload: sample.action(est.id, { decisionDate }),
      });
    const early = json<{ id: string }>(await action('2016-03-03'));
    // Before the day's release: the years with data; the metadata does not make the release (minutes at every municipality).
    t.same(await periods(), ['2016JJ00', '2017JJ00', '2018JJ00', '2019JJ00']);
    const releases = async () =>
      ((await database.owner.execute(sql`select count(*)::int as n from open_data_releases`)) as unknown as { rows: { n: number }[] })
        .rows[0]?.n;
    t.equal(await releases(), 0, 'no release was computed for the metadata');
    // Today's release is made now: 2016–2019.
    t.same(await observed(), ['2016JJ00', '2017JJ00', '2018JJ00', '2019JJ00']);
    t.same(await periods(), await observed());

    // The 2016 action deleted after the release: the observations keep 2016 and 2017 until the next release, and so does the metadata.
    const gone = await app.inject({
      method: 'DELETE',
      url: `/v1/enforcement-actions/${early.id}`,
      headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'entered twice' },
    });
    t.equal(gone.statusCode, 204);
    const live = async () =>
      json<{ countingRule: { years: number[] } }>(await app.inject({ url: '/v1/statistics/enforcement-actions', headers: analyst.auth }))
        .countingRule.years;
    t.same(await live(), [2018, 2019], 'the live default period has lost 2016 and 2017');
    t.same(await observed(), ['2016JJ00', '2017JJ00', '2018JJ00', '2019JJ00'], 'the day’s observations still have them');
    t.same(await periods(), await observed(), 'and the metadata lists each of their codes');

    // An action of 2021: the analyst may ask for it now (the dashboard offers the metadata’s years), the observations tomorrow.
    t.equal((await action('2021-05-05')).statusCode, 201);
    t.same(await live(), [2018, 2019, 2020, 2021]);
    t.same(await periods(), ['2016JJ00', '2017JJ00', '2018JJ00', '2019JJ00', '2020JJ00', '2021JJ00']);
  },
);

t.test('open-data observations: the open table in CBS long format, withheld and not reported as codes', async (t) => {
  const { app } = await setUp(t);
  const url = '/v1/open-data/enforcement-actions/observations?groupBy=municipality,licenceStatus';
  const res = await app.inject({ url });
  t.equal(res.statusCode, 200, res.body);
  t.same(checkResponse('GET', url, 200, res.headers['content-type'] as string, res.body), [], 'matches the contract');
  const { items, threshold } = json<{ items: Obs[]; threshold: number }>(res);
  t.equal(threshold, 5);
  const table = json<{
    cells: { municipalityCode: string; licenceStatus: string; value: number | null; status: string }[];
    margins: { dimension: string; municipalityCode?: string; licenceStatus?: string; value: number | null; status: string }[];
    total: { value: number | null; status: string };
  }>(await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=municipality,licenceStatus' }));
  t.equal(items.length, table.cells.length + table.margins.length + 1, 'cells, margins and the grand total');
  const attribute = { reported: 'None', zero: 'None', suppressed: 'Confidential', not_reported: 'NotReported' } as Record<string, string>;
  for (const c of table.cells) {
    const o = items.find((x) => x.RegioS === c.municipalityCode && x.Vergunningstatus === c.licenceStatus);
    t.same([o?.value, o?.valueAttribute], [c.value, attribute[c.status]], `${c.municipalityCode} ${c.licenceStatus}`);
  }
  for (const m of table.margins) {
    const o = items.find((x) =>
      m.dimension === 'municipality'
        ? x.RegioS === m.municipalityCode && x.Vergunningstatus === 'T001'
        : x.RegioS === 'T001' && x.Vergunningstatus === m.licenceStatus,
    );
    t.same([o?.value, o?.valueAttribute], [m.value, attribute[m.status]], `margin ${m.municipalityCode ?? m.licenceStatus}`);
  }
  const grand = items.find((x) => x.RegioS === 'T001' && x.Vergunningstatus === 'T001');
  t.same([grand?.value, grand?.valueAttribute], [13, 'None']);
  const ams = items.find((x) => x.RegioS === 'GM0363' && x.Vergunningstatus === 'licensed');
  t.same([ams?.value, ams?.valueAttribute], [null, 'Confidential'], '2 is withheld');
  const groningen = items.find((x) => x.RegioS === 'GM0014' && x.Vergunningstatus === 'licensed');
  t.same([groningen?.value, groningen?.valueAttribute], [null, 'NotReported'], 'no establishments registered: not reported');
  const zero = items.find((x) => x.RegioS === 'GM0599' && x.Vergunningstatus === 'licensed');
  t.same([zero?.value, zero?.valueAttribute], [0, 'None'], 'a true zero is a value');
  t.same(
    items.map((o) => o.id),
    items.map((_, i) => i),
  );

  const csv = await app.inject({ url, headers: { accept: 'text/csv' } });
  t.equal(csv.statusCode, 200);
  const [header, ...rows] = parseCsv(csv.body);
  t.same(header, ['Id', 'Measure', 'ValueAttribute', 'Value', 'RegioS', 'Vergunningstatus']);
  t.same(
    rows.find((r) => r[4] === 'GM0363' && r[5] === 'licensed'),
    [String(ams?.id), 'Handhavingsmaatregelen_1', 'Confidential', '', 'GM0363', 'licensed'],
  );
  t.equal((await app.inject({ url: '/v1/open-data/enforcement-actions/observations?groupBy=ground' })).statusCode, 400);
});

import fc from 'fast-check';
import t from 'tap';
import { type Equation, type Item, suppress } from '../../src/domain/suppression.js';
import { build, json, sample } from '../support/helper.js';
import { records } from '../support/records.js';
import { parseCsv, withoutAsOf } from '../support/statistics.js';

type Row = Record<string, unknown> & { actions: number };

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
  const illegal = await post(ams.auth, '/v1/establishments', sample.establishment('GM0363', { name: 'Pand, "achter"' }));
  const rdamEst = await post(
    rdam.auth,
    '/v1/establishments',
    sample.establishment('GM0599', { address: { street: 'Hoogstraat', houseNumber: 3, postalCode: '3011AA', city: 'Rotterdam' } }),
  );
  for (let i = 0; i < 7; i++)
    await post(ams.auth, '/v1/enforcement-actions', sample.action(illegal.id, { decisionDate: `2018-0${i + 1}-10` }));
  for (let i = 0; i < 2; i++)
    await post(
      ams.auth,
      '/v1/enforcement-actions',
      sample.action(licensed.id, { measure: 'warning', fine: undefined, grounds: ['hygiene', 'no_manager_present'] }),
    );
  await post(
    ams.auth,
    '/v1/enforcement-actions',
    sample.action(illegal.id, { measure: 'closure', fine: undefined, closure: { startDate: '2019-02-01' }, decisionDate: '2019-01-15' }),
  );
  await post(ams.auth, '/v1/enforcement-actions', sample.action(illegal.id, { stage: 'intended', decisionDate: '2019-03-01' }));
  for (let i = 0; i < 3; i++) await post(rdam.auth, '/v1/enforcement-actions', sample.action(rdamEst.id, { decisionDate: '2018-11-11' }));
  return { ...ctx, ams, rdam, analyst: await client('analyst'), admin: await client('admin') };
}

t.test('statistics: scope by role, counting rule, zero cells, validation', async (t) => {
  const { app, ams, analyst, admin } = await setUp(t);
  const get = (url: string, headers: Record<string, string>) => app.inject({ url, headers });

  const all = await get('/v1/statistics/enforcement-actions?groupBy=municipality,year&yearFrom=2018&yearTo=2019', analyst.auth);
  t.equal(all.statusCode, 200, all.body);
  const body = json<{ items: Row[]; countingRule: { municipalityCodes: string[]; years: number[]; source: string; description: string } }>(
    all,
  );
  t.equal(body.items.length, 20, 'ten municipalities × two years, zeros included');
  t.same(
    body.items.filter((r) => r.actions > 0).map((r) => [r.municipalityCode, r.year, r.actions]),
    [
      ['GM0363', 2018, 7],
      ['GM0599', 2018, 3],
      ['GM0363', 2019, 3],
    ],
    'the intended action does not count',
  );
  t.equal(body.items.find((r) => r.municipalityCode === 'GM0599')?.municipalityName, 'Rotterdam');
  t.equal(body.countingRule.source, 'rollup');
  t.match(body.countingRule.description, /decided, objection, appeal, final/);

  const byGround = json<{ items: Row[]; countingRule: { description: string } }>(
    await get('/v1/statistics/enforcement-actions?groupBy=ground&licenceStatus=licensed', analyst.auth),
  );
  t.same(
    byGround.items.filter((r) => r.actions).map((r) => [r.ground, r.actions]),
    [
      ['no_manager_present', 2],
      ['hygiene', 2],
    ],
    'an action with two grounds counts once per ground',
  );
  t.match(byGround.countingRule.description, /counts once under each/);

  const fines = json<{ items: Row[] }>(
    await get('/v1/statistics/enforcement-actions?measure=administrative_fine&yearFrom=2018&yearTo=2018', analyst.auth),
  );
  t.same(fines.items, [
    { actions: 10, fineAmountCents: 10 * 150_000, penaltyMaximumCents: 0, penaltyForfeitedCents: 0, status: 'reported' },
  ]);

  const withIntended = json<{ items: Row[] }>(await get('/v1/statistics/enforcement-actions?stage=intended&groupBy=stage', analyst.auth));
  t.same(withIntended.items, [
    { stage: 'intended', actions: 1, fineAmountCents: 150_000, penaltyMaximumCents: 0, penaltyForfeitedCents: 0, status: 'reported' },
  ]);

  const partial = json<{ items: Row[]; countingRule: { source: string } }>(
    await get('/v1/statistics/enforcement-actions?decisionDateFrom=2018-03-01&decisionDateTo=2018-12-31', analyst.auth),
  );
  t.equal(partial.items[0]?.actions, 5 + 3, 'dates from March 2018: 5 of the 7 fines and Rotterdam’s 3');
  t.equal(partial.countingRule.source, 'actions');

  // Officers: their own municipality only.
  const own = await get('/v1/statistics/enforcement-actions?groupBy=municipality', ams.auth);
  t.equal(own.statusCode, 200);
  t.same(json<{ countingRule: { municipalityCodes: string[] } }>(own).countingRule.municipalityCodes, ['GM0363']);
  t.equal(json<{ items: Row[] }>(own).items.length, 1);
  t.equal((await get('/v1/statistics/enforcement-actions?municipalityCode=GM0363', ams.auth)).statusCode, 200);
  const other = await get('/v1/statistics/enforcement-actions?municipalityCode=GM0599', ams.auth);
  t.equal(other.statusCode, 403);
  t.equal((await get('/v1/statistics/enforcement-actions?municipalityCode=GM0363,GM0599', ams.auth)).statusCode, 403);
  t.equal((await get('/v1/statistics/enforcement-actions/summary?municipalityCode=GM0599', ams.auth)).statusCode, 403);
  t.equal((await get('/v1/statistics/enforcement-actions', admin.auth)).statusCode, 200);
  t.equal((await app.inject({ url: '/v1/statistics/enforcement-actions' })).statusCode, 401);

  // Municipalities repeated or as a comma list mean the same.
  const repeated = json(
    await get('/v1/statistics/enforcement-actions?municipalityCode=GM0363&municipalityCode=GM0599&groupBy=municipality', analyst.auth),
  );
  const commas = json(await get('/v1/statistics/enforcement-actions?municipalityCode=GM0363,GM0599&groupBy=municipality', analyst.auth));
  t.same(withoutAsOf(repeated), withoutAsOf(commas));

  // Summary: municipalities without actions still count in the denominator.
  const summary = json<{ items: Row[]; total: Row }>(
    await get('/v1/statistics/enforcement-actions/summary?yearFrom=2018&yearTo=2019&programme=LPP', analyst.auth),
  );
  t.match(summary.items, [
    { licenceStatus: 'licensed', actions: 2, municipalities: 10, years: 2, averagePerMunicipalityPerYear: 0.1 },
    { licenceStatus: 'unlicensed', actions: 11, municipalities: 10, years: 2, averagePerMunicipalityPerYear: 0.55 },
  ]);

  // The summary is JSON only: a client that takes CSV only is told so (406), not handed JSON for its .csv file.
  const summaryAs = (accept: string) =>
    app.inject({ url: '/v1/statistics/enforcement-actions/summary?yearFrom=2018&yearTo=2019', headers: { ...analyst.auth, accept } });
  const csvOnly = await summaryAs('text/csv');
  t.same([csvOnly.statusCode, json<{ code: string }>(csvOnly).code], [406, 'not-acceptable']);
  t.match(csvOnly.headers['content-type'], /^application\/problem\+json/);
  t.match(json<{ detail: string }>(csvOnly).detail, /\/v1\/statistics\/enforcement-actions\/csv\?groupBy=licenceStatus/);
  for (const accept of ['text/csv, application/json;q=0.1', '*/*', 'application/*', 'application/json'])
    t.equal((await summaryAs(accept)).statusCode, 200, `Accept: ${accept}`);

  // Bad input: 400 with every invalid parameter.
  const bad = await get(
    '/v1/statistics/enforcement-actions?groupBy=year,colour&yearFrom=20x&measure=fine&municipalityCode=XX1',
    analyst.auth,
  );
  t.equal(bad.statusCode, 400);
  t.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8');
  const names = json<{ invalidParams: { name: string }[] }>(bad).invalidParams.map((p) => p.name.split('.')[0]);
  for (const n of ['groupBy', 'yearFrom', 'measure', 'municipalityCode']) t.ok(names.includes(n), `invalidParams names ${n}`);
  t.equal(json(bad).detail, `${names.length} invalid parameters in the request's query string; see invalidParams.`, 'detail says where');
  const crossed = await get('/v1/statistics/enforcement-actions?yearFrom=2019&yearTo=2018&municipalityCode=GM9999', analyst.auth);
  t.equal(crossed.statusCode, 400);
  t.same(
    json<{ invalidParams: { code: string }[] }>(crossed)
      .invalidParams.map((p) => p.code)
      .sort(),
    ['before_year_from', 'unknown_municipality'],
  );
  t.equal((await get('/v1/statistics/enforcement-actions?yearFrom=2018&decisionDateTo=2018-05-01', analyst.auth)).statusCode, 400);
  // A malformed end (no leading zero, a day that does not exist) is its own issue only: not also "before".
  for (const from of ['2019-1-01', '2019-02-30']) {
    const malformed = await get(`/v1/statistics/enforcement-actions?decisionDateFrom=${from}&decisionDateTo=2019-01-31`, analyst.auth);
    t.same(
      json<{ invalidParams: { name: string; code: string }[] }>(malformed).invalidParams.map((p) => `${p.name}:${p.code}`),
      ['decisionDateFrom:invalid_format'],
      from,
    );
  }

  // A municipality asked for by code but outside the programme asked for: a 400, not an empty scope
  // whose average per municipality per year is 0 over 0 municipalities.
  const almere = await app.inject({
    method: 'POST',
    url: '/v1/municipalities',
    headers: admin.auth,
    payload: { code: 'GM0034', name: 'Almere', programmes: [] },
  });
  t.equal(almere.statusCode, 201, almere.body);
  const outside = await get('/v1/statistics/enforcement-actions/summary?programme=LPP&municipalityCode=GM0034,GM0363', analyst.auth);
  t.equal(outside.statusCode, 400);
  t.match(json<{ invalidParams: unknown[] }>(outside).invalidParams, [
    { name: 'municipalityCode', code: 'not_in_programme', reason: /GM0034 .*LPP/ },
  ]);
  t.equal((await get('/v1/statistics/enforcement-actions?programme=LPP&municipalityCode=GM0363', analyst.auth)).statusCode, 200);
});

t.test('statistics: CSV and observations parse back with the same numbers', async (t) => {
  const { app, analyst } = await setUp(t);
  const q = 'groupBy=year,municipality,licenceStatus,measure&yearFrom=2018&yearTo=2019&programme=LPP';
  const asJson = json<{ items: Row[] }>(await app.inject({ url: `/v1/statistics/enforcement-actions?${q}`, headers: analyst.auth })).items;
  const res = await app.inject({ url: `/v1/statistics/enforcement-actions?${q}`, headers: { ...analyst.auth, accept: 'text/csv' } });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/csv; charset=utf-8/);
  t.ok(res.body.endsWith('\r\n') && !/[^\r]\n/.test(res.body), 'every line ends in CRLF');
  const [header, ...rows] = parseCsv(res.body);
  t.same(header, [
    'year',
    'municipality_code',
    'municipality_name',
    'licence_status',
    'licence_status_label',
    'measure',
    'measure_label',
    'actions',
    'fine_amount_cents',
    'penalty_maximum_cents',
    'penalty_forfeited_cents',
    'status',
  ]);
  t.equal(rows.length, asJson.length);
  rows.forEach((r, i) => {
    const j = asJson[i] as Row;
    t.same(
      [Number(r[0]), r[1], r[2], r[3], r[5], Number(r[7]), Number(r[8]), r[11]],
      [j.year, j.municipalityCode, j.municipalityName, j.licenceStatus, j.measure, j.actions, j.fineAmountCents, j.status],
    );
  });
  t.same(
    [...new Set(rows.map((r) => r[11]))].sort(),
    ['not_reported', 'reported', 'zero'],
    'the CSV tells a 0 nobody reported from a true 0, as the JSON does',
  );
  const fineRow = rows.find((r) => r[1] === 'GM0518' && r[5] === 'administrative_fine');
  t.same(
    [fineRow?.[2], fineRow?.[6], fineRow?.[4]],
    ["'s-Gravenhage", 'bestuurlijke boete', 'vergund'],
    'labels: municipality name, Dutch measure and status',
  );

  const obs = json<{ items: Record<string, unknown>[] }>(
    await app.inject({
      url: '/v1/statistics/enforcement-actions/observations?groupBy=year,municipality&yearFrom=2018&yearTo=2018',
      headers: analyst.auth,
    }),
  ).items;
  const amsterdam = obs.find((o) => o.RegioS === 'GM0363' && o.measure === 'Handhavingsmaatregelen_1');
  t.match(amsterdam, { Perioden: '2018JJ00', value: 7, valueAttribute: 'None' });
  // Groningen has no actions and no attestation for 2018: not reported, as in the open data's observations.
  t.same(
    obs.filter((o) => o.RegioS === 'GM0014').map((o) => [o.measure, o.valueAttribute, o.value]),
    [
      ['Handhavingsmaatregelen_1', 'NotReported', null],
      ['OpgelegdeBoetes_2', 'NotReported', null],
      ['MaximaleDwangsommen_3', 'NotReported', null],
      ['VerbeurdeDwangsommen_4', 'NotReported', null],
    ],
    'a 0 nobody reported is NotReported, not an ordinary 0',
  );
  const obsCsv = await app.inject({
    url: '/v1/statistics/enforcement-actions/observations?groupBy=year,municipality&yearFrom=2018&yearTo=2018',
    headers: { ...analyst.auth, accept: 'text/csv' },
  });
  const [obsHeader, ...obsRows] = parseCsv(obsCsv.body);
  t.same(obsHeader, ['Id', 'Measure', 'ValueAttribute', 'Value', 'Perioden', 'RegioS']);
  t.equal(obsRows.length, obs.length);
  t.same(
    obsRows.find((r) => r[5] === 'GM0363' && r[1] === 'Handhavingsmaatregelen_1'),
    [String(amsterdam?.id), 'Handhavingsmaatregelen_1', 'None', '7', '2018JJ00', 'GM0363'],
  );
  // 2019JJ00 is CBS's code for the whole of 2019: December alone may not carry it.
  const codesOf = (res: { json(): unknown }) =>
    (res.json() as { invalidParams: { name: string; code: string }[] }).invalidParams.map((p) => `${p.name}:${p.code}`);
  for (const csv of [false, true]) {
    const partYear = await app.inject({
      url: '/v1/statistics/enforcement-actions/observations?groupBy=year&decisionDateFrom=2019-12-01&decisionDateTo=2020-01-31',
      headers: { ...analyst.auth, accept: csv ? 'text/csv' : 'application/json' },
    });
    t.same(
      [partYear.statusCode, codesOf(partYear)],
      [400, ['decisionDateFrom:not_whole_years', 'decisionDateTo:not_whole_years']],
      `a part-year period grouped by year is refused, not labelled 2019JJ00 (${csv ? 'CSV' : 'JSON'})`,
    );
  }
  const december = json<{ items: Record<string, unknown>[] }>(
    await app.inject({
      url: '/v1/statistics/enforcement-actions/observations?groupBy=municipality&decisionDateFrom=2019-12-01&decisionDateTo=2019-12-31',
      headers: analyst.auth,
    }),
  ).items;
  t.ok(december.length > 0 && december.every((o) => !('Perioden' in o)), 'without year in groupBy a part-year period is answered');
  t.equal(
    (
      await app.inject({
        url: '/v1/statistics/enforcement-actions/observations?groupBy=year&decisionDateFrom=2018-01-01&decisionDateTo=2019-12-31',
        headers: analyst.auth,
      })
    ).statusCode,
    200,
    'whole years by date are answered',
  );
  t.equal(
    (
      await app.inject({
        url: '/v1/statistics/enforcement-actions',
        headers: { ...analyst.auth, accept: 'application/json, text/csv;q=0.5' },
      })
    ).headers['content-type'],
    'application/json; charset=utf-8',
  );
});

t.test('open data: no token, small counts suppressed, totals cannot reveal them', async (t) => {
  const { app, analyst, rdam } = await setUp(t);
  // Rotterdam has actions in 2018 only: its 0 licensed actions over 2018–2019 is a true 0 once it
  // attests 2019, not before (its 2019 part of the 0 is not a known figure until then).
  const rotterdamLicensed = async () =>
    json<{ items: Row[] }>(
      await app.inject({ url: '/v1/statistics/enforcement-actions?groupBy=municipality,licenceStatus', headers: analyst.auth }),
    ).items.find((r) => r.municipalityCode === 'GM0599' && r.licenceStatus === 'licensed')?.status;
  t.equal(await rotterdamLicensed(), 'not_reported', 'a 0 over 2018, which reported, and 2019, which did not');
  const attested = await app.inject({
    method: 'POST',
    url: '/v1/reporting-attestations',
    headers: rdam.auth,
    payload: { municipalityCode: 'GM0599', year: 2019, complete: true, nothingToReport: true },
  });
  t.equal(attested.statusCode, 201, attested.body);
  t.equal(await rotterdamLicensed(), 'zero', 'every year of it reported or attested: a true 0');
  const res = await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=municipality,licenceStatus' });
  t.equal(res.statusCode, 200, res.body);
  const table = json<{
    threshold: number;
    cells: { municipalityCode: string; licenceStatus: string; value: number | null; status: string }[];
    margins: { dimension: string; municipalityCode?: string; licenceStatus?: string; value: number | null; status: string }[];
    total: { value: number | null; status: string };
  }>(res);
  t.equal(table.threshold, 5);
  // Its counting rule describes what it publishes: counts and their protection, not the sums it leaves out.
  const rule = json<{ countingRule: { description: string } }>(res).countingRule.description;
  t.match(rule, /A count from 1 to 4 in any grouping is withheld/);
  t.notMatch(rule, /fineAmountCents|penaltyMaximumCents|penaltyForfeitedCents/);
  t.match(
    json<{ countingRule: { description: string } }>(
      await app.inject({ url: '/v1/statistics/enforcement-actions?groupBy=municipality', headers: analyst.auth }),
    ).countingRule.description,
    /fineAmountCents is the total/,
    'the statistics, which sum the amounts, still say how',
  );
  const exact = json<{ items: Row[] }>(
    await app.inject({ url: '/v1/statistics/enforcement-actions?groupBy=municipality,licenceStatus', headers: analyst.auth }),
  ).items;
  const truth = (m: string, s: string) => exact.find((r) => r.municipalityCode === m && r.licenceStatus === s)?.actions ?? 0;
  let published = 0;
  for (const c of table.cells) {
    const v = truth(c.municipalityCode, c.licenceStatus);
    t.ok(['reported', 'zero', 'suppressed', 'not_reported'].includes(c.status), `${c.municipalityCode}/${c.licenceStatus}: ${c.status}`);
    if (c.status === 'reported') {
      t.equal(c.value, v);
      published += 1;
    }
    if (v >= 1 && v <= 4 && !['suppressed', 'not_reported'].includes(c.status))
      t.fail(`${c.municipalityCode}/${c.licenceStatus} = ${v} is published`);
    if (c.status === 'zero') t.equal(v, 0);
  }
  t.ok(published > 0, `${published} cells published, each the true count`);
  const amsterdamTotal = json<{ cells: { municipalityCode: string; status: string }[] }>(
    await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=municipality' }),
  ).cells.find((c) => c.municipalityCode === 'GM0363');
  t.ok(
    table.cells.find((c) => c.municipalityCode === 'GM0363' && c.licenceStatus === 'unlicensed')?.status === 'suppressed' ||
      amsterdamTotal?.status === 'suppressed',
    'the 8 or Amsterdam’s total 10 is withheld too (secondary), across groupings: else 10 minus 8 would give the 2 away',
  );
  t.equal(
    table.cells.find((c) => c.municipalityCode === 'GM0363' && c.licenceStatus === 'licensed')?.status,
    'suppressed',
    '2 is suppressed',
  );
  t.equal(
    table.cells.find((c) => c.municipalityCode === 'GM0599' && c.licenceStatus === 'unlicensed')?.status,
    'suppressed',
    '3 is suppressed',
  );
  t.equal(
    table.cells.find((c) => c.municipalityCode === 'GM0014')?.status,
    'not_reported',
    'a municipality without establishments has not reported',
  );
  t.equal(table.cells.find((c) => c.municipalityCode === 'GM0599' && c.licenceStatus === 'licensed')?.status, 'zero');
  // No equation (margin = its cells; total = the margins) has exactly one hidden member.
  const hidden = (x: { status: string }) => x.status === 'suppressed';
  for (const m of table.margins) {
    const parts = table.cells.filter((c) =>
      m.dimension === 'municipality' ? c.municipalityCode === m.municipalityCode : c.licenceStatus === m.licenceStatus,
    );
    const n = [m, ...parts].filter(hidden).length;
    t.not(n, 1, `margin ${m.dimension} ${m.municipalityCode ?? m.licenceStatus}: ${n} hidden`);
  }
  for (const d of ['municipality', 'licenceStatus']) {
    t.not([table.total, ...table.margins.filter((m) => m.dimension === d)].filter(hidden).length, 1, `grand total over ${d}`);
  }
  const csv = await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=municipality', headers: { accept: 'text/csv' } });
  const [header, ...rows] = parseCsv(csv.body);
  t.same(header, ['municipality_code', 'municipality_name', 'actions', 'status']);
  t.same(
    rows.find((r) => r[0] === 'GM0599'),
    ['GM0599', 'Rotterdam', '', 'suppressed'],
  );
  t.equal((await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=ground' })).statusCode, 400);
});

t.test('suppression: on random tables no equation has exactly one suppressed member', async (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 25, maxLength: 25 }),
      fc.integer({ min: 2, max: 6 }),
      (rows, cols, values, threshold) => {
        const cells: Item[][] = Array.from({ length: rows }, (_, r) =>
          Array.from({ length: cols }, (_, c) => ({ value: values[r * 5 + c] as number, suppressed: false })),
        );
        const rowM = cells.map((r) => ({ value: r.reduce((n, c) => n + c.value, 0), suppressed: false }));
        const colM = Array.from({ length: cols }, (_, c) => ({
          value: cells.reduce((n, r) => n + (r[c] as Item).value, 0),
          suppressed: false,
        }));
        const total = { value: rowM.reduce((n, m) => n + m.value, 0), suppressed: false };
        const eqs: Equation[] = [
          ...rowM.map((m, r) => ({ total: m, parts: cells[r] as Item[] })),
          ...colM.map((m, c) => ({ total: m, parts: cells.map((r) => r[c] as Item) })),
          { total, parts: rowM },
          { total, parts: colM },
        ];
        const all = [...cells.flat(), ...rowM, ...colM, total];
        suppress(all, eqs, threshold);
        for (const i of all) if (i.value >= 1 && i.value < threshold && !i.suppressed) return false;
        return eqs.every((e) => [e.total, ...e.parts].filter((m) => m.suppressed).length !== 1);
      },
    ),
    { numRuns: 500 },
  );
  t.pass('primary and secondary suppression hold on 500 random tables');
});

t.test('grouped by ground, an action’s amounts appear under each of its grounds, and the rule says so', async (t) => {
  const { app, client } = await build(t);
  const ams = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const rec = records(app);
  const est = await rec.establishment(ams.auth);
  await rec.action(ams.auth, est.id, { grounds: ['hygiene', 'no_manager_present'], fine: { amountCents: 100_000 } });
  await rec.action(ams.auth, est.id, { grounds: ['hygiene'], fine: { amountCents: 50_000 } });
  const byGround = json<{ items: Row[]; countingRule: { description: string } }>(
    await app.inject({ url: '/v1/statistics/enforcement-actions?groupBy=ground&yearFrom=2019&yearTo=2019', headers: analyst.auth }),
  );
  t.same(
    byGround.items.filter((r) => r.actions).map((r) => [r.ground, r.actions, r.fineAmountCents]),
    [
      ['no_manager_present', 1, 100_000],
      ['hygiene', 2, 150_000],
    ],
    'the 1000 euro fine is shown in full under both its grounds: the rows add up to 2500 of the 1500 imposed',
  );
  t.match(
    byGround.countingRule.description,
    /Grouped by ground[^.]*amounts/,
    'the counting rule says the amounts, too, count under each ground (they must not be added up over grounds)',
  );
});

t.test('statistics: a period’s cross-field rules are listed with the schema’s issues, named by the parameters sent', async (t) => {
  const { app, client } = await build(t);
  const analyst = await client('analyst');
  const admin = await client('admin');
  const codes = async (query: string, auth = analyst.auth) => {
    const res = await app.inject({ url: `/v1/statistics/enforcement-actions?${query}`, headers: auth });
    return [
      res.statusCode,
      (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`).sort(),
    ];
  };
  // Each named only the schema's issue (stage, measure): the period's was left for the next try.
  t.same(await codes('yearFrom=2020&yearTo=2019&stage=bogus'), [400, ['stage.0:invalid_value', 'yearTo:before_year_from']]);
  t.same(await codes('decisionDateFrom=2019-06-01&decisionDateTo=2019-05-31&measure=fine'), [
    400,
    ['decisionDateTo:before_decision_date_from', 'measure.0:invalid_value'],
  ]);
  t.same(await codes('yearFrom=2019&decisionDateTo=2019-12-31&groupBy=colour'), [
    400,
    ['groupBy.0:invalid_value', 'yearFrom:period_twice'],
  ]);
  // A period of dates that is too long names the dates sent, not yearFrom.
  t.same(await codes('decisionDateFrom=1990-01-01&decisionDateTo=2100-12-31', admin.auth), [400, ['decisionDateFrom:period_too_long']]);
  t.same(await codes('decisionDateTo=2100-12-31&decisionDateFrom=1995-01-01', admin.auth), [400, ['decisionDateFrom:period_too_long']]);
  t.same(await codes('yearFrom=1990&yearTo=2100', admin.auth), [400, ['yearFrom:period_too_long']]);
});

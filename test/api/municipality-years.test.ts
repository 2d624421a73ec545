import t from 'tap';
import { build, json, type TestContext } from '../support/helper.js';
import { EST_HEADER, setUp as importSetUp } from '../support/imports.js';
import { records } from '../support/records.js';

/**
 * Municipalities merge: a new code from 1 January, the old codes end. A municipality counts in the
 * statistics only in the years it exists (firstYear–lastYear), records dated outside them are
 * refused, and its years cannot be set so that records fall outside them.
 */

type Problem = { code?: string; detail?: string; invalidParams?: { name: string; code: string; reason: string }[] };
type Summary = {
  total: { actions: number; municipalities: number; years: number; municipalityYears: number; averagePerMunicipalityPerYear: number };
  divisor: { rule: string; municipalityYears: number; notReported: number };
  reporting: { municipalityCode: string; year: number; status: string }[];
  countingRule: { description: string; municipalityCodes: string[] };
};

const MERGE = { 'content-type': 'application/merge-patch+json' };

/** An admin's merge patch of a municipality at version 1 (its years), answered. */
const patchYears = (app: TestContext['app'], auth: { authorization: string }, code: string, payload: Record<string, unknown>) =>
  app.inject({ method: 'PATCH', url: `/v1/municipalities/${code}`, headers: { ...auth, ...MERGE, 'if-match': '"1"' }, payload });

async function setUp(t: Parameters<typeof build>[0]) {
  const ctx = await build(t);
  const admin = await ctx.client('admin');
  const formed = await ctx.app.inject({
    method: 'POST',
    url: '/v1/municipalities',
    headers: admin.auth,
    payload: { code: 'GM1980', name: 'Nieuwstad', programmes: ['LPP'], firstYear: 2019 },
  });
  if (formed.statusCode !== 201) throw new Error(`set-up: adding GM1980 answered ${formed.statusCode}: ${formed.body}`);
  return { ...ctx, admin, make: records(ctx.app) };
}

t.test('years: set at creation and by PATCH (admin, If-Match, audited), refused when out of order or leaving records out', async (t) => {
  const { app, admin, client, make } = await setUp(t);
  const post = (payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/municipalities', headers: admin.auth, payload });

  const both = await post({ code: 'GM0001', name: '', firstYear: 2020, lastYear: 2019 });
  t.equal(both.statusCode, 400);
  t.same(
    json<Problem>(both)
      .invalidParams?.map((p) => `${p.name}:${p.code}`)
      .sort(),
    ['lastYear:before_first_year', 'name:too_small'],
    'the order of the years is listed with the schema’s own issues',
  );
  const implausible = await post({ code: 'GM0001', name: 'Oud', lastYear: 1850 });
  t.equal(implausible.statusCode, 400);
  t.match(json(implausible), { invalidParams: [{ name: 'lastYear', code: 'out_of_range' }] });
  t.equal((await app.inject({ url: '/v1/municipalities/GM0001', headers: admin.auth })).statusCode, 404, 'nothing stored');

  const amsterdam = await client('officer', 'GM0363');
  const club = await make.establishment(amsterdam.auth);
  await make.action(amsterdam.auth, club.id, { decisionDate: '2019-03-01' });

  const patch = (code: string, payload: Record<string, unknown>, version = '"1"', auth = admin.auth) =>
    app.inject({ method: 'PATCH', url: `/v1/municipalities/${code}`, headers: { ...auth, ...MERGE, 'if-match': version }, payload });

  const leavesOut = await patch('GM0363', { lastYear: 2018 });
  t.equal(leavesOut.statusCode, 409, leavesOut.body);
  t.match(json(leavesOut), { code: 'records-outside-years', detail: /GM0363 has records dated in 2019, outside until 2018/ });
  t.equal(json<{ version: number }>(await app.inject({ url: '/v1/municipalities/GM0363', headers: admin.auth })).version, 1, 'unchanged');

  t.equal((await patch('GM0080', { lastYear: 2018 }, '"1"', amsterdam.auth)).statusCode, 403, 'officers do not change municipalities');
  const noVersion = await app.inject({
    method: 'PATCH',
    url: '/v1/municipalities/GM0080',
    headers: { ...admin.auth, ...MERGE },
    payload: {},
  });
  t.equal(noVersion.statusCode, 428, 'If-Match is required');
  const readOnly = await patch('GM0080', { code: 'GM0081', programmes: [], lastYear: 2040, firstYear: 2041 });
  t.equal(readOnly.statusCode, 400);
  t.same(
    json<Problem>(readOnly)
      .invalidParams?.map((p) => `${p.name}:${p.code}`)
      .sort(),
    ['code:read_only', 'lastYear:before_first_year', 'programmes:read_only'],
  );

  const merged = await patch('GM0080', { lastYear: 2018 });
  t.equal(merged.statusCode, 200, merged.body);
  t.equal(merged.headers.etag, '"2"');
  t.match(json(merged), { code: 'GM0080', name: 'Leeuwarden', programmes: ['LPP'], firstYear: null, lastYear: 2018, version: 2 });
  t.equal((await patch('GM0080', { lastYear: 2017 })).statusCode, 412, 'a stale version is refused');

  const trail = json<{ items: { action: string; before: { lastYear?: unknown }; after: { lastYear: unknown }; clientId: string }[] }>(
    await app.inject({ url: '/v1/audit-trail?objectType=municipality&objectId=GM0080&action=update', headers: admin.auth }),
  );
  t.equal(trail.items.length, 1, 'the change is in the audit trail');
  t.match(trail.items[0], { action: 'update', clientId: admin.id, after: { lastYear: 2018 } });

  const put = await app.inject({
    method: 'PUT',
    url: '/v1/municipalities/GM0080',
    headers: { ...admin.auth, 'if-match': '"2"' },
    payload: { name: 'Leeuwarden', firstYear: 1990 },
  });
  t.equal(put.statusCode, 200, put.body);
  t.match(json(put), { firstYear: 1990, lastYear: null, version: 3 }, 'a PUT sets every field: lastYear left out is null');
});

t.test('records: an action or attestation dated in a year its municipality does not exist is a 400', async (t) => {
  const { app, admin, client, make } = await setUp(t);
  t.match(json(await app.inject({ url: '/v1/municipalities/GM1980', headers: admin.auth })), {
    code: 'GM1980',
    firstYear: 2019,
    lastYear: null,
  });
  const nieuwstad = await client('officer', 'GM1980');
  const club = await make.establishment(nieuwstad.auth, 'GM1980');

  const early = await app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: nieuwstad.auth,
    payload: { establishmentId: club.id, measure: 'warning', grounds: ['hygiene'], stage: 'decided', decisionDate: '2018-12-31' },
  });
  t.equal(early.statusCode, 400);
  t.match(json(early), {
    invalidParams: [{ name: 'decisionDate', code: 'outside_municipality_years', reason: /GM1980 exists from 2019 only, not in 2018/ }],
  });
  const action = await make.action(nieuwstad.auth, club.id, { decisionDate: '2019-01-01' });
  const moved = await app.inject({
    method: 'PATCH',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...nieuwstad.auth, ...MERGE, 'if-match': '"1"' },
    payload: { decisionDate: '2018-06-01' },
  });
  t.equal(moved.statusCode, 400, 'a correction into a year before it existed too');
  t.match(json(moved), { invalidParams: [{ name: 'decisionDate', code: 'outside_municipality_years' }] });

  const attested = await app.inject({
    method: 'POST',
    url: '/v1/reporting-attestations',
    headers: nieuwstad.auth,
    payload: { municipalityCode: 'GM1980', year: 2018, complete: true, nothingToReport: true },
  });
  t.equal(attested.statusCode, 400);
  t.match(json(attested), { invalidParams: [{ name: 'year', code: 'outside_municipality_years' }] });

  const page = json<{ totalItems: number }>(await app.inject({ url: '/v1/enforcement-actions', headers: nieuwstad.auth }));
  t.equal(page.totalItems, 1, 'only the action in its years is stored');
});

t.test('statistics: a municipality counts only in its years (denominator, zero cells, reporting, open data)', async (t) => {
  const { app, admin, client, make } = await setUp(t);
  const amsterdam = await client('officer', 'GM0363');
  const nieuwstad = await client('officer', 'GM1980');
  const analyst = await client('analyst');
  const club = await make.establishment(amsterdam.auth);
  await make.action(amsterdam.auth, club.id, { decisionDate: '2018-09-01' });
  await make.action(amsterdam.auth, club.id, { decisionDate: '2019-03-01' });
  const other = await make.establishment(nieuwstad.auth, 'GM1980');
  await make.action(nieuwstad.auth, other.id, { decisionDate: '2019-05-01' });
  const merged = await patchYears(app, admin.auth, 'GM0080', { lastYear: 2018 });
  t.equal(merged.statusCode, 200, merged.body);

  const get = (url: string) => app.inject({ url, headers: analyst.auth });

  // Whole years: 11 LPP municipalities × 2 years, less GM0080 in 2019 and GM1980 in 2018.
  const summary = json<Summary>(await get('/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2018&yearTo=2019'));
  t.match(summary.total, { actions: 3, municipalities: 11, years: 2, municipalityYears: 20, averagePerMunicipalityPerYear: 0.15 });
  t.equal(summary.reporting.length, 20);
  t.notOk(
    summary.reporting.some(
      (r) => `${r.municipalityCode}:${r.year}` === 'GM0080:2019' || `${r.municipalityCode}:${r.year}` === 'GM1980:2018',
    ),
    'the years in which they did not exist are not listed',
  );
  t.match(summary.divisor, { municipalityYears: 20, notReported: 17 });
  t.match(summary.divisor.rule, /less the years in which one did not exist, = 20/);
  t.match(summary.divisor.rule, /GM0080 until 2018, GM1980 from 2019/);
  t.match(summary.countingRule.description, /counts only in the years it exists .*GM0080 until 2018, GM1980 from 2019/);

  // Whole months, cut at 1 January: 9 municipalities × 12 months + GM0080's 6 + GM1980's 6 = 120 months, 10 years.
  const months = json<Summary>(
    await get('/v1/statistics/enforcement-actions/summary?programme=LPP&decisionDateFrom=2018-07-01&decisionDateTo=2019-06-30'),
  );
  t.match(months.total, { actions: 3, municipalities: 11, averagePerMunicipalityPerYear: 0.3 });
  t.match(months.divisor.rule, /each for the part it exists: 10 years together/);

  // Every municipality-year in scope reported: the letter's average and the reporting one agree, each
  // municipality-year counted for the part of the period in it (2018: 6 months, 2019: 3; GM1980 from 2019).
  const agreed = json<Summary & { total: { averagePerReportingMunicipalityYear: number; municipalityYearsReporting: number } }>(
    await get(
      '/v1/statistics/enforcement-actions/summary?municipalityCode=GM0363,GM1980&decisionDateFrom=2018-07-01&decisionDateTo=2019-03-31',
    ),
  );
  t.match(agreed.total, {
    actions: 2,
    municipalityYears: 3,
    municipalityYearsReporting: 3,
    averagePerMunicipalityPerYear: 2,
    averagePerReportingMunicipalityYear: 2,
  });
  t.match(agreed.divisor.rule, /each for the part of its year the period covers: 1 year together/);

  const table = json<{ items: { year: number; municipalityCode: string; actions: number; status: string }[] }>(
    await get('/v1/statistics/enforcement-actions?programme=LPP&yearFrom=2018&yearTo=2019&groupBy=year,municipality'),
  );
  const keys = table.items.map((r) => `${r.municipalityCode}:${r.year}`);
  t.equal(keys.length, 20, 'a zero cell for every municipality-year in scope, and for no other');
  t.notOk(keys.includes('GM0080:2019') || keys.includes('GM1980:2018'));
  t.match(
    table.items.find((r) => r.municipalityCode === 'GM1980'),
    { year: 2019, actions: 1, status: 'reported' },
  );

  const named = await get('/v1/statistics/enforcement-actions?municipalityCode=GM1980&yearFrom=2016&yearTo=2018&groupBy=year');
  t.equal(named.statusCode, 400, 'a municipality named for years in which it did not exist');
  t.match(json(named), {
    invalidParams: [
      { name: 'municipalityCode', code: 'outside_municipality_years', reason: /GM1980 exists from 2019 only, not in 2016–2018/ },
    ],
  });

  // No period and no data: the default is the municipality's own year nearest to this one, not a year it did not exist.
  const defaulted = await get('/v1/statistics/enforcement-actions?municipalityCode=GM0080&groupBy=year');
  t.equal(defaulted.statusCode, 200, defaulted.body);
  t.same(json<{ countingRule: { years: number[] } }>(defaulted).countingRule.years, [2018]);

  // Several named, one of them ended before the years with data (2018–2019): the default period reaches back to it.
  const arnhem = await patchYears(app, admin.auth, 'GM0202', { lastYear: 2016 });
  t.equal(arnhem.statusCode, 200, arnhem.body);
  const reached = await get('/v1/statistics/enforcement-actions?municipalityCode=GM0363,GM0202&groupBy=year');
  t.equal(reached.statusCode, 200, reached.body);
  t.same(json<{ countingRule: { years: number[] } }>(reached).countingRule.years, [2016, 2017, 2018, 2019]);

  // Nieuwstad's own officer, before it existed: the same answer for the implicit municipality.
  const own = await app.inject({ url: '/v1/statistics/enforcement-actions?yearFrom=2017&yearTo=2018', headers: nieuwstad.auth });
  t.equal(own.statusCode, 400);
  t.match(json(own), { invalidParams: [{ name: 'yearFrom', code: 'outside_municipality_years' }] });

  // Open data: every registered municipality, the years with data (2018–2019).
  const open = json<{
    cells: { year: number; municipalityCode: string; value: number | null; status: string }[];
    reporting: { municipalityCode: string; year: number }[];
  }>(await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=year,municipality' }));
  const cell = (code: string, year: number) => open.cells.find((c) => c.municipalityCode === code && c.year === year);
  t.match(cell('GM0080', 2019), { value: 0, status: 'zero' }, 'merged away: a known 0');
  t.match(cell('GM1980', 2018), { value: 0, status: 'zero' }, 'not yet formed: a known 0');
  t.match(cell('GM0014', 2019), { value: null, status: 'not_reported' }, 'existing, no actions, no attestation: not known');
  t.equal(open.reporting.length, 18, 'every municipality-year in scope: not GM0080 2019, GM1980 2018, nor Arnhem, merged away in 2016');
  t.notOk(
    open.cells.some((c) => c.municipalityCode === 'GM0202'),
    'a municipality with none of its years in the data is not in the grid',
  );
  t.notOk(open.reporting.some((r) => `${r.municipalityCode}:${r.year}` === 'GM0080:2019'));
});

t.test('import: each action of a file dated before its municipality existed is a problem of its line', async (t) => {
  const a = await importSetUp(t);
  const admin = await a.client('admin');
  const formed = await patchYears(a.app, admin.auth, 'GM0363', { firstYear: 2019 });
  t.equal(formed.statusCode, 200, formed.body);
  const est = await a.importFile(
    `${EST_HEADER}\nE-1,GM0363,Club Rood,club,Oudezijds Achterburgwal,12,,1012DK,Amsterdam,,`,
    'recordType=establishments',
  );
  t.match(est, { state: 'succeeded', counts: { created: 1 } });
  const header =
    'externalReference,establishmentReference,measure,grounds,stage,decisionDate,fineAmountCents,penaltyAmountCents,penaltyUnit,penaltyMaximumCents,penaltyComplianceDeadline,penaltyForfeitedCents,closureStartDate,closureEndDate,legalBasis,caseReference';
  const fine = (ref: string, date: string) => `${ref},E-1,administrative_fine,hygiene,decided,${date},150000,,,,,,,,,`;
  const file = [header, fine('A-1', '2019-05-01'), fine('A-2', '2018-05-01'), fine('A-3', '2020-01-10')].join('\n');

  const whole = await a.importFile(file, 'recordType=enforcement-actions');
  t.match(whole, { state: 'failed' });
  const stored = () => a.app.inject({ url: '/v1/enforcement-actions', headers: a.officer.auth });
  t.equal(json<{ totalItems: number }>(await stored()).totalItems, 0, 'all or nothing: nothing is kept');
  t.same(
    whole.problems.map((p) => `${p.line}:${p.column}:${p.code}`),
    ['3:decisionDate:outside_municipality_years'],
  );
  const rows = await a.importFile(file, 'recordType=enforcement-actions&mode=row-by-row');
  t.match(rows, { counts: { created: 2, rejected: 1 } });
  t.equal(json<{ totalItems: number }>(await stored()).totalItems, 2, 'row by row: the others are kept');
  t.same(
    rows.problems.map((p) => `${p.line}:${p.column}:${p.code}`),
    ['3:decisionDate:outside_municipality_years'],
  );
});

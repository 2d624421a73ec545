import t from 'tap';
import { build, json, sample } from '../support/helper.js';

interface Attestation {
  id: string;
  municipalityCode: string;
  year: number;
  nothingToReport: boolean;
  statement: string | null;
  attestedBy: string;
  version: number;
}

async function setUp(t: Parameters<typeof build>[0]) {
  let now = new Date('2026-04-01T10:00:00Z');
  const ctx = await build(t, { clock: () => now });
  const ams = await ctx.client('officer', 'GM0363');
  const gron = await ctx.client('officer', 'GM0014');
  const admin = await ctx.client('admin');
  const analyst = await ctx.client('analyst');
  const post = (auth: Record<string, string>, url: string, payload: unknown) =>
    ctx.app.inject({ method: 'POST', url, headers: auth, payload: payload as Record<string, unknown> });
  const est = json<{ id: string }>(await post(ams.auth, '/v1/establishments', sample.establishment('GM0363')));
  for (let i = 0; i < 6; i++) await post(ams.auth, '/v1/enforcement-actions', sample.action(est.id, { decisionDate: '2019-03-01' }));
  return { ...ctx, ams, gron, admin, analyst, post, setNow: (d: Date) => (now = d) };
}

const attest = (municipalityCode: string, year: number, over: Record<string, unknown> = {}) => ({
  municipalityCode,
  year,
  complete: true,
  nothingToReport: true,
  statement: 'Geen handhavingsbesluiten genomen.',
  ...over,
});

t.test('attestations are records: who may attest, the rules, ETag, audit, withdrawal', async (t) => {
  const { app, ams, gron, admin, analyst, post } = await setUp(t);

  const created = await post(gron.auth, '/v1/reporting-attestations', attest('GM0014', 2019));
  t.equal(created.statusCode, 201, created.body);
  const a = json<Attestation>(created);
  t.equal(created.headers.location, `/v1/reporting-attestations/${a.id}`);
  t.equal(created.headers.etag, '"1"');
  t.match(a, { municipalityCode: 'GM0014', year: 2019, nothingToReport: true, complete: true, attestedBy: gron.id });

  t.equal((await post(gron.auth, '/v1/reporting-attestations', attest('GM0363', 2019))).statusCode, 403, 'not for another municipality');
  t.equal((await post(analyst.auth, '/v1/reporting-attestations', attest('GM0014', 2018))).statusCode, 403, 'analysts only read');
  const byAdmin = await post(admin.auth, '/v1/reporting-attestations', attest('GM0080', 2019, { statement: null }));
  t.equal(byAdmin.statusCode, 201, 'an admin attests for any municipality');

  const twice = await post(gron.auth, '/v1/reporting-attestations', attest('GM0014', 2019));
  t.equal(twice.statusCode, 409);
  t.equal(json<{ code: string }>(twice).code, 'attestation-exists');
  const contradicts = await post(ams.auth, '/v1/reporting-attestations', attest('GM0363', 2019));
  t.equal(contradicts.statusCode, 409, 'nothing to report, with six counted actions');
  t.equal(json<{ code: string }>(contradicts).code, 'actions-exist');
  t.equal((await post(ams.auth, '/v1/reporting-attestations', attest('GM0363', 2019, { nothingToReport: false }))).statusCode, 201);

  const bad = await post(gron.auth, '/v1/reporting-attestations', {
    ...attest('GM0014', 2090),
    complete: false,
    statement: 'Contact: j.jansen@example.nl',
  });
  t.equal(bad.statusCode, 400);
  t.same(
    json<{ invalidParams: { name: string }[] }>(bad)
      .invalidParams.map((p) => p.name)
      .sort(),
    ['complete', 'statement', 'year'],
    'complete must be true, and the statement and year rules are listed with it (docs/api.md: schema and domain rules together)',
  );
  const personal = await post(gron.auth, '/v1/reporting-attestations', attest('GM0014', 2090, { statement: 'Bel 0612345678' }));
  t.same(
    json<{ invalidParams: { name: string; code: string }[] }>(personal)
      .invalidParams.map((p) => `${p.name}:${p.code}`)
      .sort(),
    ['statement:personal_data', 'year:in_future'],
    'every rule at once: no personal data, no future year',
  );

  // Reads: officers their own, analysts and admins all.
  const own = json<{ items: Attestation[]; totalItems: number }>(
    await app.inject({ url: '/v1/reporting-attestations', headers: gron.auth }),
  );
  t.same(
    own.items.map((i) => i.municipalityCode),
    ['GM0014'],
  );
  const all = json<{ items: Attestation[] }>(await app.inject({ url: '/v1/reporting-attestations?yearFrom=2019', headers: analyst.auth }));
  t.same(
    all.items.map((i) => i.municipalityCode),
    ['GM0014', 'GM0080', 'GM0363'],
  );
  t.equal((await app.inject({ url: `/v1/reporting-attestations/${a.id}`, headers: ams.auth })).statusCode, 404, 'not theirs: 404');

  // Withdrawal: If-Match and a reason, like every delete.
  const url = `/v1/reporting-attestations/${a.id}`;
  t.equal((await app.inject({ method: 'DELETE', url, headers: { ...gron.auth, 'x-audit-reason': 'wrong year' } })).statusCode, 428);
  t.equal(
    (await app.inject({ method: 'DELETE', url, headers: { ...gron.auth, 'if-match': '"2"', 'x-audit-reason': 'wrong year' } })).statusCode,
    412,
  );
  const gone = await app.inject({ method: 'DELETE', url, headers: { ...gron.auth, 'if-match': '"1"', 'x-audit-reason': 'wrong year' } });
  t.equal(gone.statusCode, 204, gone.body);
  t.equal((await app.inject({ url, headers: gron.auth })).statusCode, 404);
  const trail = json<{ items: { action: string; clientId: string; reason: string | null; before: unknown; after: unknown }[] }>(
    await app.inject({ url: `/v1/audit-trail?objectType=reporting_attestation&objectId=${a.id}`, headers: admin.auth }),
  );
  t.same(
    trail.items.map((e) => [e.action, e.clientId, e.reason]),
    [
      ['create', gron.id, null],
      ['delete', gron.id, 'wrong year'],
    ],
  );
  t.equal((await post(gron.auth, '/v1/reporting-attestations', attest('GM0014', 2019))).statusCode, 201, 'after withdrawal a new one');
});

t.test('statistics and open data tell reported, nothing to report and not reported apart', async (t) => {
  const { app, gron, analyst, post } = await setUp(t);
  t.equal((await post(gron.auth, '/v1/reporting-attestations', attest('GM0014', 2019))).statusCode, 201);

  const summary = json<{
    total: {
      actions: number;
      municipalityYears: number;
      averagePerMunicipalityPerYear: number;
      municipalityYearsReporting: number;
      averagePerReportingMunicipalityYear: number;
    };
    divisor: { rule: string; municipalityCodes: string[]; reported: number; nothingToReport: number; notReported: number };
  }>(
    await app.inject({ url: '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2019&yearTo=2019', headers: analyst.auth }),
  );
  t.match(summary.total, {
    actions: 6,
    municipalityYears: 10,
    averagePerMunicipalityPerYear: 0.6,
    municipalityYearsReporting: 2,
    averagePerReportingMunicipalityYear: 3,
  });
  t.match(summary.divisor, { reported: 1, nothingToReport: 1, notReported: 8 });
  t.equal(summary.divisor.municipalityCodes.length, 10);
  t.match(summary.divisor.rule, /10 municipalities .* × 1 years = 10, including 8 not reported/);

  const table = json<{ items: { municipalityCode: string; actions: number; status: string }[] }>(
    await app.inject({ url: '/v1/statistics/enforcement-actions?groupBy=municipality&yearFrom=2019&yearTo=2019', headers: analyst.auth }),
  );
  const status = (code: string) => table.items.find((r) => r.municipalityCode === code)?.status;
  t.same([status('GM0363'), status('GM0014'), status('GM0080')], ['reported', 'nothing_to_report', 'not_reported']);

  const open = json<{
    cells: { year: number; municipalityCode: string; value: number | null; status: string }[];
    reporting: { municipalityCode: string; year: number; status: string }[];
  }>(await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=year,municipality' }));
  const cell = (code: string) => open.cells.find((c) => c.municipalityCode === code && c.year === 2019);
  t.match(cell('GM0363'), { value: 6, status: 'reported' });
  t.same(cell('GM0014'), { year: 2019, municipalityCode: 'GM0014', value: 0, status: 'nothing_to_report' });
  t.same(cell('GM0080'), { year: 2019, municipalityCode: 'GM0080', value: null, status: 'not_reported' });
  t.match(
    open.reporting.filter((r) => r.year === 2019 && ['GM0014', 'GM0080', 'GM0363'].includes(r.municipalityCode)),
    [
      { municipalityCode: 'GM0014', status: 'nothing_to_report' },
      { municipalityCode: 'GM0080', status: 'not_reported' },
      { municipalityCode: 'GM0363', status: 'reported' },
    ],
  );
});

t.test('an attestation that there is something to report, with no action recorded, makes no 0 a known figure', async (t) => {
  const { app, analyst, post, client } = await setUp(t);
  const leeuwarden = await client('officer', 'GM0080');
  const res = await post(
    leeuwarden.auth,
    '/v1/reporting-attestations',
    attest('GM0080', 2019, { nothingToReport: false, statement: null }),
  );
  t.equal(res.statusCode, 201, res.body);
  const summary = json<{ divisor: { reported: number; nothingToReport: number; notReported: number } }>(
    await app.inject({ url: '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2019&yearTo=2019', headers: analyst.auth }),
  );
  t.match(summary.divisor, { reported: 1, nothingToReport: 0, notReported: 9 }, 'its records are evidently not complete yet');
  const table = json<{ items: { municipalityCode: string; status: string }[] }>(
    await app.inject({ url: '/v1/statistics/enforcement-actions?groupBy=municipality&yearFrom=2019&yearTo=2019', headers: analyst.auth }),
  );
  t.equal(table.items.find((r) => r.municipalityCode === 'GM0080')?.status, 'not_reported');
});

t.test('a municipality-year’s reporting status is the whole year’s, whatever stages or months are asked for', async (t) => {
  const { app, gron, analyst, post } = await setUp(t);
  t.equal((await post(gron.auth, '/v1/reporting-attestations', attest('GM0014', 2019))).statusCode, 201);
  // GM0363 has six decided actions on 2019-03-01: it reported 2019, and a question about other
  // stages or other months of 2019 finds a true 0 of a municipality that reported, not a 0 nobody reported.
  for (const query of ['yearFrom=2019&yearTo=2019&stage=annulled', 'decisionDateFrom=2019-06-01&decisionDateTo=2019-08-31']) {
    const summary = json<{ total: { actions: number; municipalityYearsReporting: number }; divisor: Record<string, unknown> }>(
      await app.inject({ url: `/v1/statistics/enforcement-actions/summary?programme=LPP&${query}`, headers: analyst.auth }),
    );
    t.match(summary.total, { actions: 0, municipalityYearsReporting: 2 }, query);
    t.match(summary.divisor, { reported: 1, nothingToReport: 1, notReported: 8 }, query);
    const table = json<{
      items: { municipalityCode: string; status: string }[];
      reporting: { municipalityCode: string; status: string }[];
    }>(await app.inject({ url: `/v1/statistics/enforcement-actions?groupBy=municipality&${query}`, headers: analyst.auth }));
    t.equal(table.items.find((r) => r.municipalityCode === 'GM0363')?.status, 'zero', `${query}: GM0363's 0 is a true 0`);
    t.equal(table.reporting.find((r) => r.municipalityCode === 'GM0363')?.status, 'reported', query);
  }
  // Actions in a stage asked for beyond the counted ones make their municipality-year reported too.
  const est = json<{ id: string }>(await post(gron.auth, '/v1/establishments', sample.establishment('GM0014')));
  const intended = await post(
    gron.auth,
    '/v1/enforcement-actions',
    sample.action(est.id, { decisionDate: '2018-03-01', stage: 'intended' }),
  );
  t.equal(intended.statusCode, 201);
  const table = json<{
    items: { municipalityCode: string; actions: number; status: string }[];
    reporting: { municipalityCode: string; status: string }[];
  }>(
    await app.inject({
      url: '/v1/statistics/enforcement-actions?groupBy=municipality&yearFrom=2018&yearTo=2018&stage=intended',
      headers: analyst.auth,
    }),
  );
  t.match(
    table.items.find((r) => r.municipalityCode === 'GM0014'),
    { actions: 1, status: 'reported' },
  );
  t.equal(table.reporting.find((r) => r.municipalityCode === 'GM0014')?.status, 'reported');
});

t.test('an attested year lies in the plausible range of the statistics (out_of_range)', async (t) => {
  const { admin, post } = await setUp(t);
  // 1900 and 1989 were attested: years no statistics question can reach (yearFrom is 1990 at the earliest).
  for (const year of [1900, 1989]) {
    const res = await post(admin.auth, '/v1/reporting-attestations', attest('GM0014', year));
    t.same(
      [
        res.statusCode,
        (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`),
      ],
      [400, ['year:out_of_range']],
      String(year),
    );
  }
  t.equal((await post(admin.auth, '/v1/reporting-attestations', attest('GM0014', 1990))).statusCode, 201, 'the floor itself');
});

t.test('an attestation’s rules are listed with the schema’s issues', async (t) => {
  const { admin, post } = await setUp(t);
  // Only extra:unknown_field was listed: the statement and year rules ran after the schema had passed.
  const res = await post(admin.auth, '/v1/reporting-attestations', attest('GM0014', 2099, { statement: 'bel 0612345678', extra: 1 }));
  t.same(
    [
      res.statusCode,
      (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`).sort(),
    ],
    [400, ['extra:unknown_field', 'statement:personal_data', 'year:in_future']],
  );
});

t.test('an attestation for a municipality that is not registered is a 400 and keeps nothing', async (t) => {
  const { app, admin, post } = await setUp(t);
  const res = await post(admin.auth, '/v1/reporting-attestations', attest('GM9999', 2019));
  t.same(
    [
      res.statusCode,
      (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`),
    ],
    [400, ['municipalityCode:unknown_municipality']],
  );
  const list = json<{ items: unknown[] }>(
    await app.inject({ url: '/v1/reporting-attestations?municipalityCode=GM9999', headers: admin.auth }),
  );
  t.same(list.items, [], 'nothing stored');
});

t.test('without a period, a municipality’s attested years are in its default period: a true 0 is data', async (t) => {
  const { app, gron, post } = await setUp(t);
  t.equal((await post(gron.auth, '/v1/reporting-attestations', attest('GM0014', 2018))).statusCode, 201);
  const answer = json<{ countingRule: { years: number[] }; items: { year: number; actions: number; status: string }[] }>(
    await app.inject({ url: '/v1/statistics/enforcement-actions?groupBy=year', headers: gron.auth }),
  );
  t.same(answer.countingRule.years, [2018], 'Groningen has no actions; its one attested year is its period, not this year');
  t.match(answer.items, [{ year: 2018, actions: 0, status: 'nothing_to_report' }]);
});

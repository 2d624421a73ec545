import { sql } from 'drizzle-orm';
import t from 'tap';
import { todayInNetherlands } from '../../src/lib/dates.js';
import { build, json, sample } from '../support/helper.js';
import { parseCsv } from '../support/statistics.js';

/**
 * Issue 11, findings 2 and 5: no stored data can make another tenant's or the public's figures
 * fail, and no CSV the service writes runs a formula in a spreadsheet.
 */

const OPEN_DIMENSIONS = ['year', 'municipality', 'licenceStatus', 'measure'];
function subsets<T>(xs: T[]): T[][] {
  const out: T[][] = [[]];
  for (const x of xs) for (const s of [...out]) out.push([...s, x]);
  return out;
}

t.test('statistics and open data answer over the extreme allowed dates and over out-of-range rows stored earlier', async (t) => {
  const { app, client, database } = await build(t);
  const ams = await client('officer', 'GM0363');
  const rdam = await client('officer', 'GM0599');
  const analyst = await client('analyst');
  const admin = await client('admin');
  const post = async (auth: Record<string, string>, url: string, payload: unknown) => {
    const res = await app.inject({ method: 'POST', url, headers: auth, payload: payload as Record<string, unknown> });
    t.equal(res.statusCode, 201, `${url}: ${res.body.slice(0, 200)}`);
    return json<{ id: string }>(res);
  };
  // The extremes the schema allows, through the API.
  const est = await post(ams.auth, '/v1/establishments', sample.establishment('GM0363'));
  await post(
    ams.auth,
    `/v1/establishments/${est.id}/licences`,
    sample.licence({
      validFrom: '1990-01-01',
      validUntil: '2100-12-31',
      statusHistory: [{ status: 'granted', effectiveDate: '1990-01-01' }],
    }),
  );
  await post(ams.auth, '/v1/enforcement-actions', sample.action(est.id, { decisionDate: '1990-01-01' }));
  await post(
    ams.auth,
    '/v1/enforcement-actions',
    sample.action(est.id, {
      decisionDate: todayInNetherlands(),
      measure: 'penalty_order',
      fine: undefined,
      penalty: { amountCents: 100, unit: 'per_day', maximumCents: 1000, complianceDeadline: '2100-12-31' },
    }),
  );
  await post(
    ams.auth,
    '/v1/enforcement-actions',
    sample.action(est.id, { measure: 'closure', fine: undefined, closure: { startDate: '1990-01-01', endDate: '2100-12-31' } }),
  );
  // Another municipality's old data, stored before the range was enforced (written as the owner).
  const rdamEst = await post(
    rdam.auth,
    '/v1/establishments',
    sample.establishment('GM0599', { address: { street: 'Hoogstraat', houseNumber: 3, postalCode: '3011AA', city: 'Rotterdam' } }),
  );
  for (const date of ['0099-12-31', '1000-06-01', '1925-01-01', '2150-07-01']) {
    const action = await post(rdam.auth, '/v1/enforcement-actions', sample.action(rdamEst.id));
    await database.owner.execute(sql`update enforcement_actions set decision_date = ${date} where id = ${action.id}`);
  }

  const callers: [string, Record<string, string>][] = [
    ['analyst', analyst.auth],
    ['admin', admin.auth],
    ['the other municipality’s officer', ams.auth],
    ['the officer whose rows are out of range', rdam.auth],
  ];
  const urls = [
    '/v1/statistics/enforcement-actions',
    '/v1/statistics/enforcement-actions?groupBy=year',
    '/v1/statistics/enforcement-actions?groupBy=year,municipality,licenceStatus',
    '/v1/statistics/enforcement-actions?groupBy=measure,ground,stage',
    '/v1/statistics/enforcement-actions?yearTo=2019',
    '/v1/statistics/enforcement-actions?decisionDateTo=2019-12-31',
    '/v1/statistics/enforcement-actions?decisionDateFrom=2020-01-01',
    '/v1/statistics/enforcement-actions/summary',
    '/v1/statistics/enforcement-actions/summary?programme=LPP',
    '/v1/statistics/enforcement-actions/observations?groupBy=year,municipality',
  ];
  let asked = 0;
  for (const [who, auth] of callers) {
    for (const url of urls) {
      const own = who.includes('other') ? 'GM0363' : 'GM0599';
      const scoped = who.includes('officer') ? `${url}${url.includes('?') ? '&' : '?'}municipalityCode=${own}` : url;
      for (const accept of ['application/json', 'text/csv']) {
        if (accept === 'text/csv' && url.includes('/summary')) continue; // the summary is JSON only
        const res = await app.inject({ url: scoped, headers: { ...auth, accept } });
        asked += 1;
        t.equal(res.statusCode, 200, `${who}: ${scoped} (${accept}) ${res.statusCode >= 400 ? res.body.slice(0, 200) : ''}`);
        if (accept === 'application/json' && res.statusCode === 200) {
          const rule = json<{ countingRule: { yearFrom: number; yearTo: number } }>(res).countingRule;
          t.ok(rule.yearFrom >= 1990 && rule.yearTo <= 2100, `${who}: ${scoped}: period ${rule.yearFrom}–${rule.yearTo}`);
        }
      }
    }
  }
  for (const groupBy of subsets(OPEN_DIMENSIONS)) {
    for (const accept of ['application/json', 'text/csv']) {
      const url = `/v1/open-data/enforcement-actions${groupBy.length ? `?groupBy=${groupBy.join(',')}` : ''}`;
      const res = await app.inject({ url, headers: { accept } });
      asked += 1;
      t.equal(res.statusCode, 200, `public: ${url} (${accept}) ${res.statusCode >= 400 ? res.body.slice(0, 200) : ''}`);
    }
  }
  t.comment(`${asked} statistics and open-data requests`);
  const years = json<{ countingRule: { yearFrom: number; yearTo: number } }>(
    await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=year' }),
  ).countingRule;
  t.same(
    [years.yearFrom, years.yearTo],
    [1990, Number(todayInNetherlands().slice(0, 4))],
    'the default period: the years in range with data',
  );
});

t.test('CSV cells that start with a formula character are neutralised (OWASP CSV injection)', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const analyst = await client('analyst');
  const names = ['=1+1', '+31 20 000', '-2+3', '@SUM(A1:A9)', '=HYPERLINK("http://example.org/x","klik")'];
  for (const [i, name] of names.entries()) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/municipalities',
      headers: admin.auth,
      payload: { code: `GM990${i}`, name, programmes: [] },
    });
    t.equal(res.statusCode, 201, `municipality ${name} registered by an admin`);
  }
  const csvNames = (body: string) => {
    const [header, ...rows] = parseCsv(body);
    const col = (header ?? []).indexOf('municipality_name');
    return new Map(rows.map((r) => [r[(header ?? []).indexOf('municipality_code')] as string, r[col] as string]));
  };
  const stats = await app.inject({
    url: '/v1/statistics/enforcement-actions?groupBy=municipality&yearFrom=2019&yearTo=2019',
    headers: { ...analyst.auth, accept: 'text/csv' },
  });
  const open = await app.inject({ url: '/v1/open-data/enforcement-actions?groupBy=municipality', headers: { accept: 'text/csv' } });
  for (const [what, res] of [
    ['statistics', stats],
    ['open data', open],
  ] as const) {
    t.equal(res.statusCode, 200, what);
    const cells = csvNames(res.body);
    for (const [i, name] of names.entries()) {
      t.equal(cells.get(`GM990${i}`), `'${name}`, `${what}: ${name} is written as text`);
    }
    t.equal(cells.get('GM0363'), 'Amsterdam', `${what}: other names are unchanged`);
    for (const line of res.body.split('\r\n')) {
      for (const cell of parseCsv(`${line}\r\n`)[0] ?? []) {
        t.notOk(/^[=+\-@\t\r]/.test(cell) && !/^-?\d+$/.test(cell), `${what}: no cell starts a formula (${cell})`);
      }
    }
  }
});

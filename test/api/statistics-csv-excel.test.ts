import { parse } from 'csv-parse/sync';
import t from 'tap';
import { build, json } from '../support/helper.js';
import { records } from '../support/records.js';

/**
 * The figures' `/csv` paths in Dutch Excel's dialect (`format=csv-excel`): the same records as the
 * RFC 4180 answer, with `;` between fields and a UTF-8 byte-order mark, as the record export writes
 * them. Only the `/csv` paths take `format`; elsewhere it is an unknown parameter.
 */
t.test('format=csv-excel gives the same records as RFC 4180 CSV, in the dialect Excel opens', async (t) => {
  const { app, client } = await build(t);
  const write = records(app);
  for (const code of ['GM0363', 'GM0518']) {
    const officer = await client('officer', code);
    const club = await write.establishment(officer.auth, code);
    await write.action(officer.auth, club.id, { decisionDate: '2019-05-01' });
    await write.action(officer.auth, club.id, { decisionDate: '2020-02-03', measure: 'warning', fine: undefined });
  }
  const analyst = await client('analyst');

  for (const path of [
    '/v1/statistics/enforcement-actions/csv?groupBy=year,municipality,measure',
    '/v1/statistics/enforcement-actions/observations/csv?groupBy=year,municipality',
    '/v1/open-data/enforcement-actions/csv?groupBy=year,municipality',
    '/v1/open-data/enforcement-actions/observations/csv?groupBy=year,municipality',
  ]) {
    const get = (url: string) => app.inject({ method: 'GET', url, headers: analyst.auth });
    const plain = await get(path);
    const excel = await get(`${path}&format=csv-excel`);
    t.equal(plain.statusCode, 200, path);
    t.equal(excel.statusCode, 200, `${path}&format=csv-excel`);
    t.match(excel.headers['content-type'], /^text\/csv; charset=utf-8/);
    t.not(plain.body.charAt(0), '\uFEFF', 'no byte-order mark in RFC 4180');
    t.same([...excel.rawPayload.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'the Excel answer starts with the UTF-8 byte-order mark');
    const fromPlain = parse(plain.body, { delimiter: ',' }) as string[][];
    const fromExcel = parse(excel.body, { delimiter: ';', bom: true }) as string[][];
    t.ok(fromPlain.length > 1, 'rows to compare');
    t.strictSame(fromExcel, fromPlain, 'the same records');
    t.equal(excel.body.slice(1).split('\r\n')[0], (fromPlain[0] as string[]).join(';'), 'the header line is ;-separated');
  }
});

t.test('format is checked, and belongs to the /csv paths only', async (t) => {
  const { app, client } = await build(t);
  const analyst = await client('analyst');
  const bad = await app.inject({ method: 'GET', url: '/v1/statistics/enforcement-actions/csv?format=xlsx', headers: analyst.auth });
  t.equal(bad.statusCode, 400);
  t.match(bad.headers['content-type'], /^application\/problem\+json/);
  t.match(json(bad).invalidParams, [{ name: 'format' }]);
  const onJson = await app.inject({ method: 'GET', url: '/v1/statistics/enforcement-actions?format=csv-excel', headers: analyst.auth });
  t.equal(onJson.statusCode, 400, 'the JSON path does not take format');
  t.match(json(onJson).invalidParams, [{ name: 'format' }]);
});

t.test('a CSV answer links to the same question in JSON, whose countingRule states the rule its figures follow', async (t) => {
  const { app, client } = await build(t);
  const write = records(app);
  const officer = await client('officer', 'GM0363');
  const club = await write.establishment(officer.auth, 'GM0363');
  await write.action(officer.auth, club.id, { decisionDate: '2019-05-01' });
  const analyst = await client('analyst');
  const get = (url: string, accept?: string) =>
    app.inject({ method: 'GET', url, headers: { ...analyst.auth, ...(accept ? { accept } : {}) } });
  const question = 'groupBy=year,stage&stage=withdrawn,annulled&yearFrom=2019&yearTo=2019';
  for (const [url, accept] of [
    [`/v1/statistics/enforcement-actions?${question}`, 'text/csv'],
    [`/v1/statistics/enforcement-actions/csv?${question}&format=csv-excel`, undefined],
    ['/v1/statistics/enforcement-actions/observations/csv?groupBy=year', undefined],
    ['/v1/open-data/enforcement-actions?groupBy=year', 'text/csv'],
    ['/v1/open-data/enforcement-actions/observations?groupBy=year', 'text/csv'],
    ['/v1/open-data/enforcement-actions/observations/csv?groupBy=year&format=csv-excel', undefined],
  ] as const) {
    const csv = await get(url, accept);
    t.equal(csv.statusCode, 200, url);
    t.match(csv.headers['content-type'], /^text\/csv/, url);
    const link = /^<([^>]+)>; rel="describedby"; type="application\/json"$/.exec(String(csv.headers.link));
    t.ok(link, `${url}: ${csv.headers.link}`);
    const described = await get(link?.[1] as string);
    t.equal(described.statusCode, 200, `${link?.[1]}: JSON`);
    const rule = json<{ countingRule: { description: string; stages: string[] } }>(described).countingRule;
    t.match(rule.description, /decision date/, `${link?.[1]}: the counting rule in words`);
    if (url.includes('stage=')) t.same(rule.stages, ['withdrawn', 'annulled'], 'of the stages the CSV counted, not the default ones');
  }
  const plain = await get(`/v1/statistics/enforcement-actions?${question}`);
  t.equal(plain.headers.link, undefined, 'the JSON answer states its rule itself');
  // A refusal found while answering is problem+json, which the document declares without the link (a contract review).
  const outsider = await client('officer', 'GM0599');
  for (const [url, headers, status] of [
    ['/v1/statistics/enforcement-actions/csv?municipalityCode=GM0000', analyst.auth, 400],
    ['/v1/statistics/enforcement-actions/observations/csv?groupBy=year&municipalityCode=GM0000', analyst.auth, 400],
    ['/v1/statistics/enforcement-actions?groupBy=year&municipalityCode=GM0363', { ...outsider.auth, accept: 'text/csv' }, 403],
    ['/v1/statistics/enforcement-actions/csv?groupBy=year&municipalityCode=GM0363', outsider.auth, 403],
  ] as const) {
    const refused = await app.inject({ method: 'GET', url, headers });
    t.same(
      [refused.statusCode, refused.headers['content-type'], refused.headers.link],
      [status, 'application/problem+json; charset=utf-8', undefined],
      url,
    );
  }
});

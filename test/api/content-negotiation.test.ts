import t from 'tap';
import { build, json, sample } from '../support/helper.js';
import { openapiDocument } from '../support/openapi.js';

/**
 * Content negotiation (src/http/plugins/content-negotiation.ts): an Accept that admits none of the
 * media types an operation answers is a 406 naming them (a review found JSON sent for `Accept:
 * text/csv`, and CSV for `Accept: application/json`); anything that admits one is served as before.
 */
t.test('an Accept that admits nothing the operation answers is a 406 naming what it does answer', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const get = (url: string, accept: string | undefined, auth: Record<string, string> = officer.auth) =>
    app.inject({ url, headers: accept === undefined ? auth : { ...auth, accept } });

  const refused: [string, string, Record<string, string>, RegExp][] = [
    ['/v1/establishments', 'text/csv', officer.auth, /answers application\/json;/],
    ['/v1/establishments', 'application/json;q=0, text/html', officer.auth, /answers application\/json;/],
    ['/v1/statistics/enforcement-actions', 'application/xml', analyst.auth, /answers application\/json or text\/csv;/],
    ['/v1/statistics/enforcement-actions/csv', 'application/json', analyst.auth, /answers text\/csv;/],
    ['/v1/exports/establishments', 'application/json', officer.auth, /answers text\/csv or application\/x-ndjson;/],
    ['/v1/openapi.json', 'text/html', {}, /answers application\/json;/],
    // An export answers the media type of its format only: no CSV for an Accept of NDJSON.
    ['/v1/exports/establishments', 'application/x-ndjson', officer.auth, /format=csv answers text\/csv/],
  ];
  for (const [url, accept, auth, names] of refused) {
    const res = await get(url, accept, auth);
    t.equal(res.statusCode, 406, `${url}, Accept ${accept}`);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.match(json(res), { status: 406, code: 'not-acceptable', detail: names }, `${url}: names what it answers`);
  }
  const summary = await get('/v1/statistics/enforcement-actions/summary', 'text/csv', analyst.auth);
  t.equal(summary.statusCode, 406);
  t.match(
    json(summary).detail,
    /as CSV: GET \/v1\/statistics\/enforcement-actions\/csv\?groupBy=licenceStatus/,
    'the summary says where CSV is',
  );

  const served: [string, string | undefined, Record<string, string>, RegExp][] = [
    ['/v1/establishments', undefined, officer.auth, /^application\/json/],
    ['/v1/establishments', '*/*', officer.auth, /^application\/json/],
    ['/v1/establishments', 'application/*', officer.auth, /^application\/json/],
    ['/v1/establishments', 'text/csv, application/json;q=0.1', officer.auth, /^application\/json/],
    ['/v1/establishments', 'text/html,application/xhtml+xml,*/*;q=0.8', officer.auth, /^application\/json/],
    ['/v1/statistics/enforcement-actions', 'text/csv', analyst.auth, /^text\/csv/],
    ['/v1/statistics/enforcement-actions/csv', 'text/*', analyst.auth, /^text\/csv/],
    ['/v1/exports/establishments?format=ndjson', 'application/x-ndjson', officer.auth, /^application\/x-ndjson/],
  ];
  for (const [url, accept, auth, type] of served) {
    const res = await get(url, accept, auth);
    t.equal(res.statusCode, 200, `${url}, Accept ${accept ?? '(none)'}: ${res.body.slice(0, 120)}`);
    t.match(res.headers['content-type'], type);
  }
  // A 204 carries no representation: nothing to negotiate.
  const created = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() });
  const deleted = await app.inject({
    method: 'DELETE',
    url: `/v1/establishments/${json(created).id}`,
    headers: { ...officer.auth, accept: 'text/csv', 'if-match': '"1"', 'x-audit-reason': 'test: entered twice' },
  });
  t.equal(deleted.statusCode, 204, deleted.body);
});

t.test('a 406 comes after authentication, and before a 400', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const anonymous = await app.inject({ url: '/v1/establishments', headers: { accept: 'text/csv' } });
  t.equal(anonymous.statusCode, 401, 'no token: 401 whatever Accept says');
  const both = await app.inject({ url: '/v1/establishments?pageSize=0', headers: { ...officer.auth, accept: 'text/csv' } });
  t.equal(both.statusCode, 406, 'a query the operation would refuse: the 406 first');
});

t.test('every operation of the contract that answers a body declares its 406', async (t) => {
  type Operation = { responses: Record<string, { content?: Record<string, unknown> }> };
  const paths = openapiDocument.paths as Record<string, Record<string, Operation>>;
  const missing: string[] = [];
  let withBody = 0;
  for (const [path, item] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(item)) {
      const answersBody = Object.entries(op.responses).some(([status, r]) => status.startsWith('2') && r.content);
      if (!answersBody) continue;
      withBody += 1;
      if (!op.responses['406']) missing.push(`${method.toUpperCase()} ${path}`);
    }
  }
  t.ok(withBody > 30, `${withBody} operations answer a body`);
  t.same(missing, [], 'each declares 406');
});

import t from 'tap';
import { build, json, sample } from '../support/helper.js';

/**
 * A query key an operation does not declare is a 400 listing that key (src/http/plugins/strict-query.ts),
 * never silently dropped: `?yaer=2024` would otherwise answer figures for every year.
 */
type Entry = { name: string; code: string; reason: string };
type Problem = { status: number; code: string; invalidParams?: Entry[] };
const PROBLEM_JSON = /^application\/problem\+json/;
const entries = (res: { body: string }) => (json<Problem>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`);

t.test('unknown query keys', async (t) => {
  const { app, client, database } = await build(t);
  const officer = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const admin = await client('admin');
  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
  const est = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  t.equal(
    (await app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(est.id) }))
      .statusCode,
    201,
  );

  // What each operation takes, as the contract declares it: the reason names exactly these.
  const doc = json<{ paths: Record<string, Record<string, { parameters?: { in: string; name: string }[]; responses?: object }>> }>(
    await get('/v1/openapi.json'),
  );
  const takes = (path: string, method = 'get') => {
    const names = (doc.paths[path]?.[method]?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
    return `unknown query parameter; this operation takes${names.length > 0 ? `: ${names.join(', ')}` : ' none'}`;
  };

  t.test('an unknown key is a 400 that lists it, and only it, on every kind of operation', async (t) => {
    const cases: [url: string, auth: Record<string, string>, documented: string, unknown: string][] = [
      ['/v1/establishments?pageSize=1&pagesize=5', officer.auth, '/establishments', 'pagesize'],
      ['/v1/enforcement-actions?municipalty=GM0363', admin.auth, '/enforcement-actions', 'municipalty'],
      ['/v1/statistics/enforcement-actions?yaer=2024', analyst.auth, '/statistics/enforcement-actions', 'yaer'],
      [
        '/v1/statistics/enforcement-actions/summary?municipalty=GM0363',
        analyst.auth,
        '/statistics/enforcement-actions/summary',
        'municipalty',
      ],
      [
        '/v1/statistics/enforcement-actions/csv?groupBy=year&group=municipality',
        analyst.auth,
        '/statistics/enforcement-actions/csv',
        'group',
      ],
      [
        '/v1/statistics/enforcement-actions/observations/csv?yaer=2024',
        analyst.auth,
        '/statistics/enforcement-actions/observations/csv',
        'yaer',
      ],
      ['/v1/open-data/enforcement-actions/csv?year=2024', {}, '/open-data/enforcement-actions/csv', 'year'],
      ['/v1/exports/establishments?format=csv&gemeente=GM0363', officer.auth, '/exports/{recordType}', 'gemeente'],
      ['/v1/audit-trail/checkpoints?limit=5', {}, '/audit-trail/checkpoints', 'limit'],
      // Operations without query parameters take none at all.
      [`/v1/establishments/${est.id}?expand=licences`, officer.auth, '/establishments/{id}', 'expand'],
      ['/v1/statistics/metadata?lang=en', {}, '/statistics/metadata', 'lang'],
      ['/v1/openapi.json?format=yaml', {}, '/openapi.json', 'format'],
    ];
    for (const [url, auth, documented, unknown] of cases) {
      const res = await get(url, auth);
      t.equal(res.statusCode, 400, url);
      t.match(res.headers['content-type'], PROBLEM_JSON, url);
      t.match(json(res), { code: 'invalid-input', detail: "1 invalid parameter in the request's query string; see invalidParams." }, url);
      t.same(json<Problem>(res).invalidParams, [{ name: unknown, code: 'unknown_field', reason: takes(documented) }], url);
      // Without the unknown key the same request is answered.
      const known = url.replace(new RegExp(`[?&]${unknown}=[^&]*`), (m) => (m.startsWith('?') ? '?' : ''));
      t.equal((await get(known, auth)).statusCode, 200, known);
    }
    t.match(takes('/establishments/{id}'), /takes none$/, 'a read takes no query keys');
    t.match(takes('/exports/{recordType}'), /takes: format, municipalityCode, municipality$/);
  });

  t.test('every operation of the contract declares the 400 it can answer', async (t) => {
    const without = Object.values(doc.paths).flatMap((item) =>
      Object.values(item as Record<string, { operationId?: string; responses?: Record<string, unknown> }>)
        .filter((op) => op.responses && !('400' in op.responses))
        .map((op) => op.operationId),
    );
    t.same(without, []);
  });

  t.test('an unknown key beside an invalid value: both are listed', async (t) => {
    for (const [url, auth, expected] of [
      ['/v1/statistics/enforcement-actions?yaer=2024&yearFrom=1800', analyst.auth, ['yearFrom:out_of_range', 'yaer:unknown_field']],
      ['/v1/establishments?page=0&pagesize=5', officer.auth, ['page:too_small', 'pagesize:unknown_field']],
      ['/v1/open-data/enforcement-actions?groupBy=nope&year=2024', {}, ['groupBy.0:invalid_value', 'year:unknown_field']],
      ['/v1/exports/establishments?format=xlsx&gemeente=GM0363', officer.auth, ['format:invalid_value', 'gemeente:unknown_field']],
    ] as const) {
      const res = await get(url, auth);
      t.equal(res.statusCode, 400, url);
      t.same(entries(res).sort(), [...expected].sort(), url);
      t.match(json(res), { detail: "2 invalid parameters in the request's query string; see invalidParams." });
    }
  });

  t.test('invalid parameters in several parts of one request are listed together', async (t) => {
    // Fastify stops at the first part that fails (path, body, query string, headers); one 400 lists them all.
    const pathAndQuery = await get('/v1/establishments/not-a-uuid?expand=licences', officer.auth);
    t.equal(pathAndQuery.statusCode, 400);
    t.same(entries(pathAndQuery).sort(), ['expand:unknown_field', 'id:invalid_format']);
    t.match(json(pathAndQuery), { detail: "2 invalid parameters in the request's path and query string; see invalidParams." });
    const bodyQueryHeaders = await app.inject({
      method: 'POST',
      url: '/v1/establishments?notify=false',
      headers: { ...officer.auth, 'idempotency-key': 'has space' },
      payload: { ...sample.establishment(), kind: 'castle' },
    });
    t.equal(bodyQueryHeaders.statusCode, 400);
    t.same(entries(bodyQueryHeaders).sort(), ['idempotency-key:invalid_format', 'kind:invalid_value', 'notify:unknown_field']);
    t.match(json(bodyQueryHeaders), {
      detail: "3 invalid parameters in the request's body and query string and headers; see invalidParams.",
    });
    t.equal(json<{ totalItems: number }>(await get('/v1/establishments', officer.auth)).totalItems, 1, 'nothing was created');
  });

  t.test('repeated keys, bracketed array keys and several unknown keys', async (t) => {
    const twice = await get('/v1/statistics/enforcement-actions?yaer=2023&yaer=2024', analyst.auth);
    t.same(entries(twice), ['yaer:unknown_field'], 'a repeated unknown key is one entry');
    const brackets = await get('/v1/statistics/enforcement-actions?groupBy[]=year', analyst.auth);
    t.same(entries(brackets), ['groupBy[]:unknown_field'], 'groupBy[] is not groupBy: repeat the key or give a comma list');
    t.same(entries(await get('/v1/statistics/metadata?=1', {})), ['(empty):unknown_field'], 'an empty key is named so');
    const several = await get('/v1/enforcement-actions?a=1&b=2&pageSize=5', admin.auth);
    t.same(entries(several).sort(), ['a:unknown_field', 'b:unknown_field']);
    // Repeated declared keys keep working as before: a list takes them, a single value refuses them.
    t.equal((await get('/v1/statistics/enforcement-actions?groupBy=year&groupBy=measure', analyst.auth)).statusCode, 200);
    t.same(entries(await get('/v1/establishments?page=1&page=2', officer.auth)), ['page:invalid_type']);
  });

  t.test('HEAD answers as GET does', async (t) => {
    t.equal((await app.inject({ method: 'HEAD', url: '/v1/statistics/metadata?lang=en' })).statusCode, 400);
    t.equal((await app.inject({ method: 'HEAD', url: '/v1/statistics/metadata' })).statusCode, 200);
  });

  t.test('declared keys still work, every one of them', async (t) => {
    const statistics = await get(
      '/v1/statistics/enforcement-actions?yearFrom=2019&yearTo=2019&municipalityCode=GM0363&licenceStatus=unlicensed&measure=administrative_fine&stage=decided&groupBy=year,measure',
      analyst.auth,
    );
    t.equal(statistics.statusCode, 200, statistics.body);
    t.match(json(statistics), { items: [{ year: 2019, measure: 'administrative_fine', actions: 1 }] });
    const programme = await get('/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2019&yearTo=2019', analyst.auth);
    t.equal(programme.statusCode, 200, programme.body);
    const csv = await get(
      '/v1/statistics/enforcement-actions/csv?groupBy=year&decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31',
      analyst.auth,
    );
    t.equal(csv.statusCode, 200, csv.body);
    t.match(csv.headers['content-type'], /^text\/csv/);
    const exported = await get('/v1/exports/establishments?format=ndjson&municipality=GM0363', admin.auth);
    t.equal(exported.statusCode, 200, exported.body);
    t.match(exported.body, /Club Rood/);
  });

  t.test('a write with an unknown key changes nothing', async (t) => {
    const count = async () => json<{ totalItems: number }>(await get('/v1/establishments', officer.auth)).totalItems;
    const before = await count();
    // `dryrun` is not `dryRun`: dropped silently, this would have imported for real.
    const imported = await app.inject({
      method: 'POST',
      url: '/v1/imports?recordType=establishments&dryrun=true',
      headers: { ...officer.auth, 'content-type': 'text/csv' },
      payload:
        'externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId\r\nE-9,GM0363,Club Groen,club,Kade,1,,1012DK,Amsterdam,,',
    });
    t.equal(imported.statusCode, 400, imported.body);
    t.same(json<Problem>(imported).invalidParams, [{ name: 'dryrun', code: 'unknown_field', reason: takes('/imports', 'post') }]);
    const created = await app.inject({
      method: 'POST',
      url: '/v1/establishments?notify=false',
      headers: officer.auth,
      payload: sample.establishment(),
    });
    t.equal(created.statusCode, 400, created.body);
    t.same(entries(created), ['notify:unknown_field']);
    t.equal(await count(), before, 'no establishment was created');
    const jobs = await database.owner.execute('select count(*)::int as n from imports');
    t.equal((jobs as unknown as { rows: { n: number }[] }).rows[0]?.n, 0, 'no import job was started');
  });

  t.test('outside /v1 (health, dashboard, docs) query keys are left alone', async (t) => {
    for (const url of ['/health/live?probe=1', '/dashboard?utm_source=mail', '/dashboard/open?x=1', '/dashboard/dashboard.css?v=2']) {
      t.equal((await get(url)).statusCode, 200, url);
    }
  });
});

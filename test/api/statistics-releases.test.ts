import { sql } from 'drizzle-orm';
import t from 'tap';
import { build, json, sample } from '../support/helper.js';

interface Release {
  number: number;
  title: string;
  asOf: string;
  countingRule: { asOf: string; years: number[] };
  items: { municipalityCode: string; year: number; actions: number; status: string }[];
}

t.test('a numbered release gives the same figures forever; live answers say asOf', async (t) => {
  const { app, client, database } = await build(t);
  const ams = await client('officer', 'GM0363');
  const admin = await client('admin');
  const analyst = await client('analyst');
  const post = (auth: Record<string, string>, url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { ...auth, ...headers }, payload: payload as Record<string, unknown> });
  const est = json<{ id: string }>(await post(ams.auth, '/v1/establishments', sample.establishment('GM0363')));
  for (let i = 0; i < 4; i++) await post(ams.auth, '/v1/enforcement-actions', sample.action(est.id));

  const question = { groupBy: ['year', 'municipality'], programme: 'LPP', yearFrom: 2019, yearTo: 2019 };
  const liveUrl = '/v1/statistics/enforcement-actions?groupBy=year,municipality&programme=LPP&yearFrom=2019&yearTo=2019';
  const live = json<{ countingRule: { asOf: string }; items: Release['items'] }>(await app.inject({ url: liveUrl, headers: analyst.auth }));
  t.ok(Date.parse(live.countingRule.asOf) <= Date.now(), 'every statistics answer says when it held');

  const created = await post(
    admin.auth,
    '/v1/statistics/releases',
    { title: 'LPP 2019 per gemeente', ...question },
    { 'idempotency-key': 'release-lpp-2019' },
  );
  t.equal(created.statusCode, 201, created.body);
  const first = json<Release>(created);
  t.equal(first.number, 1);
  t.equal(created.headers.location, '/v1/statistics/releases/1');
  t.equal(first.asOf, first.countingRule.asOf);
  t.same(first.items, live.items, 'the release holds the figures the live answer gave');
  t.equal(first.items.find((r) => r.municipalityCode === 'GM0363')?.actions, 4);

  const replay = await post(
    admin.auth,
    '/v1/statistics/releases',
    { title: 'LPP 2019 per gemeente', ...question },
    { 'idempotency-key': 'release-lpp-2019' },
  );
  t.equal(json<Release>(replay).number, 1, 'a retried publication is the same release');

  // The figures change; the release does not.
  await post(ams.auth, '/v1/enforcement-actions', sample.action(est.id));
  const read = () => app.inject({ url: '/v1/statistics/releases/1', headers: analyst.auth });
  const a = await read();
  const b = await read();
  t.equal(a.statusCode, 200);
  t.equal(a.body, b.body, 'asking twice gives the same bytes');
  t.same(json<Release>(a).items, first.items, 'and the figures as published');
  t.equal(a.headers.etag, '"1"');
  const now = json<{ items: Release['items'] }>(await app.inject({ url: liveUrl, headers: analyst.auth }));
  t.equal(now.items.find((r) => r.municipalityCode === 'GM0363')?.actions, 5, 'the live figures moved on');

  const second = json<Release>(await post(admin.auth, '/v1/statistics/releases', { title: 'LPP 2019, later', ...question }));
  t.equal(second.number, 2);
  t.equal(second.items.find((r) => r.municipalityCode === 'GM0363')?.actions, 5);

  const list = json<{ items: { number: number; title: string; items?: unknown }[]; totalItems: number }>(
    await app.inject({ url: '/v1/statistics/releases', headers: analyst.auth }),
  );
  t.same(
    list.items.map((r) => [r.number, r.title, r.items]),
    [
      [1, 'LPP 2019 per gemeente', undefined],
      [2, 'LPP 2019, later', undefined],
    ],
  );

  // Who may: admins publish, analysts and admins read; officers see their own live statistics only.
  t.equal((await post(analyst.auth, '/v1/statistics/releases', { title: 'x' })).statusCode, 403);
  t.equal((await app.inject({ url: '/v1/statistics/releases/1', headers: ams.auth })).statusCode, 403);
  t.equal((await app.inject({ url: '/v1/statistics/releases/99', headers: analyst.auth })).statusCode, 404);
  const invalid = await post(admin.auth, '/v1/statistics/releases', { title: 'x', yearFrom: 2020, yearTo: 2019, extra: 1 });
  t.equal(invalid.statusCode, 400);
  const wrongOrder = await post(admin.auth, '/v1/statistics/releases', { title: 'x', yearFrom: 2020, yearTo: 2019 });
  t.match(json<{ invalidParams: { code: string }[] }>(wrongOrder).invalidParams, [{ code: 'before_year_from' }]);

  // Append-only in the database too.
  const refused = await database.owner.execute(sql`update statistics_releases set title = 'changed'`).then(
    () => 'updated',
    (e: Error) => String((e as { cause?: Error }).cause?.message ?? e.message),
  );
  t.match(refused, /append-only/);
  const trail = json<{ items: { action: string; objectId: string; clientId: string }[] }>(
    await app.inject({ url: '/v1/audit-trail?objectType=statistics_release', headers: admin.auth }),
  );
  t.same(
    trail.items.map((e) => [e.action, e.objectId, e.clientId]),
    [
      ['create', '1', admin.id],
      ['create', '2', admin.id],
    ],
  );
});

t.test('a release is read by analysts, so its period is whole months at the finest', async (t) => {
  const { app, client } = await build(t);
  const ams = await client('officer', 'GM0363');
  const admin = await client('admin');
  const analyst = await client('analyst');
  const post = (auth: Record<string, string>, url: string, payload: unknown) =>
    app.inject({ method: 'POST', url, headers: auth, payload: payload as Record<string, unknown> });
  const est = json<{ id: string }>(await post(ams.auth, '/v1/establishments', sample.establishment('GM0363')));
  await post(ams.auth, '/v1/enforcement-actions', sample.action(est.id, { decisionDate: '2019-05-01', fine: { amountCents: 123_456 } }));

  // The admin may ask for one day; an analyst may not, and must not get that day's table through a release.
  const oneDay = { groupBy: ['municipality', 'measure'], decisionDateFrom: '2019-05-01', decisionDateTo: '2019-05-01' };
  const refused = await post(admin.auth, '/v1/statistics/releases', { title: 'Eén dag', ...oneDay });
  t.equal(refused.statusCode, 400, 'a one-day release is refused');
  t.same(
    json<{ invalidParams: { name: string; code: string }[] }>(refused).invalidParams.map((p) => [p.name, p.code]),
    [['decisionDateTo', 'not_whole_months']],
  );
  const listed = json<{ items: unknown[] }>(await app.inject({ url: '/v1/statistics/releases', headers: analyst.auth }));
  t.equal(listed.items.length, 0, 'nothing was published');

  const month = await post(admin.auth, '/v1/statistics/releases', { title: 'Mei 2019', ...oneDay, decisionDateTo: '2019-05-31' });
  t.equal(month.statusCode, 201, month.body);
});

t.test('a release’s period lies in the plausible range, as the live question’s does (out_of_range)', async (t) => {
  const { app, client, database } = await build(t);
  const admin = await client('admin');
  const releases = async () =>
    ((await database.owner.execute(sql`select count(*)::int as n from statistics_releases`)) as unknown as { rows: { n: number }[] })
      .rows[0]?.n;
  const publish = (title: string, decisionDateFrom: string, decisionDateTo: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/statistics/releases',
      headers: admin.auth,
      payload: { title, decisionDateFrom, decisionDateTo },
    });
  const codes = (res: { body: string }) =>
    (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`);
  // Each was published (1900-01-01 to 1950-12-31: a release of years the registry never holds).
  for (const [from, to] of [
    ['1900-01-01', '1950-12-31'],
    ['1989-12-31', '2101-01-01'],
  ] as const) {
    const res = await publish('te vroeg', from, to);
    t.same([res.statusCode, codes(res)], [400, ['decisionDateFrom:out_of_range', 'decisionDateTo:out_of_range']], `${from} – ${to}`);
    const live = await app.inject({
      url: `/v1/statistics/enforcement-actions?decisionDateFrom=${from}&decisionDateTo=${to}`,
      headers: admin.auth,
    });
    t.same([live.statusCode, codes(live)], [400, ['decisionDateFrom:out_of_range', 'decisionDateTo:out_of_range']], 'as the live question');
  }
  t.equal(await releases(), 0, 'nothing was published');
  const edges = await publish('de randen', '1990-01-01', '2089-12-31');
  t.equal(edges.statusCode, 201, edges.body);
});

t.test('a release’s years outside the plausible range are out_of_range, as the live question’s', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const codes = (res: { body: string }) =>
    (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`);
  // They were too_small and too_big: another code than the live question gives for the same years.
  const res = await app.inject({
    method: 'POST',
    url: '/v1/statistics/releases',
    headers: admin.auth,
    payload: { title: 'buiten bereik', yearFrom: 1989, yearTo: 2101 },
  });
  const live = await app.inject({ url: '/v1/statistics/enforcement-actions?yearFrom=1989&yearTo=2101', headers: admin.auth });
  t.same([res.statusCode, codes(res)], [400, ['yearFrom:out_of_range', 'yearTo:out_of_range']]);
  t.same(codes(live), codes(res), 'the same codes as the live question');
});

t.test('a release’s crossed period is listed with the body’s other errors at once, as the live question’s', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const codes = (res: { body: string }) =>
    (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`).sort();
  // No title, and yearTo before yearFrom: both in one 400 (it took two requests to learn of the second).
  const res = await app.inject({
    method: 'POST',
    url: '/v1/statistics/releases',
    headers: admin.auth,
    payload: { yearFrom: 2020, yearTo: 2019 },
  });
  t.same([res.statusCode, codes(res)], [400, ['title:required', 'yearTo:before_year_from']]);
  const both = await app.inject({
    method: 'POST',
    url: '/v1/statistics/releases',
    headers: admin.auth,
    payload: { title: 'x', yearFrom: 2019, decisionDateTo: '2019-12-31', measure: ['nonsense'] },
  });
  t.same([both.statusCode, codes(both)], [400, ['measure.0:invalid_value', 'yearFrom:period_twice']]);
  const live = await app.inject({
    url: '/v1/statistics/enforcement-actions?yearFrom=2019&decisionDateTo=2019-12-31&measure=nonsense',
    headers: admin.auth,
  });
  t.same(codes(live), ['measure.0:invalid_value', 'yearFrom:period_twice'], 'as the live question lists them');
});

import { sql } from 'drizzle-orm';
import t from 'tap';
import { build, json, sample } from '../support/helper.js';

// A list's totalItems comes from the statistics rollups when its filters fit the cells (whole years,
// no establishment) and from count(*) otherwise. Either way it must be the number of items the list
// yields when paged through: that is what this test counts, independently of both.
t.test('totalItems equals the items a list yields, for filters the rollups answer and for others', async (t) => {
  const { app, client } = await build(t);
  const amsterdam = await client('officer', 'GM0363');
  const rotterdam = await client('officer', 'GM0599');
  const admin = await client('admin');

  const post = async (auth: Record<string, string>, url: string, payload: object) => {
    const res = await app.inject({ method: 'POST', url, headers: auth, payload });
    t.equal(res.statusCode, 201, res.body);
    return json<{ id: string }>(res);
  };
  const licensed = await post(amsterdam.auth, '/v1/establishments', sample.establishment());
  await post(amsterdam.auth, `/v1/establishments/${licensed.id}/licences`, sample.licence({ validUntil: null }));
  const unlicensed = await post(amsterdam.auth, '/v1/establishments', sample.establishment('GM0363', { name: 'Zonder' }));
  const elsewhere = await post(rotterdam.auth, '/v1/establishments', sample.establishment('GM0599', { name: 'Haven' }));

  const variants = [
    { decisionDate: '2019-01-01', stage: 'decided', grounds: ['hygiene'] },
    { decisionDate: '2019-12-31', stage: 'final', grounds: ['hygiene', 'no_manager_present'] },
    { decisionDate: '2020-03-01', stage: 'intended', grounds: ['no_manager_present'] },
    { decisionDate: '2020-12-31', stage: 'decided', grounds: ['licence_condition_breach'] },
    { decisionDate: '2021-06-15', stage: 'decided', grounds: ['hygiene'] },
  ];
  const ids: string[] = [];
  for (const est of [licensed, unlicensed]) {
    for (const v of variants) ids.push((await post(amsterdam.auth, '/v1/enforcement-actions', sample.action(est.id, v))).id);
  }
  for (const v of variants.slice(0, 3)) await post(rotterdam.auth, '/v1/enforcement-actions', sample.action(elsewhere.id, v));
  // A tombstone: out of the list and out of the rollups.
  const del = await app.inject({
    method: 'DELETE',
    url: `/v1/enforcement-actions/${ids[1]}`,
    headers: { ...amsterdam.auth, 'if-match': '"1"', 'x-audit-reason': 'recorded in error' },
  });
  t.equal(del.statusCode, 204, del.body);

  const yielded = async (auth: Record<string, string>, query: string) => {
    let n = 0;
    let total = -1;
    for (let page = 1; ; page++) {
      const res = await app.inject({ url: `/v1/enforcement-actions?${query}&page=${page}&pageSize=3`, headers: auth });
      t.equal(res.statusCode, 200, res.body);
      const body = json<{ items: unknown[]; totalItems: number }>(res);
      total = body.totalItems;
      n += body.items.length;
      if (body.items.length < 3) break;
    }
    return { n, total };
  };

  const cases: [string, Record<string, string>, string][] = [
    ['no filter (officer)', amsterdam.auth, ''],
    ['no filter (admin, all municipalities)', admin.auth, ''],
    ['a municipality (admin)', admin.auth, 'municipalityCode=GM0599'],
    ['another municipality (officer)', amsterdam.auth, 'municipalityCode=GM0599'],
    ['licence status', amsterdam.auth, 'licenceStatus=unlicensed'],
    ['stage', amsterdam.auth, 'stage=decided'],
    ['measure and stage', admin.auth, 'measure=administrative_fine&stage=final'],
    ['ground', amsterdam.auth, 'ground=hygiene'],
    ['ground (admin)', admin.auth, 'ground=no_manager_present'],
    ['a whole year', amsterdam.auth, 'decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31'],
    ['whole years, open-ended', admin.auth, 'decisionDateFrom=2020-01-01'],
    ['up to a whole year', amsterdam.auth, 'decisionDateTo=2019-12-31&ground=hygiene'],
    ['part of a year (count)', amsterdam.auth, 'decisionDateFrom=2019-06-01&decisionDateTo=2020-12-31'],
    ['an establishment (count)', amsterdam.auth, `establishmentId=${licensed.id}`],
  ];
  for (const [name, auth, query] of cases) {
    const { n, total } = await yielded(auth, query);
    t.equal(total, n, `${name}: totalItems ${total}, items ${n}`);
  }
  t.equal((await yielded(amsterdam.auth, '')).n, 9, 'ten created in Amsterdam, one deleted');
  t.equal((await yielded(admin.auth, '')).n, 12);
  t.equal((await yielded(amsterdam.auth, 'municipalityCode=GM0599')).n, 0);
});

t.test(
  'the rollups answer a total only for filters they have a dimension for (paging filters nothing); others count the rows',
  async (t) => {
    const { app, client, database } = await build(t);
    const officer = await client('officer', 'GM0363');
    const est = json<{ id: string }>(
      await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
    );
    for (const externalReference of ['HH-1', 'HH-2']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/enforcement-actions',
        headers: officer.auth,
        // HH-2 is linked to a zaak: a filter on the link is one the rollups cannot answer.
        payload: sample.action(est.id, {
          decisionDate: '2019-05-05',
          externalReference,
          ...(externalReference === 'HH-2' ? { zaakUrl: 'https://zaken.example.nl/zaken/api/v1/zaken/1' } : {}),
        }),
      });
      t.equal(res.statusCode, 201, res.body);
    }
    // The rollups made to disagree with the rows: each total says which of the two answered it.
    const rows = async <T>(query: ReturnType<typeof sql>) => ((await database.owner.execute(query)) as unknown as { rows: T[] }).rows;
    await rows(sql`update statistics_action_cells set actions = actions + 100 where municipality_code = 'GM0363'`);
    const [cells] = await rows<{ n: number }>(
      sql`select sum(actions)::int as n from statistics_action_cells where municipality_code = 'GM0363'`,
    );
    const total = async (query: string) =>
      json<{ totalItems: number }>(await app.inject({ url: `/v1/enforcement-actions?${query}`, headers: officer.auth })).totalItems;
    // A full page asks for a total (one that is not full holds the last row, and counts itself).
    t.equal(await total('pageSize=1'), cells?.n, 'no filter: the rollups');
    t.equal(await total('page=2&pageSize=1'), cells?.n, 'paged: still the rollups');
    t.equal(
      await total('measure=administrative_fine&decisionDateFrom=2019-01-01&decisionDateTo=2019-12-31&pageSize=1'),
      cells?.n,
      'their dimensions',
    );
    t.equal(await total('externalReference=HH-1&pageSize=1'), 1, 'a reference: the rows');
    t.equal(await total(`establishmentId=${est.id}&pageSize=1`), 2, 'an establishment: the rows');
    t.equal(await total('zaakUrl=https://zaken.example.nl/zaken/api/v1/zaken/1&pageSize=1'), 1, 'a ZGW link: the rows');
    t.equal(await total(''), 2, 'a page that holds the last row: its own rows, whatever the rollups say');
  },
);

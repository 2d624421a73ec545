import t from 'tap';
import { build, json, sample } from '../support/helper.js';

type Entry = {
  seq: number;
  action: string;
  objectType: string;
  objectId: string;
  clientId: string | null;
  clientRole: string;
  reason: string | null;
  requestId: string | null;
  municipalityCode: string | null;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  changedFields: string[];
  hash: string;
  prevHash: string;
};
type Page = { items: Entry[]; totalItems: number; totalPages: number };

t.test('an action created, corrected twice and deleted has exactly four entries, readable after deletion', async (t) => {
  const { app, client } = await build(t);
  const alice = await client('officer', 'GM0363');
  const bob = await client('officer', 'GM0363');
  const rotterdam = await client('officer', 'GM0599');
  const admin = await client('admin');
  const analyst = await client('analyst');

  const est = json(await app.inject({ method: 'POST', url: '/v1/establishments', headers: alice.auth, payload: sample.establishment() }));
  const created = await app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: { ...alice.auth, 'x-audit-reason': 'besluit 2019-17', 'x-request-id': 'req-create-1' },
    payload: sample.action(est.id as string),
  });
  t.equal(created.statusCode, 201, created.body);
  const id = json(created).id as string;

  const first = await app.inject({
    method: 'PUT',
    url: `/v1/enforcement-actions/${id}`,
    headers: { ...bob.auth, 'if-match': '"1"', 'x-audit-reason': 'bezwaar ingediend' },
    payload: sample.action(est.id as string, { stage: 'objection' }),
  });
  t.equal(first.statusCode, 200, first.body);
  const second = await app.inject({
    method: 'PUT',
    url: `/v1/enforcement-actions/${id}`,
    headers: { ...alice.auth, 'if-match': '"2"', 'x-audit-reason': 'bedrag gecorrigeerd' },
    payload: sample.action(est.id as string, { stage: 'objection', fine: { amountCents: 200_000 } }),
  });
  t.equal(second.statusCode, 200, second.body);
  const deleted = await app.inject({
    method: 'DELETE',
    url: `/v1/enforcement-actions/${id}`,
    headers: { ...bob.auth, 'if-match': '"3"', 'x-audit-reason': 'dubbel geregistreerd' },
  });
  t.equal(deleted.statusCode, 204, deleted.body);
  t.equal((await app.inject({ url: `/v1/enforcement-actions/${id}`, headers: alice.auth })).statusCode, 404, 'the action itself is gone');

  const trail = await app.inject({ url: `/v1/enforcement-actions/${id}/audit-trail`, headers: alice.auth });
  t.equal(trail.statusCode, 200, trail.body);
  const page = json<Page>(trail);
  t.equal(page.totalItems, 4);
  const [e1, e2, e3, e4] = page.items as [Entry, Entry, Entry, Entry];
  t.same(
    page.items.map((e) => [e.action, e.clientId, e.reason]),
    [
      ['create', alice.id, 'besluit 2019-17'],
      ['update', bob.id, 'bezwaar ingediend'],
      ['update', alice.id, 'bedrag gecorrigeerd'],
      ['delete', bob.id, 'dubbel geregistreerd'],
    ],
  );
  t.ok(page.items.every((e) => e.objectType === 'enforcement_action' && e.objectId === id && e.municipalityCode === 'GM0363'));
  t.ok(page.items.every((e) => e.clientRole === 'officer'));
  t.equal(e1.requestId, 'req-create-1');
  t.ok(e1.seq < e2.seq && e2.seq < e3.seq && e3.seq < e4.seq, 'oldest first');
  t.equal(e1.before, null);
  t.match(e1.after, { id, stage: 'decided', fine: { amountCents: 150_000 }, version: 1 });
  t.match(e2.before, { stage: 'decided', version: 1 });
  t.match(e2.after, { stage: 'objection', fine: { amountCents: 150_000 }, version: 2 });
  t.ok(e2.changedFields.includes('stage') && !e2.changedFields.includes('fine'));
  t.match(e3.before, { fine: { amountCents: 150_000 }, version: 2 });
  t.match(e3.after, { fine: { amountCents: 200_000 }, version: 3 });
  t.ok(e3.changedFields.includes('fine') && !e3.changedFields.includes('stage'));
  t.match(e4.before, { stage: 'objection', fine: { amountCents: 200_000 }, version: 3 });
  t.equal(e4.after, null);

  const asAdmin = await app.inject({ url: `/v1/enforcement-actions/${id}/audit-trail`, headers: admin.auth });
  t.equal(asAdmin.statusCode, 200);
  t.equal(json<Page>(asAdmin).totalItems, 4);
  const otherMunicipality = await app.inject({ url: `/v1/enforcement-actions/${id}/audit-trail`, headers: rotterdam.auth });
  t.equal(otherMunicipality.statusCode, 404, 'another municipality cannot see that it exists');
  t.match(otherMunicipality.headers['content-type'], /application\/problem\+json/);
  t.equal((await app.inject({ url: `/v1/enforcement-actions/${id}/audit-trail`, headers: analyst.auth })).statusCode, 403);
  t.equal((await app.inject({ url: `/v1/enforcement-actions/${id}/audit-trail` })).statusCode, 401);
  const unknown = await app.inject({
    url: '/v1/enforcement-actions/4a0b0f3e-0000-4000-8000-000000000000/audit-trail',
    headers: alice.auth,
  });
  t.equal(unknown.statusCode, 404);

  const paged = await app.inject({ url: `/v1/enforcement-actions/${id}/audit-trail?page=2&pageSize=3`, headers: alice.auth });
  t.equal(paged.statusCode, 200);
  t.same(
    json<Page>(paged).items.map((e) => e.action),
    ['delete'],
  );
  t.match(paged.headers.link, /rel="prev"/);
  t.match(paged.headers.link, /page=1&pageSize=3>; rel="first"/);
  const bad = await app.inject({ url: `/v1/enforcement-actions/${id}/audit-trail?pageSize=0`, headers: alice.auth });
  t.equal(bad.statusCode, 400);
  t.match(json(bad), { invalidParams: [{ name: 'pageSize' }] });
});

t.test('an establishment’s trail holds its own and its licences’ entries, also after deletion', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const other = await client('officer', 'GM0518');
  const admin = await client('admin');
  const est = json(await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }));
  const base = `/v1/establishments/${est.id}`;
  const lic = await app.inject({ method: 'POST', url: `${base}/licences`, headers: officer.auth, payload: sample.licence() });
  t.equal(lic.statusCode, 201, lic.body);
  const licenceId = json(lic).id as string;
  const licDel = await app.inject({
    method: 'DELETE',
    url: `${base}/licences/${licenceId}`,
    headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'verkeerde vergunning' },
  });
  t.equal(licDel.statusCode, 204, licDel.body);
  const estDel = await app.inject({
    method: 'DELETE',
    url: base,
    headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'nooit geopend' },
  });
  t.equal(estDel.statusCode, 204, estDel.body);

  for (const who of [officer, admin]) {
    const res = await app.inject({ url: `${base}/audit-trail`, headers: who.auth });
    t.equal(res.statusCode, 200, res.body);
    t.same(
      json<Page>(res).items.map((e) => [e.objectType, e.action]),
      [
        ['establishment', 'create'],
        ['licence', 'create'],
        ['licence', 'delete'],
        ['establishment', 'delete'],
      ],
    );
  }
  t.equal((await app.inject({ url: `${base}/audit-trail`, headers: other.auth })).statusCode, 404);
});

t.test('admins search the whole trail by client, object type, action and time', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  // Times are kept to the millisecond, rounded (PostgreSQL): a few ms either side of `before` keep the
  // set-up's entries before it and the test's after it whatever the rounding.
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
  await pause();
  const before = new Date().toISOString();
  await pause();
  const est = json(await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }));
  await app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(est.id as string) });

  const mine = json<Page>(await app.inject({ url: `/v1/audit-trail?clientId=${officer.id}`, headers: admin.auth }));
  t.same(
    mine.items.map((e) => e.objectType),
    ['establishment', 'enforcement_action'],
  );
  const actions = json<Page>(await app.inject({ url: '/v1/audit-trail?objectType=enforcement_action&action=create', headers: admin.auth }));
  t.equal(actions.totalItems, 1);
  const clients = json<Page>(await app.inject({ url: '/v1/audit-trail?objectType=api_client', headers: admin.auth }));
  t.equal(clients.totalItems, 2, 'the two clients created by the set-up');
  const since = json<Page>(await app.inject({ url: `/v1/audit-trail?occurredFrom=${encodeURIComponent(before)}`, headers: admin.auth }));
  t.equal(since.totalItems, 2);
  const untilThen = json<Page>(
    await app.inject({ url: `/v1/audit-trail?occurredUntil=${encodeURIComponent(before)}`, headers: admin.auth }),
  );
  t.equal(untilThen.totalItems, 2, 'only the client set-up happened before');

  const bad = await app.inject({ url: '/v1/audit-trail?occurredFrom=yesterday&objectType=person&clientId=x', headers: admin.auth });
  t.equal(bad.statusCode, 400);
  t.same(
    json<{ invalidParams: { name: string }[] }>(bad)
      .invalidParams.map((p) => p.name)
      .sort(),
    ['clientId', 'objectType', 'occurredFrom'],
  );
  t.equal((await app.inject({ url: '/v1/audit-trail', headers: officer.auth })).statusCode, 403);
  t.equal((await app.inject({ url: '/v1/audit-trail/verification', headers: officer.auth })).statusCode, 403);
});

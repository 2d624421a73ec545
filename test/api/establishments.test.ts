import t from 'tap';
import { build, json, sample } from '../support/helper.js';

t.test('establishments: create, read, list, replace, delete', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');

  const created = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() });
  t.equal(created.statusCode, 201, created.body);
  const est = json(created);
  t.equal(created.headers.etag, '"1"');
  t.equal(created.headers.location, `/v1/establishments/${est.id}`);
  t.match(est, { municipalityCode: 'GM0363', name: 'Club Rood', kind: 'club', kvkNumber: null, version: 1 });

  const read = await app.inject({ url: `/v1/establishments/${est.id}`, headers: officer.auth });
  t.equal(read.statusCode, 200);
  t.same(json(read), est);

  const notModified = await app.inject({ url: `/v1/establishments/${est.id}`, headers: { ...officer.auth, 'if-none-match': '"1"' } });
  t.equal(notModified.statusCode, 304);

  const noIfMatch = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${est.id}`,
    headers: officer.auth,
    payload: sample.establishment(),
  });
  t.equal(noIfMatch.statusCode, 428);

  const replaced = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${est.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.establishment('GM0363', { name: 'Club Blauw', kvkNumber: '12345678' }),
  });
  t.equal(replaced.statusCode, 200, replaced.body);
  t.match(json(replaced), { name: 'Club Blauw', kvkNumber: '12345678', version: 2 });
  t.equal(replaced.headers.etag, '"2"');

  const stale = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${est.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.establishment(),
  });
  t.equal(stale.statusCode, 412);

  const list = await app.inject({ url: '/v1/establishments?name=blauw', headers: officer.auth });
  t.equal(list.statusCode, 200);
  t.match(json(list), { totalItems: 1, page: 1, pageSize: 20, totalPages: 1 });

  const noReason = await app.inject({
    method: 'DELETE',
    url: `/v1/establishments/${est.id}`,
    headers: { ...officer.auth, 'if-match': '"2"' },
  });
  t.equal(noReason.statusCode, 400);
  t.match(json(noReason), { invalidParams: [{ name: 'x-audit-reason' }] });

  const deleted = await app.inject({
    method: 'DELETE',
    url: `/v1/establishments/${est.id}`,
    headers: { ...officer.auth, 'if-match': '"2"', 'x-audit-reason': 'registered twice' },
  });
  t.equal(deleted.statusCode, 204);
  const gone = await app.inject({ url: `/v1/establishments/${est.id}`, headers: officer.auth });
  t.equal(gone.statusCode, 404);
  t.match(json(await app.inject({ url: '/v1/establishments', headers: officer.auth })), { totalItems: 0 });
});

t.test('establishments: every invalid field is listed at once, and nothing is stored', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: officer.auth,
    payload: {
      municipalityCode: 'GM0363',
      name: '',
      kind: 'sauna',
      address: { street: 'X', houseNumber: 0, postalCode: '1012 DK', city: 'Amsterdam', colour: 'red' },
      kvkNumber: '1234',
      bagId: 'abc',
    },
  });
  t.equal(res.statusCode, 400);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  const names = json<{ invalidParams: { name: string }[] }>(res)
    .invalidParams.map((p) => p.name)
    .sort();
  t.same(names, ['address.colour', 'address.houseNumber', 'address.postalCode', 'bagId', 'kind', 'kvkNumber', 'name']);
  t.match(json(await app.inject({ url: '/v1/establishments', headers: officer.auth })), { totalItems: 0 });
});

t.test('establishments: an officer works only in their own municipality', async (t) => {
  const { app, client } = await build(t);
  const amsterdam = await client('officer', 'GM0363');
  const rotterdam = await client('officer', 'GM0599');
  const elsewhere = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: amsterdam.auth,
    payload: sample.establishment('GM0599'),
  });
  t.equal(elsewhere.statusCode, 403);

  const est = json(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: rotterdam.auth, payload: sample.establishment('GM0599') }),
  );
  t.equal((await app.inject({ url: `/v1/establishments/${est.id}`, headers: amsterdam.auth })).statusCode, 404);
  const put = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${est.id}`,
    headers: { ...amsterdam.auth, 'if-match': '"1"' },
    payload: sample.establishment('GM0363'),
  });
  t.equal(put.statusCode, 404);
  t.match(json(await app.inject({ url: '/v1/establishments', headers: amsterdam.auth })), { totalItems: 0 });
  t.match(json(await app.inject({ url: '/v1/establishments?municipalityCode=GM0599', headers: amsterdam.auth })), { totalItems: 0 });
});

t.test('establishments: cannot move to another municipality, nor be deleted while something refers to it', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const est = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  const move = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${est.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.establishment('GM0599'),
  });
  // A field that cannot change, as an action's establishmentId: a 400 naming it (it was a 409 of its own).
  t.equal(move.statusCode, 400);
  t.match(json(move), { code: 'invalid-input', invalidParams: [{ name: 'municipalityCode', code: 'immutable' }] });

  const lic = await app.inject({
    method: 'POST',
    url: `/v1/establishments/${est.id}/licences`,
    headers: officer.auth,
    payload: sample.licence(),
  });
  t.equal(lic.statusCode, 201);
  const del = (headers: Record<string, string>) =>
    app.inject({ method: 'DELETE', url: `/v1/establishments/${est.id}`, headers: { ...officer.auth, ...headers } });
  const inUse = await del({ 'if-match': '"1"', 'x-audit-reason': 'closed down' });
  t.equal(inUse.statusCode, 409);
  t.match(json(inUse), { code: 'establishment-in-use' });
  t.equal(
    (
      await app.inject({
        method: 'DELETE',
        url: `/v1/establishments/${est.id}/licences/${json(lic).id}`,
        headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'recorded in error' },
      })
    ).statusCode,
    204,
  );
  t.equal((await del({ 'if-match': '"1"', 'x-audit-reason': 'closed down' })).statusCode, 204, 'free once nothing refers to it');
  t.match(json(await app.inject({ url: `/v1/establishments/${est.id}`, headers: officer.auth })), { code: 'not-found' });
});

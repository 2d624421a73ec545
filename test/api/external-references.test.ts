import t from 'tap';
import { build, json, sample } from '../support/helper.js';
import { checkResponse } from '../support/openapi.js';
import { records } from '../support/records.js';

t.test('externalReference: set through the API, unique per municipality and record type among live records', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const other = await client('officer', 'GM0599');
  const make = records(app);

  const est = await make.establishment(officer.auth, 'GM0363', { externalReference: 'INR-1' });
  t.equal(est.externalReference, 'INR-1');
  const plain = await make.establishment(officer.auth);
  t.equal(plain.externalReference, null, 'absent is null');

  const taken = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: officer.auth,
    payload: sample.establishment('GM0363', { externalReference: 'INR-1' }),
  });
  t.equal(taken.statusCode, 409, taken.body);
  t.match(json(taken), { code: 'external-reference-taken' });
  t.same(
    checkResponse('POST', '/v1/establishments', taken.statusCode, taken.headers['content-type'] as string, taken.body, taken.headers),
    [],
    'a create’s 409 as documented',
  );

  // Another municipality, and another record type, may use the same reference.
  await make.establishment(other.auth, 'GM0599', { externalReference: 'INR-1' });
  const lic = await make.licence(officer.auth, est.id, { externalReference: 'INR-1' });
  t.equal(lic.externalReference, 'INR-1');
  const action = await make.action(officer.auth, est.id, { externalReference: 'INR-1' });
  t.equal(action.externalReference, 'INR-1');

  const bad = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: officer.auth,
    payload: sample.establishment('GM0363', { externalReference: ' =cmd' }),
  });
  t.equal(bad.statusCode, 400);
  t.match(json(bad), { invalidParams: [{ name: 'externalReference' }] });

  // A PUT may keep its own reference, but not take another record's.
  const keep = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${est.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.establishment('GM0363', { externalReference: 'INR-1', name: 'Club Groen' }),
  });
  t.equal(keep.statusCode, 200, keep.body);
  const steal = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${plain.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.establishment('GM0363', { externalReference: 'INR-1' }),
  });
  t.equal(steal.statusCode, 409);

  // A deleted record frees its reference.
  const gone = await app.inject({
    method: 'DELETE',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'entered twice' },
  });
  t.equal(gone.statusCode, 204);
  await make.action(officer.auth, est.id, { externalReference: 'INR-1' });
});

t.test('a PUT or PATCH of an enforcement action that takes another’s externalReference: a 409 the document declares', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  await make.action(officer.auth, est.id, { externalReference: 'HH-1' });
  const action = await make.action(officer.auth, est.id);
  const url = `/v1/enforcement-actions/${action.id}`;
  const put = await app.inject({
    method: 'PUT',
    url,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.action(est.id, { externalReference: 'HH-1' }),
  });
  const patch = await app.inject({
    method: 'PATCH',
    url,
    headers: { ...officer.auth, 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
    payload: JSON.stringify({ externalReference: 'HH-1' }),
  });
  for (const [method, res] of [
    ['PUT', put],
    ['PATCH', patch],
  ] as const) {
    t.equal(res.statusCode, 409, res.body);
    t.match(json(res), { code: 'external-reference-taken' });
    t.same(
      checkResponse(method, url, res.statusCode, res.headers['content-type'] as string, res.body, res.headers),
      [],
      `${method}: as documented`,
    );
  }
});

t.test('a case system that lost an id finds the record again: the 409 names it, and the lists filter by externalReference', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const other = await client('officer', 'GM0599');
  const admin = await client('admin');
  const make = records(app);
  const est = await make.establishment(officer.auth, 'GM0363', { externalReference: 'INR-7' });
  const lic = await make.licence(officer.auth, est.id, { externalReference: 'VG-7' });
  const action = await make.action(officer.auth, est.id, { externalReference: 'HH-7' });
  const elsewhere = await make.establishment(other.auth, 'GM0599', { externalReference: 'INR-7' });

  // A retried create without an Idempotency-Key: the 409's Location is the record made the first time.
  const creates = [
    ['INR-7', '/v1/establishments', sample.establishment('GM0363', { externalReference: 'INR-7' }), `/v1/establishments/${est.id}`],
    [
      'VG-7',
      `/v1/establishments/${est.id}/licences`,
      sample.licence({ externalReference: 'VG-7' }),
      `/v1/establishments/${est.id}/licences/${lic.id}`,
    ],
    ['HH-7', '/v1/enforcement-actions', sample.action(est.id, { externalReference: 'HH-7' }), `/v1/enforcement-actions/${action.id}`],
  ] as const;
  for (const [reference, url, payload, location] of creates) {
    const res = await app.inject({ method: 'POST', url, headers: officer.auth, payload });
    t.equal(res.statusCode, 409, res.body);
    t.equal(res.headers.location, location, `${url}: the Location is the record that has the reference`);
    t.same(checkResponse('POST', url, 409, res.headers['content-type'] as string, res.body, res.headers), [], `${url}: as documented`);
    const found = await app.inject({ url: res.headers.location as string, headers: officer.auth });
    t.equal(found.statusCode, 200);
    t.equal(json<{ externalReference: string }>(found).externalReference, reference);
  }
  // A correction that takes another's reference: the same Location.
  const second = await make.action(officer.auth, est.id);
  const put = await app.inject({
    method: 'PUT',
    url: `/v1/enforcement-actions/${second.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.action(est.id, { externalReference: 'HH-7' }),
  });
  t.equal(put.statusCode, 409);
  t.equal(put.headers.location, `/v1/enforcement-actions/${action.id}`);

  const ids = async (url: string, auth: Record<string, string>) => {
    const res = await app.inject({ url, headers: auth });
    t.equal(res.statusCode, 200, res.body);
    return json<{ items: { id: string }[] }>(res).items.map((i) => i.id);
  };
  t.same(await ids('/v1/establishments?externalReference=INR-7', officer.auth), [est.id], 'an officer finds their own');
  t.same(await ids('/v1/establishments?externalReference=INR-7', other.auth), [elsewhere.id], 'and only their own');
  t.same(
    (await ids('/v1/establishments?externalReference=INR-7', admin.auth)).sort(),
    [est.id, elsewhere.id].sort(),
    'an admin, every municipality’s',
  );
  t.same(await ids('/v1/establishments?externalReference=INR-8', officer.auth), [], 'no such reference: an empty page');
  t.same(await ids('/v1/enforcement-actions?externalReference=HH-7', officer.auth), [action.id]);
  t.same(await ids('/v1/enforcement-actions?externalReference=HH-7', other.auth), []);
  const page = json<{ totalItems: number }>(
    await app.inject({ url: '/v1/enforcement-actions?externalReference=HH-7', headers: officer.auth }),
  );
  t.equal(page.totalItems, 1, 'the total counts the filter, not the year’s rollup');
  const gone = await app.inject({
    method: 'DELETE',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'entered twice' },
  });
  t.equal(gone.statusCode, 204);
  t.same(await ids('/v1/enforcement-actions?externalReference=HH-7', officer.auth), [], 'a deleted action is not found by it');

  const bad = await app.inject({ url: '/v1/enforcement-actions?externalReference=%20x', headers: officer.auth });
  t.equal(bad.statusCode, 400);
  t.match(json(bad), { invalidParams: [{ name: 'externalReference' }] });
});

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

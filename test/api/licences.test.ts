import t from 'tap';
import { todayInNetherlands } from '../../src/lib/dates.js';
import { build, json, sample } from '../support/helper.js';
import { records } from '../support/records.js';

type Problem = { code: string; invalidParams?: { name: string; code: string }[] };
const codes = (res: { body: string }) => (json<Problem>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`).sort();

t.test('licences: overlapping periods are a 409, a new licence after a revocation is not', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const post = (over: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: `/v1/establishments/${est.id}/licences`, headers: officer.auth, payload: sample.licence(over) });

  const first = await post({
    licenceNumber: 'EV-1',
    validFrom: '2016-01-01',
    validUntil: '2020-12-31',
    statusHistory: [
      { status: 'granted', effectiveDate: '2016-01-01' },
      { status: 'revoked', effectiveDate: '2018-06-01' },
    ],
  });
  t.equal(first.statusCode, 201, first.body);
  t.match(json(first), { status: 'revoked', statusDate: '2018-06-01', version: 1 });
  t.equal(
    first.headers.location,
    `/v1/establishments/${est.id}/licences/${json<{ id: string }>(first).id}`,
    'Location names the new licence',
  );

  const overlapping = await post({
    licenceNumber: 'EV-2',
    validFrom: '2018-05-31',
    validUntil: null,
    statusHistory: [{ status: 'granted', effectiveDate: '2018-05-31' }],
  });
  t.equal(overlapping.statusCode, 409, 'in force on 2018-05-31, the last day of the revoked one');
  t.match(json(overlapping), { code: 'licence-period-overlap', status: 409 });
  t.match(overlapping.headers['content-type'], /^application\/problem\+json/);

  const before = await post({
    licenceNumber: 'EV-0',
    validFrom: '2015-01-01',
    validUntil: '2016-01-01',
    statusHistory: [{ status: 'granted', effectiveDate: '2015-01-01' }],
  });
  t.equal(before.statusCode, 409, 'ends on the first day of the first licence');

  const afterRevocation = await post({
    licenceNumber: 'EV-2',
    validFrom: '2018-06-01',
    validUntil: null,
    statusHistory: [{ status: 'granted', effectiveDate: '2018-06-01' }],
  });
  t.equal(afterRevocation.statusCode, 201, `a new licence from the revocation date is allowed: ${afterRevocation.body}`);

  const openEnded = await post({
    licenceNumber: 'EV-3',
    validFrom: '2030-01-01',
    validUntil: null,
    statusHistory: [{ status: 'granted', effectiveDate: '2030-01-01' }],
  });
  t.equal(openEnded.statusCode, 409, 'the open-ended EV-2 is still in force in 2030');

  const sameNumber = await post({
    licenceNumber: 'EV-1',
    validFrom: '2010-01-01',
    validUntil: '2010-12-31',
    statusHistory: [{ status: 'granted', effectiveDate: '2010-01-01' }],
  });
  t.equal(sameNumber.statusCode, 409);
  t.match(json(sameNumber), { code: 'licence-number-taken' });

  const earlier = await post({
    licenceNumber: 'EV-00',
    validFrom: '2010-01-01',
    validUntil: '2015-12-31',
    statusHistory: [{ status: 'granted', effectiveDate: '2010-01-01' }],
  });
  t.equal(earlier.statusCode, 201, 'an earlier, adjacent licence is fine');

  // A correction that would make one overlap another is refused too, and changes nothing.
  const ev2 = json<{ id: string }>(afterRevocation);
  const stretch = await app.inject({
    method: 'PUT',
    url: `/v1/establishments/${est.id}/licences/${ev2.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.licence({
      licenceNumber: 'EV-2',
      validFrom: '2018-01-01',
      validUntil: null,
      statusHistory: [{ status: 'granted', effectiveDate: '2018-01-01' }],
    }),
  });
  t.equal(stretch.statusCode, 409);
  const list = json<{ items: { licenceNumber: string; version: number }[]; totalItems: number }>(
    await app.inject({ url: `/v1/establishments/${est.id}/licences`, headers: officer.auth }),
  );
  t.same(
    list.items.map((l) => l.licenceNumber),
    ['EV-00', 'EV-1', 'EV-2'],
    'oldest first',
  );
  t.same(
    list.items.map((l) => l.version),
    [1, 1, 1],
  );
});

t.test('licences: contradictory histories are rejected, each with its code, all at once', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const est = await records(app).establishment(officer.auth);
  const post = (over: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: `/v1/establishments/${est.id}/licences`, headers: officer.auth, payload: sample.licence(over) });
  const g = (effectiveDate: string, status = 'granted') => ({ status, effectiveDate });
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['first status not granted', { statusHistory: [g('2016-01-01', 'suspended')] }, ['statusHistory.0.status:first_status_not_granted']],
    [
      'granted after its last day',
      { validFrom: '2010-01-01', validUntil: '2012-01-01', statusHistory: [g('2013-01-01')] },
      ['statusHistory.0.effectiveDate:after_valid_until'],
    ],
    [
      'not chronological',
      { statusHistory: [g('2016-01-01'), g('2017-01-01', 'suspended'), g('2016-06-01')] },
      ['statusHistory.2.effectiveDate:not_chronological'],
    ],
    [
      'same day twice',
      { statusHistory: [g('2016-01-01'), g('2016-01-01', 'suspended')] },
      ['statusHistory.1.effectiveDate:not_chronological'],
    ],
    [
      'status after revoked',
      { statusHistory: [g('2016-01-01'), g('2017-01-01', 'revoked'), g('2017-02-01')] },
      ['statusHistory.2.status:status_after_terminal'],
    ],
    [
      'status after expired',
      { statusHistory: [g('2016-01-01'), g('2017-01-01', 'expired'), g('2017-02-01', 'suspended')] },
      ['statusHistory.2.status:status_after_terminal'],
    ],
    ['status unchanged', { statusHistory: [g('2016-01-01'), g('2017-01-01')] }, ['statusHistory.1.status:status_unchanged']],
    ['validUntil before validFrom', { validUntil: '2015-12-31' }, ['validUntil:before_valid_from']],
    ['empty history', { statusHistory: [] }, ['statusHistory:too_small']],
    ['unknown status', { statusHistory: [g('2016-01-01', 'paused')] }, ['statusHistory.0.status:invalid_value']],
    [
      'schema and history issues together',
      {
        licenceNumber: '',
        validUntil: '2015-01-01',
        statusHistory: [g('2016-01-01'), g('2017-01-01'), g('not-a-date', 'suspended')],
      },
      [
        'licenceNumber:invalid_format',
        'statusHistory.1.status:status_unchanged',
        'statusHistory.2.effectiveDate:invalid_format',
        'validUntil:before_valid_from',
      ],
    ],
    [
      'all at once',
      { validUntil: '2010-01-01', statusHistory: [g('2016-01-01', 'expired'), g('2015-01-01')] },
      [
        'statusHistory.0.status:first_status_not_granted',
        'statusHistory.1.effectiveDate:not_chronological',
        'statusHistory.1.status:status_after_terminal',
        'validUntil:before_valid_from',
      ],
    ],
  ];
  for (const [what, over, expected] of cases) {
    const res = await post(over);
    t.equal(res.statusCode, 400, `${what}: ${res.body.slice(0, 300)}`);
    t.same(codes(res), expected, what);
  }
  t.match(
    json(await app.inject({ url: `/v1/establishments/${est.id}/licences`, headers: officer.auth })),
    { totalItems: 0 },
    'nothing stored',
  );
});

t.test('licences: licenceStatus is derived at the decision date', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  await make.licence(officer.auth, est.id, {
    validFrom: '2016-01-01',
    validUntil: '2020-12-31',
    statusHistory: [
      { status: 'granted', effectiveDate: '2016-01-01' },
      { status: 'suspended', effectiveDate: '2017-03-01' },
      { status: 'granted', effectiveDate: '2017-04-01' },
      { status: 'revoked', effectiveDate: '2019-01-01' },
    ],
  });
  const est2 = await make.establishment(officer.auth, 'GM0363', { name: 'Expiring' });
  await make.licence(officer.auth, est2.id, {
    validFrom: '2016-01-01',
    validUntil: null,
    statusHistory: [
      { status: 'granted', effectiveDate: '2016-01-01' },
      { status: 'expired', effectiveDate: '2018-01-01' },
    ],
  });
  const est3 = await make.establishment(officer.auth, 'GM0363', { name: 'Bounded' });
  await make.licence(officer.auth, est3.id, {
    validFrom: '2016-01-01',
    validUntil: '2016-12-31',
    statusHistory: [{ status: 'granted', effectiveDate: '2016-01-01' }],
  });
  const noLicence = await make.establishment(officer.auth, 'GM0363', { name: 'Never licensed' });

  const cases: [string, string, string, 'licensed' | 'unlicensed'][] = [
    ['before the licence', est.id, '2015-12-31', 'unlicensed'],
    ['granted, first day', est.id, '2016-01-01', 'licensed'],
    ['granted', est.id, '2016-06-01', 'licensed'],
    ['suspended, first day', est.id, '2017-03-01', 'unlicensed'],
    ['suspended', est.id, '2017-03-31', 'unlicensed'],
    ['suspension lifted', est.id, '2017-04-01', 'licensed'],
    ['day before revocation', est.id, '2018-12-31', 'licensed'],
    ['revoked', est.id, '2019-01-01', 'unlicensed'],
    ['revoked, still inside validity', est.id, '2020-06-01', 'unlicensed'],
    ['day before expiry', est2.id, '2017-12-31', 'licensed'],
    ['expired', est2.id, '2018-01-01', 'unlicensed'],
    ['last day of validity', est3.id, '2016-12-31', 'licensed'],
    ['after validUntil', est3.id, '2017-01-01', 'unlicensed'],
    ['no licence at all', noLicence.id, '2019-01-01', 'unlicensed'],
  ];
  for (const [what, estId, decisionDate, expected] of cases) {
    const a = await make.action(officer.auth, estId, { decisionDate });
    t.equal(a.licenceStatus, expected, what);
  }
  // A licenceStatus sent by the client is not accepted: it is derived.
  const sent = await app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: officer.auth,
    payload: { ...sample.action(noLicence.id), licenceStatus: 'licensed' },
  });
  t.equal(sent.statusCode, 400);
  t.same(codes(sent), ['licenceStatus:unknown_field']);
  // Changing an action's decision date re-derives it too.
  const a = await make.action(officer.auth, est.id, { decisionDate: '2016-06-01' });
  const moved = await app.inject({
    method: 'PUT',
    url: `/v1/enforcement-actions/${a.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.action(est.id, { decisionDate: '2019-06-01' }),
  });
  t.match(json(moved), { licenceStatus: 'unlicensed', version: 2 });
});

t.test('licences: creating, correcting and deleting the history re-derives licenceStatus of the actions', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const inside = await make.action(officer.auth, est.id, { decisionDate: '2019-05-01' });
  const outside = await make.action(officer.auth, est.id, { decisionDate: '2022-05-01' });
  const deleted = await make.action(officer.auth, est.id, { decisionDate: '2019-05-02' });
  t.equal(
    (
      await app.inject({
        method: 'DELETE',
        url: `/v1/enforcement-actions/${deleted.id}`,
        headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'test' },
      })
    ).statusCode,
    204,
  );
  const read = async (id: string) =>
    json<{ licenceStatus: string; version: number }>(await app.inject({ url: `/v1/enforcement-actions/${id}`, headers: officer.auth }));
  t.match(await read(inside.id), { licenceStatus: 'unlicensed', version: 1 });

  const created = await make.licence(officer.auth, est.id);
  t.match(await read(inside.id), { licenceStatus: 'licensed', version: 2 }, 'creating the licence re-derives');
  t.match(await read(outside.id), { licenceStatus: 'unlicensed', version: 1 }, 'an action outside the licence is untouched');

  const licUrl = `/v1/establishments/${est.id}/licences/${created.id}`;
  const suspend = await app.inject({
    method: 'PUT',
    url: licUrl,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: sample.licence({
      statusHistory: [
        { status: 'granted', effectiveDate: '2016-01-01' },
        { status: 'suspended', effectiveDate: '2019-04-01' },
      ],
    }),
  });
  t.equal(suspend.statusCode, 200, suspend.body);
  t.match(await read(inside.id), { licenceStatus: 'unlicensed', version: 3 }, 'a correction re-derives');

  // A failed correction (overlap with another licence) changes neither the licence nor the action.
  await make.licence(officer.auth, est.id, {
    licenceNumber: 'EV-2021',
    validFrom: '2021-01-01',
    validUntil: '2021-12-31',
    statusHistory: [{ status: 'granted', effectiveDate: '2021-01-01' }],
  });
  const clash = await app.inject({
    method: 'PUT',
    url: licUrl,
    headers: { ...officer.auth, 'if-match': '"2"' },
    payload: sample.licence({ validUntil: '2021-06-30' }),
  });
  t.equal(clash.statusCode, 409);
  t.match(await read(inside.id), { licenceStatus: 'unlicensed', version: 3 }, 'nothing changed after the 409');

  const lift = await app.inject({
    method: 'PUT',
    url: licUrl,
    headers: { ...officer.auth, 'if-match': '"2"' },
    payload: sample.licence({
      statusHistory: [
        { status: 'granted', effectiveDate: '2016-01-01' },
        { status: 'suspended', effectiveDate: '2019-04-01' },
        { status: 'granted', effectiveDate: '2019-04-20' },
      ],
    }),
  });
  t.equal(lift.statusCode, 200);
  t.match(await read(inside.id), { licenceStatus: 'licensed', version: 4 });

  const same = await app.inject({
    method: 'PUT',
    url: licUrl,
    headers: { ...officer.auth, 'if-match': '"3"' },
    payload: sample.licence({
      licenceNumber: 'EV-2016-001-A',
      statusHistory: [
        { status: 'granted', effectiveDate: '2016-01-01' },
        { status: 'suspended', effectiveDate: '2019-04-01' },
        { status: 'granted', effectiveDate: '2019-04-20' },
      ],
    }),
  });
  t.equal(same.statusCode, 200);
  t.match(
    await read(inside.id),
    { licenceStatus: 'licensed', version: 4 },
    'a correction that changes nothing derived leaves the action alone',
  );

  const del = await app.inject({
    method: 'DELETE',
    url: licUrl,
    headers: { ...officer.auth, 'if-match': '"4"', 'x-audit-reason': 'recorded in error' },
  });
  t.equal(del.statusCode, 204);
  t.match(await read(inside.id), { licenceStatus: 'unlicensed', version: 5 }, 'deleting the licence re-derives');
  t.equal((await app.inject({ url: licUrl, headers: officer.auth })).statusCode, 404);

  const filtered = json<{ items: { id: string }[] }>(
    await app.inject({ url: '/v1/enforcement-actions?licenceStatus=unlicensed', headers: officer.auth }),
  );
  t.same(filtered.items.map((i) => i.id).sort(), [inside.id, outside.id].sort(), 'the list filter sees the re-derived status');
});

t.test('licences: a status recorded ahead of its day is shown as the latest; actions before that day stay licensed', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const today = todayInNetherlands();
  const nextYear = `${Number(today.slice(0, 4)) + 1}-06-01`;
  const licence = await make.licence(officer.auth, est.id, {
    validFrom: '2020-01-01',
    validUntil: null,
    statusHistory: [
      { status: 'granted', effectiveDate: '2020-01-01' },
      { status: 'revoked', effectiveDate: nextYear },
    ],
  });
  t.match(licence, { status: 'revoked', statusDate: nextYear }, 'status and statusDate: the latest entry, as recorded');
  t.equal((await make.action(officer.auth, est.id, { decisionDate: today })).licenceStatus, 'licensed', 'in force today');
});

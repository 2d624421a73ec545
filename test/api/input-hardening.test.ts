import t from 'tap';
import { todayInNetherlands } from '../../src/lib/dates.js';
import { build, json, sample } from '../support/helper.js';

/**
 * Issue 11, findings 2, 3, 6 and 10 (c, d): what the attack sent and the service took. Each
 * request here was accepted, or answered 500, before the fix.
 */
type Problem = { status: number; code: string; invalidParams?: { name: string; code: string }[] };
const codes = (res: { body: string }) => (json<Problem>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`);

t.test('hardened input', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const admin = await client('admin');
  const send = (method: 'POST' | 'PUT' | 'GET', url: string, headers: Record<string, string>, payload?: unknown) =>
    app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const est = json<{ id: string }>(await send('POST', '/v1/establishments', officer.auth, sample.establishment()));

  t.test('every date the domain accepts lies within 1990-01-01 and 2100-12-31 (out_of_range)', async (t) => {
    const today = todayInNetherlands();
    for (const bad of ['0000-01-01', '0099-12-31', '1000-06-01', '1989-12-31', '2101-01-01']) {
      const cases: [string, string, unknown, string[]][] = [
        ['POST', '/v1/enforcement-actions', sample.action(est.id, { decisionDate: bad }), ['decisionDate']],
        [
          'POST',
          '/v1/enforcement-actions',
          sample.action(est.id, {
            measure: 'penalty_order',
            fine: undefined,
            penalty: { amountCents: 100, unit: 'once', maximumCents: 100, complianceDeadline: bad },
          }),
          ['penalty.complianceDeadline'],
        ],
        [
          'POST',
          '/v1/enforcement-actions',
          sample.action(est.id, { measure: 'closure', fine: undefined, closure: { startDate: bad, endDate: bad } }),
          ['closure.startDate', 'closure.endDate'],
        ],
        [
          'POST',
          `/v1/establishments/${est.id}/licences`,
          sample.licence({ validFrom: bad, validUntil: bad, statusHistory: [{ status: 'granted', effectiveDate: bad }] }),
          ['validFrom', 'validUntil', 'statusHistory.0.effectiveDate'],
        ],
      ];
      for (const [method, url, body, fields] of cases) {
        const res = await send(method as 'POST', url, officer.auth, body);
        t.equal(res.statusCode, 400, `${bad} in ${fields.join(', ')}`);
        for (const f of fields) t.ok(codes(res).includes(`${f}:out_of_range`), `${f}=${bad}: out_of_range (${codes(res)})`);
      }
      for (const [url, auth, name] of [
        [`/v1/enforcement-actions?decisionDateFrom=${bad}`, officer.auth, 'decisionDateFrom'],
        [`/v1/enforcement-actions?decisionDateTo=${bad}`, officer.auth, 'decisionDateTo'],
        [`/v1/statistics/enforcement-actions?decisionDateFrom=${bad}`, admin.auth, 'decisionDateFrom'],
        [`/v1/statistics/enforcement-actions/summary?decisionDateTo=${bad}`, admin.auth, 'decisionDateTo'],
        [`/v1/audit-trail?occurredFrom=${bad}T00:00:00Z`, admin.auth, 'occurredFrom'],
        [`/v1/audit-trail?occurredUntil=${bad}T00:00:00Z`, admin.auth, 'occurredUntil'],
      ] as const) {
        const res = await send('GET', url, auth);
        t.same([res.statusCode, codes(res)], [400, [`${name}:out_of_range`]], url);
      }
    }
    for (const year of ['0', '0000', '99', '1989', '2101', '99999999999999999999']) {
      const res = await send('GET', `/v1/statistics/enforcement-actions?yearFrom=${year}`, analyst.auth);
      t.equal(res.statusCode, 400, `yearFrom=${year}`);
      t.ok(
        codes(res).some((c) => c.startsWith('yearFrom:')),
        `yearFrom=${year}: ${codes(res)}`,
      );
    }
    // The edges themselves are accepted.
    const floor = await send('POST', '/v1/enforcement-actions', officer.auth, sample.action(est.id, { decisionDate: '1990-01-01' }));
    t.equal(floor.statusCode, 201, floor.body);
    const latest = await send('POST', '/v1/enforcement-actions', officer.auth, sample.action(est.id, { decisionDate: today }));
    t.equal(latest.statusCode, 201, latest.body);
    const horizon = await send(
      'POST',
      `/v1/establishments/${est.id}/licences`,
      officer.auth,
      sample.licence({ licenceNumber: 'EV-1990', validFrom: '1990-01-01', validUntil: '2100-12-31' }),
    );
    t.equal(horizon.statusCode, 201, horizon.body);
  });

  t.test('control characters in text fields, stored headers and query filters are a 400 (control_character)', async (t) => {
    for (const c of ['\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u007f', '\u0085']) {
      const shown = JSON.stringify(c);
      const body = sample.establishment('GM0363', {
        name: `Club${c}Rood`,
        address: { street: `Straat${c}`, houseNumber: 1, postalCode: '1012DK', city: `${c}Amsterdam` },
      });
      const res = await send('POST', '/v1/establishments', officer.auth, body);
      t.same(
        [res.statusCode, codes(res).sort()],
        [400, ['address.city:control_character', 'address.street:control_character', 'name:control_character']],
        `establishment with ${shown}`,
      );
      const action = await send('POST', '/v1/enforcement-actions', officer.auth, sample.action(est.id, { legalBasis: `Awb${c}5:40` }));
      t.same([action.statusCode, codes(action)], [400, ['legalBasis:control_character']], `legalBasis with ${shown}`);
      const muni = await send('POST', '/v1/municipalities', admin.auth, { code: 'GM0001', name: `Test${c}`, programmes: [] });
      t.same([muni.statusCode, codes(muni)], [400, ['name:control_character']], `municipality name with ${shown}`);
      const apiClient = await send('POST', '/v1/api-clients', admin.auth, { name: `team${c}`, role: 'analyst' });
      t.same([apiClient.statusCode, codes(apiClient)], [400, ['name:control_character']], `API client name with ${shown}`);
      // A header arrives as bytes, one character each: U+0085 as the UTF-8 it is sent in (C2 85).
      const wire = Buffer.from(`why${c}`, 'utf8').toString('latin1');
      const reason = await send('POST', '/v1/establishments', { ...officer.auth, 'x-audit-reason': wire }, sample.establishment());
      t.same([reason.statusCode, codes(reason)], [400, ['x-audit-reason:control_character']], `X-Audit-Reason with ${shown}`);
      const q = encodeURIComponent(c);
      const search = await send('GET', `/v1/establishments?name=${q}`, officer.auth);
      t.same([search.statusCode, codes(search)], [400, ['name:control_character']], `?name=${q}`);
      const audit = await send('GET', `/v1/audit-trail?objectId=x${q}`, admin.auth);
      t.same([audit.statusCode, codes(audit)], [400, ['objectId:control_character']], `?objectId=x${q}`);
    }
    const fine = await send('GET', `/v1/establishments?name=${encodeURIComponent('Café 🙈 “Rood”')}`, officer.auth);
    t.equal(fine.statusCode, 200, 'other unicode text is fine');
  });

  t.test('a control character in one field does not hide the body’s other issues', async (t) => {
    // Only legalBasis:control_character was listed: the refinement aborted the whole body, so the cross-field rules never ran.
    const res = await send(
      'POST',
      '/v1/enforcement-actions',
      officer.auth,
      sample.action(est.id, { legalBasis: 'Awb\u00005:40', grounds: ['hygiene', 'hygiene'], decisionDate: '2099-01-01' }),
    );
    t.same([res.statusCode, codes(res).sort()], [400, ['decisionDate:in_future', 'grounds.1:duplicate', 'legalBasis:control_character']]);
    const tab = await send('POST', '/v1/establishments', officer.auth, sample.establishment('GM0363', { name: '\t' }));
    t.same([tab.statusCode, codes(tab)], [400, ['name:control_character']], 'still one issue per field: no too_small beside it');
  });

  t.test('a declared acting person with a control character is a 400, not silently left out of the trail', async (t) => {
    // Both were answered 201 with the acting person dropped: the change was recorded as made for no one.
    for (const [header, value] of [
      ['x-acting-user', 'j.de\tvries'],
      ['x-acting-user-name', 'J.\u00c2\u0085de Vries'], // U+0085 as its UTF-8 bytes C2 85, as Node hands a header over
    ] as const) {
      const res = await send(
        'POST',
        '/v1/establishments',
        { ...officer.auth, 'x-acting-user': 'j.devries', [header]: value },
        sample.establishment(),
      );
      t.same([res.statusCode, codes(res)], [400, [`${header}:control_character`]], header);
    }
  });

  t.test('a lone surrogate in free text is a 400 (invalid_unicode), not stored as U+FFFD', async (t) => {
    // JSON may escape half of a UTF-16 pair ("\ud800"); UTF-8 cannot hold it, so it was stored as U+FFFD and answered 201.
    for (const c of ['\ud800', '\udfff', 'x\udbff']) {
      const shown = JSON.stringify(c);
      const res = await send('POST', '/v1/establishments', officer.auth, sample.establishment('GM0363', { name: `Club${c}Rood` }));
      t.same([res.statusCode, codes(res)], [400, ['name:invalid_unicode']], `name with ${shown}`);
      const action = await send('POST', '/v1/enforcement-actions', officer.auth, sample.action(est.id, { legalBasis: `Awb${c}` }));
      t.same([action.statusCode, codes(action)], [400, ['legalBasis:invalid_unicode']], `legalBasis with ${shown}`);
    }
    const pair = await send('POST', '/v1/establishments', officer.auth, sample.establishment('GM0363', { name: 'Club 𝕽ood' }));
    t.equal(pair.statusCode, 201, 'a whole pair (a character beyond U+FFFF) is fine');
    t.equal(json<{ name: string }>(pair).name, 'Club 𝕽ood');
  });

  t.test('a whole number in a query or path is decimal digits: no hex, exponent, sign or blanks', async (t) => {
    // Each was read as a number (Number()): page=0x10 was page 16, yearFrom=0x7e3 the figures of 2019, releases/0x1 release 1.
    const url = '/v1/statistics/enforcement-actions';
    for (const [path, auth, name] of [
      ['/v1/enforcement-actions?page=0x10', officer.auth, 'page'],
      ['/v1/enforcement-actions?pageSize=1e1', officer.auth, 'pageSize'],
      ['/v1/enforcement-actions?page=%2B2', officer.auth, 'page'],
      ['/v1/enforcement-actions?page=%202', officer.auth, 'page'],
      [`${url}?yearFrom=0x7e3`, analyst.auth, 'yearFrom'],
      [`${url}?yearTo=2019.0`, analyst.auth, 'yearTo'],
      ['/v1/statistics/releases/0x1', analyst.auth, 'number'],
      [`/v1/audit-trail/verification?anchorSeq=0b1&anchorHash=${'0'.repeat(64)}`, admin.auth, 'anchorSeq'],
    ] as const) {
      const res = await send('GET', path, auth);
      t.same([res.statusCode, codes(res).map((c) => c.split(':')[0])], [400, [name]], path);
    }
    for (const [path, auth] of [
      ['/v1/enforcement-actions?page=1&pageSize=007', officer.auth],
      [`${url}?yearFrom=2019&yearTo=2019`, analyst.auth],
    ] as const) {
      t.equal((await send('GET', path, auth)).statusCode, 200, path);
    }
  });

  t.test('analysts’ periods are whole months (not_whole_months); officers and admins keep days', async (t) => {
    const issueQuery =
      '/v1/statistics/enforcement-actions?decisionDateFrom=2019-05-01&decisionDateTo=2019-05-01&groupBy=municipality,measure,ground,stage,licenceStatus';
    const refused = await send('GET', issueQuery, analyst.auth);
    t.same([refused.statusCode, codes(refused)], [400, ['decisionDateTo:not_whole_months']], 'the issue’s exact request');
    const both = await send('GET', '/v1/statistics/enforcement-actions/summary?decisionDateFrom=2019-05-02', analyst.auth);
    t.same([both.statusCode, codes(both)], [400, ['decisionDateFrom:not_whole_months']]);
    const obs = await send('GET', '/v1/statistics/enforcement-actions/observations?decisionDateTo=2019-02-27', analyst.auth);
    t.same([obs.statusCode, codes(obs)], [400, ['decisionDateTo:not_whole_months']]);
    for (const ok of [
      'decisionDateFrom=2019-05-01&decisionDateTo=2019-05-31',
      'decisionDateFrom=2020-02-01&decisionDateTo=2020-02-29',
      'decisionDateFrom=2019-01-01',
      'yearFrom=2019&yearTo=2019',
    ]) {
      const res = await send('GET', `/v1/statistics/enforcement-actions?${ok}`, analyst.auth);
      t.equal(res.statusCode, 200, `analyst: ${ok}`);
    }
    t.equal((await send('GET', issueQuery, admin.auth)).statusCode, 200, 'an admin may ask for one day');
    t.equal((await send('GET', issueQuery, officer.auth)).statusCode, 200, 'an officer may ask for one day of their own');
  });

  t.test('a required member, parameter or header left out is `required`, whatever zod calls it', async (t) => {
    const empty = await send('POST', '/v1/enforcement-actions', officer.auth, {});
    t.same(codes(empty).sort(), [
      'decisionDate:required',
      'establishmentId:required',
      'grounds:required',
      'measure:required',
      'stage:required',
    ]);
    t.match(json<{ invalidParams: { reason: string }[] }>(empty).invalidParams, [{ reason: 'is required' }]);
    // Sent, but null or of another type: still what it is.
    const wrong = await send('POST', '/v1/enforcement-actions', officer.auth, {
      ...sample.action(est.id, { measure: 'warning', fine: undefined }),
      measure: null,
      grounds: 'hygiene',
    });
    t.same(codes(wrong).sort(), ['grounds:invalid_type', 'measure:invalid_value']);
    const penalty = await send('POST', '/v1/enforcement-actions', officer.auth, {
      ...sample.action(est.id, { measure: 'penalty_order', fine: undefined }),
      penalty: { unit: 'per_day', maximumCents: 100 },
    });
    t.ok(codes(penalty).includes('penalty.amountCents:required'), 'a member of a member too');
    // A query list is split on commas before zod sees it: its third item was sent, in the second parameter.
    const list = await send('GET', '/v1/statistics/enforcement-actions?measure=warning&measure=closure,colour', analyst.auth);
    t.same(codes(list), ['measure.2:invalid_value'], 'an item sent is never "required"');
  });

  t.test('a value beyond two bounds is one invalid parameter, named once (the schema’s bound)', async (t) => {
    const fine = await send(
      'POST',
      '/v1/enforcement-actions',
      officer.auth,
      sample.action(est.id, { measure: 'administrative_fine', fine: { amountCents: 1e300 } }),
    );
    t.same(codes(fine), ['fine.amountCents:too_big']);
    t.match(json<{ detail: string }>(fine).detail, /(^|\D)1 invalid parameter(?!s)/);
    t.notMatch(fine.body, /9007199254740991/, 'not the safe-integer bound, which is zod’s, not the contract’s');
    const page = await send('GET', '/v1/establishments?page=99999999999999999999', officer.auth);
    t.same(codes(page), ['page:too_big']);
  });

  t.test('Idempotency-Key "" (a quoted empty key) is a 400, not a key', async (t) => {
    for (const key of ['', '""']) {
      const res = await send('POST', '/v1/establishments', { ...officer.auth, 'idempotency-key': key }, sample.establishment());
      t.equal(res.statusCode, 400, `Idempotency-Key: ${key}`);
      t.equal(codes(res).length, 1, `one entry: ${codes(res).join()}`);
      t.ok(codes(res)[0]?.startsWith('idempotency-key:'), codes(res).join());
    }
  });

  t.test('a body in another charset than UTF-8 is a 415 problem', async (t) => {
    const body = JSON.stringify(sample.establishment());
    for (const charset of ['utf-16', 'UTF-16LE', 'latin1', 'iso-8859-1', '"windows-1252"']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/establishments',
        headers: { ...officer.auth, 'content-type': `application/json; charset=${charset}` },
        payload: charset.startsWith('utf-16') || charset === 'UTF-16LE' ? Buffer.from(body, 'utf16le') : body,
      });
      t.equal(res.statusCode, 415, charset);
      t.match(res.headers['content-type'], /^application\/problem\+json/);
      t.equal(json<Problem>(res).code, 'unsupported-media-type');
    }
    for (const charset of ['utf-8', 'UTF-8', '"utf-8"', 'us-ascii']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/establishments',
        headers: { ...officer.auth, 'content-type': `application/json; charset=${charset}` },
        payload: JSON.stringify(sample.establishment('GM0363', { name: `Club ${charset}` })),
      });
      t.equal(res.statusCode, 201, `charset=${charset} is accepted`);
    }
  });
});

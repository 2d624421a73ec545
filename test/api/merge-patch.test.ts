import t from 'tap';
import { build, json } from '../support/helper.js';
import { checkResponse, openapiDocument } from '../support/openapi.js';
import { records } from '../support/records.js';

/**
 * Partial updates (JSON Merge Patch, RFC 7396) on establishments, licences and enforcement actions,
 * and the PUT of exactly what a GET returned: the same command, rules and If-Match as a full update.
 */

const MERGE = { 'content-type': 'application/merge-patch+json' };

t.test('PATCH merges onto the stored record and keeps what it does not name', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth, 'GM0363', { kvkNumber: '12345678', bagId: '0363010000000001' });
  const url = `/v1/establishments/${est.id}`;

  const patched = await app.inject({
    method: 'PATCH',
    url,
    headers: { ...officer.auth, ...MERGE, 'if-match': '"1"' },
    payload: JSON.stringify({ name: 'Club Rood & Zwart', address: { houseNumber: 14 }, bagId: null }),
  });
  t.equal(patched.statusCode, 200, patched.body);
  t.equal(patched.headers.etag, '"2"');
  const after = json(patched);
  t.match(after, { name: 'Club Rood & Zwart', kvkNumber: '12345678', bagId: null, version: 2 });
  t.match(after.address, { street: est.address && (est.address as { street: string }).street, houseNumber: 14 }, 'nested object merged');

  const trail = json<{ items: { actorId: string; changedFields: string[] }[] }>(
    await app.inject({ url: `/v1/audit-trail?objectId=${est.id}`, headers: (await client('admin')).auth }),
  );
  t.ok(
    trail.items.some((e) => e.changedFields?.includes('name')),
    'the patch is audited as an update',
  );

  const json415 = await app.inject({
    method: 'PATCH',
    url,
    headers: { ...officer.auth, 'if-match': '"2"' },
    payload: { name: 'x' },
  });
  t.equal(json415.statusCode, 415, 'application/json is not a merge patch');

  const noIfMatch = await app.inject({ method: 'PATCH', url, headers: { ...officer.auth, ...MERGE }, payload: '{"name": 5}' });
  t.equal(noIfMatch.statusCode, 428, 'If-Match is required, and answered before the body is validated');

  const stale = await app.inject({
    method: 'PATCH',
    url,
    headers: { ...officer.auth, ...MERGE, 'if-match': '"1"' },
    payload: '{"name":"x"}',
  });
  t.equal(stale.statusCode, 412);

  const invalid = await app.inject({
    method: 'PATCH',
    url,
    headers: { ...officer.auth, ...MERGE, 'if-match': '"2"' },
    payload: JSON.stringify({ name: null, address: { postalCode: '1012 DK' }, colour: 'red', version: 7 }),
  });
  t.equal(invalid.statusCode, 400, invalid.body);
  const names = json<{ invalidParams: { name: string; code: string }[] }>(invalid)
    .invalidParams.map((p) => `${p.name}:${p.code}`)
    .sort();
  t.match(names.join(' '), /address\.postalCode/, 'a nested field error');
  t.match(names.join(' '), /colour:unknown_field/, 'an unknown member');
});

t.test('null in a part of a merge patch removes that member: a penalty without forfeitedCents has forfeited 0', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth, 'GM0363');
  const penalty = { amountCents: 250_000, unit: 'per_violation', maximumCents: 1_000_000, complianceDeadline: '2025-05-15' };
  const action = await make.action(officer.auth, est.id, {
    measure: 'penalty_order',
    fine: null,
    decisionDate: '2025-04-01',
    penalty: { ...penalty, forfeitedCents: 500_000 },
  });
  t.match(action.penalty, { forfeitedCents: 500_000 });

  const patched = await app.inject({
    method: 'PATCH',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...officer.auth, ...MERGE, 'if-match': `"${action.version}"` },
    payload: JSON.stringify({ penalty: { forfeitedCents: null } }),
  });
  t.equal(patched.statusCode, 200, patched.body);
  t.same(json(patched).penalty, { ...penalty, forfeitedCents: 0 }, 'removed, so 0 as when it was never sent; the rest kept');
  const url = `/v1/enforcement-actions/${action.id}`;
  t.same(checkResponse('PATCH', url, 200, patched.headers['content-type'] as string, patched.body, patched.headers), [], 'as documented');

  const required = await app.inject({
    method: 'PATCH',
    url: `/v1/enforcement-actions/${action.id}`,
    headers: { ...officer.auth, ...MERGE, 'if-match': `"${action.version + 1}"` },
    payload: JSON.stringify({ penalty: { amountCents: null } }),
  });
  t.equal(required.statusCode, 400, 'a member the penalty cannot go without cannot be removed');
  t.match(json(required).invalidParams, [{ name: 'penalty.amountCents' }]);
});

t.test('a merged record breaking a rule lists every error; the stage moves by PATCH', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const action = await make.action(officer.auth, est.id, { legalBasis: 'APV art. 3:4', caseReference: 'Z-2019-0042' });
  const url = `/v1/enforcement-actions/${action.id}`;
  const patch = (payload: unknown, version: number) =>
    app.inject({
      method: 'PATCH',
      url,
      headers: { ...officer.auth, ...MERGE, 'if-match': `"${version}"` },
      payload: JSON.stringify(payload),
    });

  const moved = await patch({ stage: 'objection' }, 1);
  t.equal(moved.statusCode, 200, moved.body);
  t.match(json(moved), { stage: 'objection', legalBasis: 'APV art. 3:4', caseReference: 'Z-2019-0042', version: 2 }, 'nothing else lost');

  const broken = await patch({ grounds: [], decisionDate: '2999-01-01', fine: { amountCents: -1 } }, 2);
  t.equal(broken.statusCode, 400, broken.body);
  const params = json<{ invalidParams: { name: string }[] }>(broken).invalidParams.map((p) => p.name);
  t.ok(params.includes('grounds') && params.includes('decisionDate') && params.some((n) => n.startsWith('fine')), `all listed: ${params}`);

  const backwards = await patch({ stage: 'intended' }, 2);
  t.equal(backwards.statusCode, 400, 'the lifecycle rule of a PUT applies');
});

t.test('licences: PATCH replaces the status history whole and re-derives the actions', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const lic = await make.licence(officer.auth, est.id);
  const url = `/v1/establishments/${est.id}/licences/${lic.id}`;
  const history = [...(lic.statusHistory as unknown[]), { status: 'revoked', effectiveDate: '2019-06-01' }];
  const res = await app.inject({
    method: 'PATCH',
    url,
    headers: { ...officer.auth, ...MERGE, 'if-match': '"1"' },
    payload: JSON.stringify({ statusHistory: history }),
  });
  t.equal(res.statusCode, 200, res.body);
  t.match(json(res), { status: 'revoked', licenceNumber: lic.licenceNumber, version: 2 });

  // Its externalReference, as with a create or a PUT (LicencePatch declares it): set, then cleared.
  const reference = (value: string | null, version: number) =>
    app.inject({
      method: 'PATCH',
      url,
      headers: { ...officer.auth, ...MERGE, 'if-match': `"${version}"` },
      payload: JSON.stringify({ externalReference: value }),
    });
  const set = await reference('VERG-7', 2);
  t.equal(set.statusCode, 200, set.body);
  t.match(json(set), { externalReference: 'VERG-7', status: 'revoked', version: 3 });
  t.same(checkResponse('PATCH', url, set.statusCode, set.headers['content-type'] as string, set.body, set.headers), [], 'as documented');
  const cleared = await reference(null, 3);
  t.equal(cleared.statusCode, 200, cleared.body);
  t.equal(json(cleared).externalReference, null, 'null clears it');
  const schemas = (openapiDocument.components as { schemas: Record<string, { properties: object }> }).schemas;
  t.ok('externalReference' in (schemas.LicencePatch?.properties ?? {}), 'LicencePatch has externalReference');
});

t.test('PUT of exactly what GET returned, or a PATCH of {}, changes nothing; a changed read-only field is named', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth, 'GM0363', { kvkNumber: '12345678' });
  const lic = await make.licence(officer.auth, est.id);
  const action = await make.action(officer.auth, est.id, { legalBasis: 'APV art. 3:4' });
  const admin = await client('admin');
  for (const url of [
    `/v1/establishments/${est.id}`,
    `/v1/establishments/${est.id}/licences/${lic.id}`,
    `/v1/enforcement-actions/${action.id}`,
  ]) {
    const read = await app.inject({ url, headers: officer.auth });
    const body = json(read);
    const put = await app.inject({
      method: 'PUT',
      url,
      headers: { ...officer.auth, 'if-match': read.headers.etag as string },
      payload: body,
    });
    t.equal(put.statusCode, 200, `${url}: ${put.body}`);
    t.same(json(put), body, `${url}: the record as it was, its version and updatedAt included`);
    t.equal(put.headers.etag, '"1"');
    const empty = await app.inject({ method: 'PATCH', url, headers: { ...officer.auth, ...MERGE, 'if-match': '"1"' }, payload: '{}' });
    t.same([empty.statusCode, json(empty)], [200, body], `${url}: PATCH {} too`);
    const trail = json<{ items: { action: string }[] }>(
      await app.inject({ url: `/v1/audit-trail?objectId=${body.id}`, headers: admin.auth }),
    );
    t.same(
      trail.items.map((e) => e.action),
      ['create'],
      `${url}: no audit entry for a change of nothing`,
    );
    const other = await app.inject({
      method: 'PUT',
      url,
      headers: { ...officer.auth, 'if-match': '"1"' },
      payload: { ...body, externalReference: `ref-${body.id}` },
    });
    t.same([other.statusCode, other.headers.etag], [200, '"2"'], `${url}: one field changed is a new version`);

    const changed = await app.inject({
      method: 'PUT',
      url,
      headers: { ...officer.auth, 'if-match': '"2"' },
      payload: { ...body, id: '00000000-0000-4000-8000-000000000000', createdAt: '2001-01-01T00:00:00.000Z' },
    });
    t.equal(changed.statusCode, 400, changed.body);
    t.match(json(changed), {
      invalidParams: [
        { name: 'id', code: 'read_only' },
        { name: 'createdAt', code: 'read_only' },
      ],
    });

    // A timestamp is an instant: the stored one written with more digits is the stored value.
    const now = await app.inject({ url, headers: officer.auth });
    const stored = json<{ createdAt: string; updatedAt: string }>(now);
    const digits = (stamp: string, more: string) => stamp.replace(/Z$/, `${more}Z`);
    const same = await app.inject({
      method: 'PUT',
      url,
      headers: { ...officer.auth, 'if-match': now.headers.etag as string },
      payload: { ...stored, createdAt: digits(stored.createdAt, '000'), updatedAt: digits(stored.updatedAt, '0') },
    });
    t.same([same.statusCode, same.headers.etag], [200, now.headers.etag], `${url}: …511000Z is …511Z (${same.body})`);
    const another = await app.inject({
      method: 'PUT',
      url,
      headers: { ...officer.auth, 'if-match': now.headers.etag as string },
      payload: { ...stored, createdAt: digits(stored.createdAt, '1') },
    });
    t.equal(another.statusCode, 400, `${url}: …5111Z is another instant`);
    t.match(json(another), { invalidParams: [{ name: 'createdAt', code: 'read_only' }] });
  }
});

t.test('a read-only field sent with another value is listed with every rule the new content breaks', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const lic = await make.licence(officer.auth, est.id);
  const action = await make.action(officer.auth, est.id);
  const names = (res: { body: string }) =>
    json<{ invalidParams: { name: string; code: string }[] }>(res)
      .invalidParams.map((p) => `${p.name}:${p.code}`)
      .sort();

  const url = `/v1/enforcement-actions/${action.id}`;
  const read = json(await app.inject({ url, headers: officer.auth }));
  const put = await app.inject({
    method: 'PUT',
    url,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: { ...read, createdAt: '2001-01-01T00:00:00.000Z', decisionDate: '2099-01-01', stage: 'intended' },
  });
  t.equal(put.statusCode, 400, put.body);
  t.same(names(put), ['createdAt:read_only', 'decisionDate:in_future', 'stage:transition_not_allowed'], 'PUT: all three at once');

  const patch = await app.inject({
    method: 'PATCH',
    url,
    headers: { ...officer.auth, ...MERGE, 'if-match': '"1"' },
    payload: JSON.stringify({ version: 9, stage: 'intended', grounds: ['hygiene', 'hygiene'] }),
  });
  t.equal(patch.statusCode, 400, patch.body);
  t.same(names(patch), ['grounds.1:duplicate', 'stage:transition_not_allowed', 'version:read_only'], 'PATCH: all three at once');

  const licence = await app.inject({
    method: 'PATCH',
    url: `/v1/establishments/${est.id}/licences/${lic.id}`,
    headers: { ...officer.auth, ...MERGE, 'if-match': '"1"' },
    payload: JSON.stringify({ status: 'revoked', validUntil: '2015-01-01' }),
  });
  t.equal(licence.statusCode, 400, licence.body);
  t.same(names(licence), ['status:read_only', 'validUntil:before_valid_from'], 'a licence too');

  const trail = json<{ items: unknown[] }>(
    await app.inject({ url: `/v1/audit-trail?objectId=${action.id}`, headers: (await client('admin')).auth }),
  );
  t.equal(trail.items.length, 1, 'nothing was written');
});

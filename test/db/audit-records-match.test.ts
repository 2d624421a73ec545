import t, { type Test } from 'tap';
import { RECORD_PROJECTIONS } from '../../src/infrastructure/audit/verify.js';
import { asSuperuser, withHistory } from '../support/audit.js';
import { build, json, sample } from '../support/helper.js';

/**
 * Verification compares each live record's content with the `after` of the audit entry for its
 * current version, not only the version: a record changed in the database behind the service's
 * back, without a new version, is counted in `recordsNotMatchingTrail` and fails the check.
 */

interface Verification {
  ok: boolean;
  problem: string | null;
  recordsWithoutTrail: number;
  recordsNotMatchingTrail: number;
  entriesWithoutRecord: number;
}

const verifyWith = (app: Awaited<ReturnType<typeof build>>['app'], auth: { authorization: string }) => async () => {
  const res = await app.inject({ url: '/v1/audit-trail/verification', headers: auth });
  if (res.statusCode !== 200) throw new Error(res.body);
  return json<Verification>(res);
};

t.test('an action or an establishment changed in the database without a new version is counted', async (t) => {
  const ctx = await withHistory(t);
  const admin = await ctx.client('admin');
  const verify = verifyWith(ctx.app, admin.auth);
  t.match(await verify(), { ok: true, recordsWithoutTrail: 0, recordsNotMatchingTrail: 0, problem: null });
  const [action] = await asSuperuser<{ id: string }>(ctx.database, "select id from enforcement_actions where decision_date = '2019-02-10'");

  await asSuperuser(
    ctx.database,
    `update enforcement_actions set measure = 'warning', fine_amount_cents = null where id = '${action?.id}'`,
  );
  t.match(
    await verify(),
    {
      ok: false,
      recordsWithoutTrail: 0,
      recordsNotMatchingTrail: 1,
      problem: /1 record\(s\) differ from the audit entry for their current version/,
    },
    'a measure changed (the version kept): found',
  );
  const cli = await ctx.cli();
  t.equal(cli.code, 1, 'npm run audit:verify exits 1');
  t.match(cli.out, /"recordsNotMatchingTrail": ?1/);

  await asSuperuser(
    ctx.database,
    `update enforcement_actions set measure = 'administrative_fine', fine_amount_cents = 150000 where id = '${action?.id}'`,
  );
  t.match(await verify(), { ok: true, recordsNotMatchingTrail: 0 }, 'put back as the trail has it: fine again');

  await asSuperuser(ctx.database, `update enforcement_actions set decision_date = '2019-02-11' where id = '${action?.id}'`);
  t.match(await verify(), { ok: false, recordsNotMatchingTrail: 1 }, 'a decision date changed: found');
  await asSuperuser(ctx.database, `update establishments set name = 'Club Anders', house_number = 14`);
  t.match(await verify(), { ok: false, recordsNotMatchingTrail: 2 }, 'an establishment’s name and address changed: found too');
  await asSuperuser(ctx.database, "update api_clients set role = 'admin', municipality_code = null where role = 'officer'");
  t.match(await verify(), { ok: false, recordsNotMatchingTrail: 3 }, 'an officer made admin: found too');
});

/** Every record type, created, corrected, deleted, re-derived, revoked, imported: the untouched registry holds no alarm. */
async function busyRegistry(t: Test) {
  const ctx = await build(t);
  const officer = await ctx.client('officer', 'GM0363');
  const admin = await ctx.client('admin');
  const made: Record<string, Record<string, unknown>[]> = {
    establishment: [],
    licence: [],
    enforcement_action: [],
    municipality: [],
    api_client: [],
  };
  const send = async (
    type: keyof typeof made | null,
    method: 'POST' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers: Record<string, string> = officer.auth,
  ) => {
    const res = await ctx.app.inject({
      method,
      url,
      headers: { ...headers, ...(method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}) },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    t.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    const body = res.body ? json(res) : {};
    if (type && method === 'POST') made[type]?.push(body);
    return body;
  };
  const est = await send(
    'establishment',
    'POST',
    '/v1/establishments',
    sample.establishment('GM0363', {
      kvkNumber: '12345678',
      bagId: '0363010000000001',
      externalReference: 'EST-1',
      address: { street: 'Oudezijds Achterburgwal', houseNumber: 12, houseNumberAddition: 'A', postalCode: '1012DK', city: 'Amsterdam' },
    }),
  );
  await send(null, 'PATCH', `/v1/establishments/${est.id}`, { name: 'Club Rood & Zwart' }, { ...officer.auth, 'if-match': '"1"' });
  const gone = await send('establishment', 'POST', '/v1/establishments', sample.establishment('GM0363', { name: 'Weg' }));
  await send(null, 'DELETE', `/v1/establishments/${gone.id}`, undefined, { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'test' });

  const lic = await send('licence', 'POST', `/v1/establishments/${est.id}/licences`, sample.licence({ externalReference: 'LIC-1' }));
  const actions = [
    sample.action(est.id as string, {
      decisionDate: '2019-01-10',
      legalBasis: 'APV Amsterdam art. 3.27',
      caseReference: 'Z-1',
      zaakUrl: 'https://zaken.example.nl/zaken/api/v1/zaken/1',
      besluitUrl: 'https://besluiten.example.nl/api/v1/besluiten/2',
      externalReference: 'ACT-1',
    }),
    sample.action(est.id as string, {
      measure: 'penalty_order',
      fine: undefined,
      decisionDate: '2019-03-10',
      penalty: { amountCents: 50_000, unit: 'per_day', maximumCents: 500_000, complianceDeadline: '2019-06-01', forfeitedCents: 100_000 },
    }),
    sample.action(est.id as string, {
      measure: 'closure',
      fine: undefined,
      decisionDate: '2019-04-10',
      closure: { startDate: '2019-05-10' },
    }),
    sample.action(est.id as string, { measure: 'warning', fine: undefined, decisionDate: '2019-05-10' }),
  ];
  const created: Record<string, unknown>[] = [];
  for (const a of actions) created.push(await send('enforcement_action', 'POST', '/v1/enforcement-actions', a));
  await send(null, 'PATCH', `/v1/enforcement-actions/${created[0]?.id}`, { stage: 'final' }, { ...officer.auth, 'if-match': '"1"' });
  await send(null, 'DELETE', `/v1/enforcement-actions/${created[3]?.id}`, undefined, {
    ...officer.auth,
    'if-match': '"1"',
    'x-audit-reason': 'test',
  });
  // A licence revoked in 2019: the actions after it are re-derived (unlicensed), each a new version with a rederive entry.
  await send(
    null,
    'PATCH',
    `/v1/establishments/${est.id}/licences/${lic.id}`,
    {
      statusHistory: [
        { status: 'granted', effectiveDate: '2016-01-01' },
        { status: 'revoked', effectiveDate: '2019-02-01' },
      ],
    },
    { ...officer.auth, 'if-match': '"1"' },
  );
  const other = await send(
    'licence',
    'POST',
    `/v1/establishments/${est.id}/licences`,
    sample.licence({
      licenceNumber: 'EV-2030-9',
      validFrom: '2030-01-01',
      validUntil: null,
      statusHistory: [{ status: 'granted', effectiveDate: '2030-01-01' }],
    }),
  );
  await send(null, 'DELETE', `/v1/establishments/${est.id}/licences/${other.id}`, undefined, {
    ...officer.auth,
    'if-match': '"1"',
    'x-audit-reason': 'test',
  });
  made.licence = made.licence?.filter((l) => l.id !== other.id) ?? [];

  await send('municipality', 'POST', '/v1/municipalities', { code: 'GM0997', name: 'Ergens', programmes: ['LPP'] }, admin.auth);
  const rogue = await send('api_client', 'POST', '/v1/api-clients', { name: 'kort', role: 'analyst' }, admin.auth);
  await send(null, 'DELETE', `/v1/api-clients/${rogue.id}`, undefined, { ...admin.auth, 'if-match': '"1"' });

  // Records through an import: establishments (one created, then one corrected by a second file) and an action.
  const importFile = async (body: string, query: string, contentType: string) => {
    const res = await ctx.app.inject({
      method: 'POST',
      url: `/v1/imports?${query}`,
      headers: { ...officer.auth, 'content-type': contentType },
      payload: body,
    });
    t.equal(res.statusCode, 202, res.body);
    while (await ctx.services.imports.worker.runOnce()) {
      // until no job waits
    }
    const job = json(await ctx.app.inject({ url: res.headers.location as string, headers: officer.auth }));
    t.match(job, { state: 'succeeded', counts: { rejected: 0 } }, JSON.stringify(job));
  };
  const header = 'externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId';
  const row = 'IMP-1,GM0363,Club Import,club,Singel,5,,1015AB,Amsterdam,87654321,';
  await importFile([header, row].join('\n'), 'recordType=establishments', 'text/csv');
  await importFile([header, row.replace('Club Import', 'Club Import II')].join('\n'), 'recordType=establishments', 'text/csv');
  const imported = JSON.stringify({
    externalReference: 'IMP-A-1',
    establishmentReference: 'IMP-1',
    measure: 'administrative_fine',
    grounds: ['hygiene'],
    stage: 'decided',
    decisionDate: '2020-05-01',
    fineAmountCents: 150000,
  });
  await importFile(imported, 'recordType=enforcement-actions', 'application/x-ndjson');
  return { ...ctx, officer, admin, made, verify: verifyWith(ctx.app, admin.auth) };
}

t.test('an untouched registry with every record type, corrected and deleted, reports no difference', async (t) => {
  const { verify } = await busyRegistry(t);
  t.match(await verify(), { ok: true, recordsWithoutTrail: 0, recordsNotMatchingTrail: 0, entriesWithoutRecord: 0, problem: null });
});

t.test('a record put back to an earlier version, or a licence deleted outright put back, is counted', async (t) => {
  const { verify, database } = await busyRegistry(t);
  t.match(await verify(), { ok: true, recordsWithoutTrail: 0 });

  // An API client revoked, then un-revoked in the database with its version-1 content (whose entry exists).
  const [rogue] = await asSuperuser<{ id: string; revoked: string }>(
    database,
    "select id, revoked_at::text as revoked from api_clients where name = 'kort'",
  );
  await asSuperuser(database, `update api_clients set revoked_at = null, version = 1 where id = '${rogue?.id}'`);
  t.match(await verify(), { ok: false, recordsWithoutTrail: 1 }, 'an API client un-revoked behind the service’s back: found');
  await asSuperuser(database, `update api_clients set revoked_at = '${rogue?.revoked}', version = 2 where id = '${rogue?.id}'`);
  t.match(await verify(), { ok: true, recordsWithoutTrail: 0 }, 'revoked again, as the trail has it: fine');

  // A licence deleted outright (its delete entry holds it as it was), inserted again from that entry.
  await asSuperuser(
    database,
    `insert into licences (id, establishment_id, municipality_code, licence_number, valid_from, valid_until, status_history,
       external_reference, created_at, updated_at, created_by, updated_by, version)
     select (before->>'id')::uuid, (before->>'establishmentId')::uuid, 'GM0363', before->>'licenceNumber', (before->>'validFrom')::date,
       (before->>'validUntil')::date, before->'statusHistory', before->>'externalReference', (before->>'createdAt')::timestamptz,
       (before->>'updatedAt')::timestamptz, client_id::uuid, client_id::uuid, (before->>'version')::int
     from audit_log where object_type = 'licence' and action = 'delete'`,
  );
  t.match(await verify(), { ok: false, recordsWithoutTrail: 1 }, 'a licence deleted outright, back again: found');
});

t.test('each projection is the record as the API shows it, bar the fields derived when read', async (t) => {
  const { app, admin, officer, database, made } = await busyRegistry(t);
  const urls: Record<string, (r: Record<string, unknown>) => string> = {
    establishment: (r) => `/v1/establishments/${r.id}`,
    licence: (r) => `/v1/establishments/${r.establishmentId}/licences/${r.id}`,
    enforcement_action: (r) => `/v1/enforcement-actions/${r.id}`,
    municipality: (r) => `/v1/municipalities/${r.code}`,
    api_client: (r) => `/v1/api-clients/${r.id}`,
  };
  const derived: Record<string, string[]> = { licence: ['status', 'statusDate'] };
  /** Kinds of record deleted as tombstones; a licence is deleted outright. */
  const tombstoned = new Set(['establishment', 'enforcement_action']);
  for (const [type, p] of Object.entries(RECORD_PROJECTIONS)) {
    const records = made[type] ?? [];
    let compared = 0;
    for (const r of records) {
      const key = (type === 'municipality' ? r.code : r.id) as string;
      const res = await app.inject({
        url: urls[type]?.(r) as string,
        headers: type === 'municipality' || type === 'api_client' ? admin.auth : officer.auth,
      });
      if (res.statusCode === 404) {
        const [row] = await asSuperuser<{ live: boolean }>(
          database,
          `select ${tombstoned.has(type) ? 'deleted_at is null' : 'true'} as live from ${p.table} where ${p.id} = '${key}'`,
        );
        t.notOk(row?.live, `${type} ${key}: a 404 only for a deleted record`);
        continue;
      }
      const shown = json(res);
      for (const field of derived[type] ?? []) delete shown[field];
      const [row] = await asSuperuser<{ fields: unknown }>(
        database,
        `select ${p.fields} as fields from ${p.table} where ${p.id} = '${key}'`,
      );
      t.strictSame(row?.fields, shown, `${type} ${key}`);
      compared += 1;
    }
    t.ok(compared > 0, `${type}: ${compared} of ${records.length} records compared with what the API shows`);
  }
});

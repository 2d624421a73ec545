import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { Readable } from 'node:stream';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { servicesFor } from '../../src/app.js';
import { clientContext } from '../../src/application/context.js';
import { createExporter } from '../../src/application/transfer/export.js';
import { MOST_INVALID_RECORDS } from '../../src/http/transfer-files.js';
import { renewValidation } from '../../src/infrastructure/repositories/imports.js';
import { serializeError } from '../../src/logger.js';
import { json, sample, testConfig, usingPostgres } from '../support/helper.js';
import { EST_HEADER, type Job, setUp } from '../support/imports.js';
import { openapiDocument } from '../support/openapi.js';
import { comparable, type Dim, expectedTable, type RawAction, withoutAsOf } from '../support/statistics.js';

const establishmentsCsv = [
  EST_HEADER,
  'E-1,GM0363,Club Rood,club,Oudezijds Achterburgwal,12,A,1012DK,Amsterdam,12345678,',
  'E-2,,"Huis ""De Gracht""",private_house,Singel,5,,1015AB,Amsterdam,,',
].join('\r\n');
const licencesCsv = [
  'externalReference,establishmentReference,licenceNumber,validFrom,validUntil,statusHistory',
  'L-1,E-1,EV-2016-001,2016-01-01,2020-12-31,granted:2016-01-01|suspended:2018-03-01|granted:2018-06-01',
].join('\n');
const actionsNdjson = [
  JSON.stringify({
    externalReference: 'A-1',
    establishmentReference: 'E-1',
    measure: 'administrative_fine',
    grounds: ['hygiene'],
    stage: 'decided',
    decisionDate: '2019-05-01',
    fineAmountCents: 150000,
  }),
  JSON.stringify({
    externalReference: 'A-2',
    establishmentReference: 'E-2',
    measure: 'penalty_order',
    grounds: 'no_manager_present|other',
    stage: 'final',
    decisionDate: '2021-02-03',
    penaltyAmountCents: '50000',
    penaltyUnit: 'per_day',
    penaltyMaximumCents: 1500000,
    penaltyComplianceDeadline: '2021-03-01',
    legalBasis: '=HYPERLINK("http://x")',
  }),
].join('\n');

t.test('import CSV and NDJSON, re-import, update, export, round trip into an empty registry', async (t) => {
  const a = await setUp(t);
  const est = await a.importFile(establishmentsCsv, 'recordType=establishments');
  t.match(est, { state: 'succeeded', rowsTotal: 2, rowsDone: 2, counts: { created: 2, updated: 0, unchanged: 0, rejected: 0 } });
  const lic = await a.importFile(licencesCsv, 'recordType=licences');
  t.match(lic, { state: 'succeeded', counts: { created: 1 } });
  const act = await a.importFile(actionsNdjson, 'recordType=enforcement-actions', 'application/x-ndjson');
  t.match(act, { state: 'succeeded', counts: { created: 2, rejected: 0 } }, JSON.stringify(act.problems));

  // The same file again changes nothing.
  const again = await a.importFile(establishmentsCsv, 'recordType=establishments&mode=row-by-row');
  t.match(again, { state: 'succeeded', counts: { created: 0, updated: 0, unchanged: 2, rejected: 0 } });
  const againActions = await a.importFile(actionsNdjson, 'recordType=enforcement-actions', 'application/x-ndjson');
  t.match(againActions.counts, { created: 0, updated: 0, unchanged: 2 });

  // A changed record is updated, and its audit entry names the import.
  const changed = await a.importFile(establishmentsCsv.replace('Club Rood', 'Club Blauw'), 'recordType=establishments');
  t.match(changed.counts, { created: 0, updated: 1, unchanged: 1 });
  const list = json<{ items: { id: string; name: string; externalReference: string }[] }>(
    await a.app.inject({ url: '/v1/establishments', headers: a.officer.auth }),
  );
  const e1 = list.items.find((e) => e.externalReference === 'E-1');
  t.equal(e1?.name, 'Club Blauw');
  const trail = json<{ items: { action: string; reason: string; clientId: string }[] }>(
    await a.app.inject({ url: `/v1/establishments/${e1?.id}/audit-trail`, headers: a.officer.auth }),
  );
  t.match(trail.items.at(-1) ?? trail.items[0], { clientId: a.officer.id });
  t.ok(
    trail.items.some((i) => i.action === 'update' && i.reason === `import ${changed.id}`),
    'the update is attributed to the import',
  );

  // The derived licence status is the API's: licensed on 2019-05-01 (E-1 holds L-1), unlicensed for E-2.
  const actions = json<{ items: { externalReference: string; licenceStatus: string }[] }>(
    await a.app.inject({ url: '/v1/enforcement-actions', headers: a.officer.auth }),
  );
  t.same(Object.fromEntries(actions.items.map((x) => [x.externalReference, x.licenceStatus])), { 'A-1': 'licensed', 'A-2': 'unlicensed' });

  // Export in every format.
  const csv = await a.exportOf('enforcement-actions');
  t.equal(csv.statusCode, 200, csv.body);
  t.match(csv.headers['content-type'], /^text\/csv/);
  t.match(csv.body, /^externalReference,establishmentReference,measure,/);
  t.match(csv.body, /'=HYPERLINK\(""http:\/\/x""\)/, 'a formula is exported as text, with a leading quote');
  const excel = await a.exportOf('establishments', 'csv-excel');
  t.ok(excel.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'Excel dialect starts with the UTF-8 BOM');
  t.match(excel.body, /externalReference;municipalityCode;name;/);
  t.match(excel.body, /"Huis ""De Gracht"""/);
  const nd = await a.exportOf('licences', 'ndjson');
  t.match(nd.headers['content-type'], /^application\/x-ndjson/);
  t.match(JSON.parse(nd.body.trim().split('\n')[0] as string), {
    externalReference: 'L-1',
    establishmentReference: 'E-1',
    statusHistory: [{ status: 'granted' }, { status: 'suspended' }, { status: 'granted' }],
  });

  // In batches of one record the rows are the same (the keyset continues where the last batch ended).
  const small = createExporter(a.database, 1);
  const batches: string[] = [];
  const officerCtx = clientContext(
    { clientId: a.officer.id, name: 'o', role: 'officer', municipalityCode: 'GM0363' },
    { requestId: null, reason: null },
  );
  await small.run(officerCtx, 'enforcement-actions', 'GM0363', async (rows) => {
    t.equal(rows.length, 1);
    batches.push(JSON.stringify(rows[0]));
  });
  t.equal(batches.length, 2);
  t.same(batches, (await a.exportOf('enforcement-actions', 'ndjson')).body.trim().split('\n'));

  // Round trip: the exports, imported into an empty registry, give the same exports.
  const b = await setUp(t);
  const formats = { establishments: 'csv-excel', licences: 'csv', 'enforcement-actions': 'ndjson' } as const;
  for (const [type, format] of Object.entries(formats)) {
    const file = await a.exportOf(type, format);
    const job = await b.importFile(file.rawPayload, `recordType=${type}`, format === 'ndjson' ? 'application/x-ndjson' : 'text/csv');
    t.match(job, { state: 'succeeded', counts: { rejected: 0 } }, `${type} imported again: ${JSON.stringify(job.problems)}`);
  }
  for (const type of Object.keys(formats)) {
    for (const format of ['csv', 'ndjson']) {
      const sort = (s: string) => s.trim().split(/\r?\n/).sort().join('\n');
      t.equal(sort((await b.exportOf(type, format)).body), sort((await a.exportOf(type, format)).body), `${type} ${format} the same`);
    }
  }
  const stats = async (x: typeof a) =>
    withoutAsOf(
      json<{ countingRule: unknown }>(
        await x.app.inject({ url: '/v1/statistics/enforcement-actions?groupBy=year,licenceStatus,measure', headers: x.officer.auth }),
      ),
    );
  t.same(await stats(b), await stats(a), 'the statistics agree after the round trip');

  // The rollups stay exact after an import: the API's figures equal a count over the raw rows.
  const analyst = await b.client('analyst');
  const raw = (
    (await b.database.owner.execute(sql`select a.*, a.decision_date::text as decision_date from enforcement_actions a`)) as unknown as {
      rows: RawAction[];
    }
  ).rows;
  const municipalities = (
    (await b.database.owner.execute(sql`select code from municipalities`)) as unknown as { rows: { code: string }[] }
  ).rows.map((m) => m.code);
  for (const groupBy of [['year'], ['year', 'municipality', 'licenceStatus', 'measure'], ['ground', 'stage']] as Dim[][]) {
    const res = await b.app.inject({
      url: `/v1/statistics/enforcement-actions?yearFrom=2016&yearTo=2024&groupBy=${groupBy.join(',')}`,
      headers: analyst.auth,
    });
    const got = comparable(json<{ items: Record<string, unknown>[] }>(res).items, groupBy);
    const want = expectedTable(raw, {
      groupBy,
      from: '2016-01-01',
      to: '2024-12-31',
      municipalities,
      stages: ['decided', 'objection', 'appeal', 'final'],
    });
    const key = (r: { key: unknown }) => JSON.stringify(r.key);
    t.same(
      [...got].sort((x, y) => key(x).localeCompare(key(y))),
      [...want].sort((x, y) => key(x).localeCompare(key(y))),
      `rollups exact after an import, by ${groupBy.join(',')}`,
    );
  }
});

t.test('dry-run, all-or-nothing and row-by-row; every problem with line, column and code', async (t) => {
  const a = await setUp(t);
  const bad = [
    EST_HEADER,
    'E-1,GM0363,Club Rood,club,Kade,12,,1012DK,Amsterdam,,', // line 2: fine
    'E-2,GM0363,Club,castle,Kade,twelve,,1012 DK,Amsterdam,,', // line 3: kind, houseNumber, postalCode
    'E-3,GM0363,"Club',
    'Nacht",club,Kade,1,,1012DK,Amsterdam,,', // lines 4-5: a line break in a name
    'E-4,GM0363,Club Vier,club,Kade,4,,1012DK,Amsterdam,,', // line 6: fine
    'E-1,GM0363,Club Dubbel,club,Kade,9,,1012DK,Amsterdam,,', // line 7: E-1 again (updates line 2's record)
    'E-5,GM0599,Elders,club,Kade,1,,1012DK,Amsterdam,,', // line 8: another municipality
  ].join('\r\n');

  const dry = await a.importFile(bad, 'recordType=establishments&dryRun=true');
  t.match(dry, { state: 'succeeded', rowsDone: 6, counts: { created: 2, updated: 1, rejected: 3 } });
  const where = dry.problems.map((p) => `${p.line}:${p.column}:${p.code}`).sort();
  t.same(where, [
    '3:houseNumber:invalid_type',
    '3:kind:invalid_value',
    '3:postalCode:invalid_format',
    '4:name:control_character',
    '8:municipalityCode:forbidden',
  ]);
  t.equal(
    json<{ totalItems: number }>(await a.app.inject({ url: '/v1/establishments', headers: a.officer.auth })).totalItems,
    0,
    'dry-run wrote nothing',
  );

  const whole = await a.importFile(bad, 'recordType=establishments');
  t.match(whole, { state: 'failed', counts: { rejected: 3 }, problemsTotal: 5 });
  t.equal(
    json<{ totalItems: number }>(await a.app.inject({ url: '/v1/establishments', headers: a.officer.auth })).totalItems,
    0,
    'all or nothing: nothing',
  );

  const rows = await a.importFile(bad, 'recordType=establishments&mode=row-by-row');
  t.match(rows, { state: 'succeeded', counts: { created: 2, updated: 1, rejected: 3 } });
  t.equal(json<{ totalItems: number }>(await a.app.inject({ url: '/v1/establishments', headers: a.officer.auth })).totalItems, 2);

  // A licence that refers to an establishment the municipality does not have.
  const orphan = await a.importFile(licencesCsv.replace(',E-1,', ',E-404,'), 'recordType=licences&dryRun=true');
  t.match(orphan.problems, [{ line: 2, column: 'establishmentReference', code: 'unknown_reference' }]);
});

const ACT_HEADER =
  'externalReference,establishmentReference,measure,grounds,stage,decisionDate,fineAmountCents,penaltyAmountCents,penaltyUnit,penaltyMaximumCents,penaltyComplianceDeadline,penaltyForfeitedCents,closureStartDate,closureEndDate,legalBasis,caseReference';
const fine = (ref: string, est: string, date: string, cents: string) =>
  `${ref},${est},administrative_fine,hygiene,decided,${date},${cents},,,,,,,,,`;

for (const batchSize of [500, 2]) {
  t.test(`new actions created together in batches of ${batchSize}: the outcomes of one after another`, async (t) => {
    const a = await setUp(t, { IMPORT_BATCH_SIZE: String(batchSize) });
    await a.importFile(establishmentsCsv, 'recordType=establishments');
    await a.importFile(licencesCsv, 'recordType=licences');
    const file = [
      ACT_HEADER,
      fine('A-1', 'E-1', '2019-05-01', '150000'), // line 2: created
      fine('A-2', 'E-1', '2099-01-01', '100'), // line 3: a rule (decision in the future)
      fine('A-1', 'E-1', '2019-05-01', '175000'), // line 4: A-1 again, changed: updates line 2's record
      fine('A-3', 'E-404', '2019-05-01', '100'), // line 5: no such establishment
      fine('A-4', 'E-2', '2018-04-01', '5000'), // line 6: created (E-2 holds no licence)
      fine('A-5', 'E-1', '2018-04-01', 'lots'), // line 7: not a number
      fine('A-6', 'E-1', '2018-04-01', '5000'), // line 8: created (L-1 suspended on that day)
      fine('A-6', 'E-1', '2018-04-01', '5000'), // line 9: A-6 again, the same: unchanged
    ].join('\n');
    const job = await a.importFile(file, 'recordType=enforcement-actions&mode=row-by-row');
    t.match(job, { state: 'succeeded', rowsDone: 8, counts: { created: 3, updated: 1, unchanged: 1, rejected: 3 } });
    t.same(
      job.problems.map((p) => `${p.line}:${p.column}:${p.code}`),
      ['3:decisionDate:in_future', '5:establishmentReference:unknown_reference', '7:fineAmountCents:invalid_type'],
      'every problem, in the order of the file',
    );
    const actions = json<{ items: { id: string; externalReference: string; licenceStatus: string; fine: { amountCents: number } }[] }>(
      await a.app.inject({ url: '/v1/enforcement-actions', headers: a.officer.auth }),
    ).items;
    t.same(
      Object.fromEntries(actions.map((x) => [x.externalReference, [x.licenceStatus, x.fine.amountCents]])),
      { 'A-1': ['licensed', 175000], 'A-4': ['unlicensed', 5000], 'A-6': ['unlicensed', 5000] },
      'each with the licence status a POST derives, A-1 as line 4 left it',
    );
    const trail = await a.database.owner.execute(
      sql`select object_id, action, reason, client_id, occurred_at from audit_log where object_type = 'enforcement_action' order by object_id, seq`,
    );
    const entries = (
      trail as unknown as { rows: { object_id: string; action: string; reason: string; client_id: string; occurred_at: unknown }[] }
    ).rows;
    const ref = new Map(actions.map((x) => [x.id, x.externalReference]));
    t.same(
      entries.map((e) => `${ref.get(e.object_id)}:${e.action}`).sort(),
      ['A-1:create', 'A-1:update', 'A-4:create', 'A-6:create'],
      'one create entry per new action, and the update of A-1',
    );
    const a1 = entries.filter((e) => ref.get(e.object_id) === 'A-1').map((e) => e.action);
    t.same(a1, ['create', 'update'], 'the create of A-1 comes before its update in the chain');
    const commands = new Set(entries.filter((e) => e.action === 'create').map((e) => String(e.occurred_at)));
    t.equal(
      commands.size,
      batchSize === 500 ? 1 : 3,
      'the creates of a batch are one command (one time for their entries): one batch of 500, or three batches of 2 with a create',
    );
    t.ok(
      entries.every((e) => e.reason === `import ${job.id}` && e.client_id === a.officer.id),
      'every entry names the officer and the import',
    );
    const rollup = json<{ items: { licenceStatus: string; actions: number }[] }>(
      await a.app.inject({
        url: '/v1/statistics/enforcement-actions?groupBy=licenceStatus&yearFrom=2018&yearTo=2019',
        headers: a.officer.auth,
      }),
    );
    t.same(
      Object.fromEntries(rollup.items.map((i) => [i.licenceStatus, i.actions])),
      { licensed: 1, unlicensed: 2 },
      'the statistics count the three actions',
    );
  });
}

t.test('the person an upload is made for is named in the audit entries of the records it writes', async (t) => {
  const a = await setUp(t);
  const wire = (s: string) => Buffer.from(s, 'utf8').toString('latin1'); // header bytes as the socket hands them over
  const res = await a.upload(establishmentsCsv, 'recordType=establishments', 'text/csv', {
    ...a.officer.auth,
    'x-acting-user': wire('j.de.vries'),
    'x-acting-user-name': wire('Jöns de Vries'),
  });
  t.equal(res.statusCode, 202, res.body);
  while (await a.services.imports.worker.runOnce()) {
    // until no job waits
  }
  const job = json<Job>(await a.app.inject({ url: res.headers.location as string, headers: a.officer.auth }));
  t.match(job, { state: 'succeeded', counts: { created: 2 } });
  const trail = json<{ items: { action: string; objectType: string; reason: string; actor?: unknown }[] }>(
    await a.app.inject({ url: `/v1/audit-trail?actorId=j.de.vries`, headers: (await a.client('admin')).auth }),
  );
  const created = trail.items.filter((e) => e.objectType === 'establishment' && e.action === 'create');
  t.equal(created.length, 2, 'both records the import created are found by the person');
  t.same(
    created.map((e) => [e.reason, e.actor]),
    created.map(() => [`import ${job.id}`, { id: 'j.de.vries', name: 'Jöns de Vries', verified: false }]),
  );

  // Without the headers the entries name the client only, as before.
  await a.importFile(establishmentsCsv.replace('Club Rood', 'Club Groen'), 'recordType=establishments');
  const all = json<{ items: { action: string; actor?: unknown }[] }>(
    await a.app.inject({ url: '/v1/audit-trail?action=update', headers: (await a.client('admin')).auth }),
  );
  t.equal(all.items.length, 1);
  t.equal(all.items[0]?.actor, null, 'no person declared, none recorded');
});

t.test('a batch of more records than one INSERT holds: every action, audit entry and event is written', async (t) => {
  const a = await setUp(t, { IMPORT_BATCH_SIZE: '5000' });
  await a.importFile(establishmentsCsv, 'recordType=establishments');
  const n = 4500; // 4500 audit entries of 16 columns: more parameters than one statement takes (65,535)
  const file = [ACT_HEADER, ...Array.from({ length: n }, (_, i) => fine(`B-${i}`, i % 2 ? 'E-1' : 'E-2', '2020-06-01', String(100 + i)))];
  const job = await a.importFile(file.join('\n'), 'recordType=enforcement-actions&mode=row-by-row');
  t.match(job, { state: 'succeeded', rowsDone: n, counts: { created: n, rejected: 0 } });
  const count = async (query: ReturnType<typeof sql>) =>
    Number(((await a.database.owner.execute(query)) as unknown as { rows: { n: number | string }[] }).rows[0]?.n);
  t.equal(await count(sql`select count(*) as n from enforcement_actions`), n);
  t.equal(await count(sql`select count(*) as n from audit_log where object_type = 'enforcement_action' and action = 'create'`), n);
  t.equal(await count(sql`select count(distinct object_id) as n from audit_log where object_type = 'enforcement_action'`), n);
  t.equal(
    await count(sql`select count(distinct occurred_at) as n from audit_log where object_type = 'enforcement_action'`),
    1,
    'one command made them all (not the record-by-record fallback)',
  );
  t.ok((await count(sql`select count(*) as n from outbox_events`)) >= n, 'an event for every action (and the statistics event)');
  const exported = await a.exportOf('enforcement-actions');
  t.equal(exported.body.trim().split('\n').length, n + 1, 'the export holds them all');
});

t.test('an export leaves deleted records out, whichever page they fall on', async (t) => {
  const a = await setUp(t);
  await a.importFile(establishmentsCsv, 'recordType=establishments');
  const file = [ACT_HEADER, ...Array.from({ length: 7 }, (_, i) => fine(`D-${i}`, 'E-1', '2020-06-01', String(100 + i)))];
  t.match(await a.importFile(file.join('\n'), 'recordType=enforcement-actions'), { counts: { created: 7 } });
  const listed = json<{ items: { id: string; externalReference: string }[] }>(
    await a.app.inject({ url: '/v1/enforcement-actions', headers: a.officer.auth }),
  ).items.sort((x, y) => x.id.localeCompare(y.id));
  const gone = [listed[0], listed[3], listed[6]].map((x) => x as { id: string; externalReference: string }); // first, middle, last in id order
  for (const x of gone) {
    const res = await a.app.inject({
      method: 'DELETE',
      url: `/v1/enforcement-actions/${x.id}`,
      headers: { ...a.officer.auth, 'if-match': '"1"', 'x-audit-reason': 'recorded twice' },
    });
    t.equal(res.statusCode, 204);
  }
  const expected = listed.filter((x) => !gone.includes(x)).map((x) => x.externalReference);
  const references = (body: string) =>
    body
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
  t.same(references((await a.exportOf('enforcement-actions')).body), expected, 'the live four, in id order');
  const officerCtx = clientContext(
    { clientId: a.officer.id, name: 'o', role: 'officer', municipalityCode: 'GM0363' },
    { requestId: null, reason: null },
  );
  for (const size of [1, 2, 3]) {
    const seen: string[] = [];
    await createExporter(a.database, size).run(officerCtx, 'enforcement-actions', 'GM0363', async (rows) => {
      seen.push(...rows.map((r) => String(r.externalReference)));
    });
    t.same(seen, expected, `in pages of ${size}`);
  }
});

t.test('bad files get clear answers', async (t) => {
  const a = await setUp(t, { IMPORT_BODY_LIMIT_BYTES: '4096' });

  const latin1 = Buffer.concat([
    Buffer.from(`${EST_HEADER}\nE-1,GM0363,Caf`),
    Buffer.from([0xe9]),
    Buffer.from(',club,Kade,1,,1012DK,Amsterdam,,\n'),
  ]);
  const encoding = await a.upload(latin1, 'recordType=establishments');
  t.equal(encoding.statusCode, 400);
  t.match(json(encoding), { code: 'invalid-encoding', detail: /at line 2 \(byte offset 130: 0xE9\)/ });
  // Excel's "CSV UTF-8" opens the file with a byte-order mark: the report still names the line and byte.
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), latin1]);
  const bomEncoding = await a.upload(withBom, 'recordType=establishments');
  t.equal(bomEncoding.statusCode, 400);
  t.match(json(bomEncoding), { code: 'invalid-encoding', detail: /at line 2 \(byte offset 133: 0xE9\)/ });

  // dryRun is true or false as written: `yes`, `1` or `on` were read as true, and `off` as false.
  for (const word of ['yes', '1', 'on', 'off', 'TRUE', '']) {
    const res = await a.upload(establishmentsCsv, `recordType=establishments&dryRun=${word}`);
    t.equal(res.statusCode, 400, `dryRun=${word}`);
    t.same(
      json<{ invalidParams: { name: string }[] }>(res).invalidParams.map((p) => p.name),
      ['dryRun'],
    );
  }
  t.equal(
    ((await a.database.owner.execute(sql`select count(*)::int as n from imports`)) as unknown as { rows: { n: number }[] }).rows[0]?.n,
    0,
  );

  const header = await a.upload('externalReference,naam,kind,colour\nE-1,x,club,red\n', 'recordType=establishments');
  t.equal(header.statusCode, 400);
  t.match(json(header), { code: 'invalid-header' });
  const names = json<{ invalidParams: { name: string; code: string }[] }>(header).invalidParams.map((p) => `${p.name}:${p.code}`);
  t.same(names.sort(), [
    'bagId:missing_column',
    'city:missing_column',
    'colour:unknown_column',
    'houseNumber:missing_column',
    'houseNumberAddition:missing_column',
    'kvkNumber:missing_column',
    'municipalityCode:missing_column',
    'naam:unknown_column',
    'name:missing_column',
    'postalCode:missing_column',
    'street:missing_column',
  ]);

  const empty = await a.upload('', 'recordType=establishments');
  t.equal(empty.statusCode, 400);

  const big = await a.upload(
    `${EST_HEADER}\n${'E-1,GM0363,Club,club,Kade,1,,1012DK,Amsterdam,,\n'.repeat(200)}`,
    'recordType=establishments',
  );
  t.equal(big.statusCode, 413);

  const quote = await a.upload(`${EST_HEADER}\nE-1,GM0363,"Club,club`, 'recordType=establishments');
  t.equal(quote.statusCode, 400);
  t.match(json(quote), { code: 'malformed-csv', detail: /a quoted field is not closed \(CSV_QUOTE_NOT_CLOSED\)/ });
  // Its quote left open on line 3, with more lines after it: the answer names where it began, not the file's end.
  const rows = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => `E-${from + i},GM0363,Club,club,Kade,1,,1012DK,Amsterdam,,`).join('\n');
  const early = await a.upload(
    `${EST_HEADER}\n${rows(1, 1)}\nE-2,GM0363,"Cafe,club,Kade,1,,1012DK,Amsterdam,,\n${rows(3, 9)}\n`,
    'recordType=establishments',
  );
  t.match(json(early), { code: 'malformed-csv', detail: /in the record that starts after line 2: a quoted field is not closed/ });
  // csv-parse's message quotes the character after the quote; the answer does not.
  const closing = await a.upload(`${EST_HEADER}\nE-1,GM0363,"Club"X,club,Kade,1,,1012DK,Amsterdam,,\n`, 'recordType=establishments');
  t.match(json(closing), { code: 'malformed-csv', detail: /near line 2: a closing quote is followed by something other/ });
  t.notMatch(json<{ detail: string }>(closing).detail, /"X"/, 'the character after the quote is not quoted back');
  // A quote inside a field that does not start with one: csv-parse's one error code without CSV_ was a 500.
  for (const dryRun of ['true', 'false']) {
    const inside = await a.upload(
      `${EST_HEADER}\nE-1,GM0363,Club "Rood,club,Kade,1,,1012DK,Amsterdam,,\n`,
      `recordType=establishments&dryRun=${dryRun}`,
    );
    t.equal(inside.statusCode, 400, `a quote inside an unquoted field, dryRun=${dryRun}`);
    t.match(json(inside), { code: 'malformed-csv', detail: /near line 2: a quote inside a field .*\(INVALID_OPENING_QUOTE\)/ });
    t.notMatch(inside.body, /Club/, 'the field is not quoted back');
  }

  const json415 = await a.app.inject({
    method: 'POST',
    url: '/v1/imports?recordType=establishments',
    headers: a.officer.auth,
    payload: { x: 1 },
  });
  t.equal(json415.statusCode, 415);

  // An upload that breaks off half way stores nothing: no job, no records.
  const broken = new Readable({
    read() {
      this.push(`${EST_HEADER}\nE-1,GM0363,Club,club,Kade,1,,1012DK,Amsterdam,,\n`);
      this.destroy(new Error('connection reset by peer'));
    },
  });
  const truncated = await a.app
    .inject({
      method: 'POST',
      url: '/v1/imports?recordType=establishments',
      headers: { ...a.officer.auth, 'content-type': 'text/csv' },
      payload: broken,
    })
    .catch((err: Error) => err);
  t.ok(truncated instanceof Error || truncated.statusCode !== 202, 'the upload is not accepted');
  await new Promise((r) => setTimeout(r, 300)); // the handler's transaction rolls back
  const jobs = (await a.database.owner.execute(sql`select count(*)::int as n from imports`)) as unknown as { rows: { n: number }[] };
  t.equal(jobs.rows[0]?.n, 0, 'no job was stored');

  // Dutch Excel: semicolons, a byte-order mark, a formula kept as text.
  const excel = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    Buffer.from(`${EST_HEADER.replaceAll(',', ';')}\r\nE-9;GM0363;'=1+1;club;Kade;1;;1012DK;Amsterdam;;\r\n`),
  ]);
  const job = await a.importFile(excel, 'recordType=establishments');
  t.match(job, { state: 'succeeded', counts: { created: 1 } }, JSON.stringify(job.problems));
  const stored = json<{ items: { name: string }[] }>(await a.app.inject({ url: '/v1/establishments', headers: a.officer.auth }));
  t.equal(stored.items[0]?.name, '=1+1', 'stored as the text it is');
});

t.test('a file of which too many records are invalid is refused whole, and nothing of it is stored', async (t) => {
  const a = await setUp(t);
  const countOf = async (table: string) =>
    ((await a.database.owner.execute(sql.raw(`select count(*)::int as n from ${table}`))) as unknown as { rows: { n: number }[] }).rows[0]
      ?.n;
  // What an actions file uploaded as establishments, or a file of one-letter lines, amounts to.
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `${i === 3 ? '' : 'a'}`).join('\n');
  const refused = await a.upload(`${EST_HEADER}\n${lines(MOST_INVALID_RECORDS + 2)}\n`, 'recordType=establishments');
  t.equal(refused.statusCode, 400, refused.body);
  t.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8');
  const problem = json<{ code: string; detail: string }>(refused);
  t.equal(problem.code, 'too-many-invalid-records');
  t.match(problem.detail, new RegExp(`More than ${MOST_INVALID_RECORDS} records`), 'the limit is named');
  t.match(
    problem.detail,
    /record wrong_field_count \(10001 times, first on line 2\)/,
    'the most common problem, how often and where first',
  );
  t.equal(await countOf('imports'), 0, 'no job');
  t.equal(await countOf('import_rows'), 0, 'no records');

  const ndjson = await a.upload(
    Array.from({ length: MOST_INVALID_RECORDS + 1 }, () => '{}').join('\n'),
    'recordType=establishments',
    'application/x-ndjson',
  );
  t.equal(ndjson.statusCode, 400, 'NDJSON alike');
  t.equal(json<{ code: string }>(ndjson).code, 'too-many-invalid-records');

  const atTheLimit = await a.importFile(`${EST_HEADER}\n${lines(MOST_INVALID_RECORDS + 1)}\n`, 'recordType=establishments&dryRun=true');
  t.equal(atTheLimit.counts.rejected, MOST_INVALID_RECORDS, 'as many as the limit: a job, each record rejected');
  t.ok(atTheLimit.problemsTotal >= MOST_INVALID_RECORDS, 'with its problems');
  t.equal(atTheLimit.problems.length, 1000, 'of which it shows the first 1000');
});

t.test('line ends mixed in one file (a header typed on one system, rows pasted from another) are each a line end', async (t) => {
  const a = await setUp(t);
  const rows = [
    'MIX-1,GM0363,Club Een,club,Kade,1,,1012DK,Amsterdam,,',
    'MIX-2,GM0363,Club Twee,castle,Kade,2,,1012DK,Amsterdam,,', // line 3: a kind that is no kind
    'MIX-3,GM0363,Club Drie,club,Kade,3,,1012DK,Amsterdam,,',
  ];
  for (const [header, between] of [
    ['\n', '\r\n'],
    ['\r\n', '\n'],
    ['\n', '\r'],
  ]) {
    const file = `${EST_HEADER}${header}${rows.join(between)}${between}`;
    const dry = await a.importFile(file, 'recordType=establishments&dryRun=true');
    const ends = JSON.stringify([header, between]);
    t.match(dry, { state: 'succeeded', rowsTotal: 3, counts: { created: 2, rejected: 1 } }, `${ends}: three records`);
    t.same(
      dry.problems.map((p) => `${p.line}:${p.column}:${p.code}`),
      ['3:kind:invalid_value'],
      `${ends}: the one problem, on its line; no carriage return left in a last cell`,
    );
  }
});

t.test('an empty cell where a value is required is a problem with code required, whichever column', async (t) => {
  const a = await setUp(t);
  const dry = await a.importFile(
    `${EST_HEADER}\nREQ-1,GM0363,,club,,1,,1012DK,,,\n,GM0363,Club,club,Kade,1,,1012DK,Amsterdam,,\n`,
    'recordType=establishments&dryRun=true',
  );
  t.same(
    dry.problems.map((p) => `${p.line}:${p.column}:${p.code}`).sort(),
    ['2:city:required', '2:name:required', '2:street:required', '3:externalReference:required'],
    'name, street, city and the reference alike',
  );
});

t.test('an empty cell of a code column is required too, not an invalid option', async (t) => {
  const a = await setUp(t);
  const establishments = await a.importFile(`${EST_HEADER}\nE-1,GM0363,Club,,Kade,1,,1012DK,Amsterdam,,\n`, 'recordType=establishments');
  t.same(
    establishments.problems.map((p) => `${p.line}:${p.column}:${p.code}`),
    ['2:kind:required'],
    'an establishment without a kind',
  );
  const ndjson = await a.importFile(
    JSON.stringify({ externalReference: 'E-2', name: 'Club', street: 'Kade', houseNumber: 1, postalCode: '1012DK', city: 'Amsterdam' }),
    'recordType=establishments',
    'application/x-ndjson',
  );
  t.same(
    ndjson.problems.map((p) => `${p.line}:${p.column}:${p.code}`),
    ['1:kind:required'],
    'an NDJSON record without one',
  );
  const header =
    'externalReference,establishmentReference,measure,grounds,stage,decisionDate,fineAmountCents,penaltyAmountCents,penaltyUnit,penaltyMaximumCents,penaltyComplianceDeadline,penaltyForfeitedCents,closureStartDate,closureEndDate,legalBasis,caseReference,zaakUrl,besluitUrl';
  const actions = await a.importFile(`${header}\nA1,E1,,hygiene,,2020-01-01,,,,,,,,,,,,\n`, 'recordType=enforcement-actions&dryRun=true');
  t.same(
    actions.problems.map((p) => `${p.line}:${p.column}:${p.code}`).sort(),
    ['2:measure:required', '2:stage:required'],
    'an action without a measure and a stage',
  );
});

t.test('an optional column left out of the header is a 400, not a cleared value on every record the file updates', async (t) => {
  const a = await setUp(t);
  const withKvk = await a.importFile(
    `${EST_HEADER}
KVK-1,GM0363,Club,club,Kade,1,,1012DK,Amsterdam,12345678,
`,
    'recordType=establishments',
  );
  t.match(withKvk, { state: 'succeeded', counts: { created: 1 } });
  const withoutKvk = await a.upload(
    `${EST_HEADER.replace(',kvkNumber', '')}
KVK-1,GM0363,Club,club,Kade,1,,1012DK,Amsterdam,
`,
    'recordType=establishments',
  );
  t.equal(withoutKvk.statusCode, 400, 'a file without the kvkNumber column');
  t.match(json(withoutKvk), { code: 'invalid-header', invalidParams: [{ name: 'kvkNumber', code: 'missing_column' }] });
  const kept = json<{ items: { externalReference: string; kvkNumber: string | null }[] }>(
    await a.app.inject({ url: '/v1/establishments?pageSize=100', headers: a.officer.auth }),
  ).items.find((e) => e.externalReference === 'KVK-1');
  t.equal(kept?.kvkNumber, '12345678', 'the stored KvK number stays');
});

t.test('tenancy: only officers import, each into and out of their own municipality', async (t) => {
  const a = await setUp(t);
  const other = await a.client('officer', 'GM0599');
  const analyst = await a.client('analyst');
  const admin = await a.client('admin');
  const job = json<Job>(await a.upload(establishmentsCsv, 'recordType=establishments'));
  t.equal((await a.app.inject({ url: `/v1/imports/${job.id}`, headers: other.auth })).statusCode, 404, 'not theirs');
  t.equal((await a.app.inject({ method: 'POST', url: `/v1/imports/${job.id}/cancel`, headers: other.auth })).statusCode, 404);
  t.equal((await a.upload(establishmentsCsv, 'recordType=establishments', 'text/csv', admin.auth)).statusCode, 403);
  t.equal((await a.upload(establishmentsCsv, 'recordType=establishments', 'text/csv', analyst.auth)).statusCode, 403);

  const cancelled = await a.app.inject({ method: 'POST', url: `/v1/imports/${job.id}/cancel`, headers: a.officer.auth });
  t.equal(cancelled.statusCode, 202);
  t.match(json(cancelled), { state: 'cancelled' });
  t.equal((await a.app.inject({ method: 'POST', url: `/v1/imports/${job.id}/cancel`, headers: a.officer.auth })).statusCode, 409);
  t.equal(await a.services.imports.worker.runOnce(), false, 'a cancelled job is not run');

  await a.importFile(establishmentsCsv, 'recordType=establishments');
  t.equal((await a.exportOf('establishments', 'csv', other.auth, '&municipality=GM0363')).statusCode, 403);
  t.equal((await a.exportOf('establishments', 'csv', analyst.auth)).statusCode, 403);
  t.equal((await a.exportOf('establishments', 'csv', admin.auth)).statusCode, 400, 'an admin names the municipality');
  const byAdmin = await a.exportOf('establishments', 'csv', admin.auth, '&municipality=GM0363');
  t.equal(byAdmin.statusCode, 200);
  t.equal(byAdmin.body.trim().split('\r\n').length, 3);
  const theirs = await a.exportOf('establishments', 'csv', other.auth);
  t.equal(theirs.body.trim().split('\r\n').length, 1, 'the other officer exports only their own (none)');

  const template = await a.app.inject({ url: '/v1/imports/templates/enforcement-actions.csv' });
  t.equal(template.statusCode, 200);
  t.equal(template.body.trim().split('\r\n').length, 2);
});

t.test(
  'the ZGW links: exported, imported into an empty registry, kept by a file without their columns, cleared by an empty cell',
  async (t) => {
    const a = await setUp(t);
    await a.importFile(establishmentsCsv, 'recordType=establishments');
    const links = {
      zaakUrl: 'https://zaken.example.nl/zaken/api/v1/zaken/1',
      besluitUrl: 'https://besluiten.example.nl/api/v1/besluiten/2',
    };
    const action = await a.importFile(actionsNdjson, 'recordType=enforcement-actions', 'application/x-ndjson');
    t.match(action.counts, { created: 2 });
    const listed = json<{ items: { id: string; externalReference: string; version: number }[] }>(
      await a.app.inject({ url: '/v1/enforcement-actions', headers: a.officer.auth }),
    ).items;
    const a1 = listed.find((x) => x.externalReference === 'A-1') as { id: string; version: number };
    const linked = await a.app.inject({
      method: 'PATCH',
      url: `/v1/enforcement-actions/${a1.id}`,
      headers: { ...a.officer.auth, 'if-match': `"${a1.version}"`, 'content-type': 'application/merge-patch+json' },
      payload: JSON.stringify(links),
    });
    t.equal(linked.statusCode, 200, linked.body);

    // The export of it, imported again: every record is as it was.
    const exported = await a.exportOf('enforcement-actions', 'ndjson');
    const again = await a.importFile(exported.body, 'recordType=enforcement-actions', 'application/x-ndjson');
    t.match(again.counts, { created: 0, updated: 0, unchanged: 2 }, 'an export imports again unchanged');
    // A changed record is updated in what the file says, and keeps its links.
    const changed = await a.importFile(
      actionsNdjson.replace('"decisionDate":"2019-05-01"', '"decisionDate":"2019-05-02"'),
      'recordType=enforcement-actions',
      'application/x-ndjson',
    );
    t.match(changed.counts, { updated: 1, unchanged: 1 });
    const after = json(await a.app.inject({ url: `/v1/enforcement-actions/${a1.id}`, headers: a.officer.auth }));
    t.match(after, { decisionDate: '2019-05-02', ...links }, 'a file without the link columns keeps them');

    // Exported in both formats, and into an empty registry with the rest: the links arrive too.
    const csv = await a.exportOf('enforcement-actions', 'csv');
    const [header, ...rows] = csv.body.trim().split('\r\n');
    t.ok(header?.endsWith(',caseReference,zaakUrl,besluitUrl'), `the CSV has the link columns: ${header}`);
    t.ok(
      rows.some((r) => r.endsWith(`,${links.zaakUrl},${links.besluitUrl}`)),
      'and A-1’s links',
    );
    const b = await setUp(t);
    await b.importFile((await a.exportOf('establishments', 'csv')).body, 'recordType=establishments');
    t.match(await b.importFile(csv.body, 'recordType=enforcement-actions'), { state: 'succeeded', counts: { created: 2 } });
    const moved = json<{ items: { externalReference: string; zaakUrl: string | null; besluitUrl: string | null }[] }>(
      await b.app.inject({ url: '/v1/enforcement-actions', headers: b.officer.auth }),
    ).items;
    t.match(
      moved.find((x) => x.externalReference === 'A-1'),
      links,
      'moved with its links',
    );
    t.equal((await b.exportOf('enforcement-actions', 'csv')).body.split('\r\n').sort().join(), csv.body.split('\r\n').sort().join());

    // Where the column is there, an empty cell clears the link, as any other cell does.
    const cleared = csv.body.replace(`,${links.zaakUrl},${links.besluitUrl}`, `,,${links.besluitUrl}`);
    t.match(await a.importFile(cleared, 'recordType=enforcement-actions'), { counts: { updated: 1, unchanged: 1 } });
    t.match(json(await a.app.inject({ url: `/v1/enforcement-actions/${a1.id}`, headers: a.officer.auth })), {
      zaakUrl: null,
      besluitUrl: links.besluitUrl,
    });
    const nd = (await a.exportOf('enforcement-actions', 'ndjson')).body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    t.match(
      nd.find((r) => r.externalReference === 'A-1'),
      { zaakUrl: null, besluitUrl: links.besluitUrl },
      'NDJSON carries them as keys',
    );
  },
);

t.test('a statusHistory item is status:date, nothing more', async (t) => {
  const a = await setUp(t);
  await a.importFile(establishmentsCsv, 'recordType=establishments');
  const job = await a.importFile(
    licencesCsv.replace('granted:2016-01-01|', 'granted:2016-01-01:2017-01-01|'),
    'recordType=licences&dryRun=true',
  );
  t.match(job, { counts: { created: 0, rejected: 1 } }, 'a third part is not dropped silently');
  t.same(
    job.problems.map((p) => `${p.line}:${p.column}:${p.code}`),
    ['2:statusHistory:invalid_format'],
  );
});

t.test('an admin’s export of a municipality that is not registered is a 400, not an empty file', async (t) => {
  const a = await setUp(t);
  await a.importFile(establishmentsCsv, 'recordType=establishments');
  const admin = await a.client('admin');
  // Answered 200 with the header line only: a typo read as "no records".
  const res = await a.exportOf('establishments', 'csv', admin.auth, '&municipality=GM0364');
  t.equal(res.statusCode, 400, res.body);
  t.match(res.headers['content-type'], /^application\/problem\+json/);
  t.same(
    json<{ invalidParams: { name: string; code: string }[] }>(res).invalidParams.map((p) => `${p.name}:${p.code}`),
    ['municipality:unknown_municipality'],
  );
  const registered = await a.exportOf('establishments', 'csv', admin.auth, '&municipality=GM0599');
  t.equal(registered.statusCode, 200, 'a registered municipality without records: an empty file');
  t.equal(registered.body.trim().split('\r\n').length, 1);
});

t.test('an export names its municipality municipalityCode, as every other operation does; municipality stays, deprecated', async (t) => {
  const a = await setUp(t);
  await a.importFile(establishmentsCsv, 'recordType=establishments');
  const admin = await a.client('admin');
  const rows = (res: { body: string }) => res.body.trim().split('\r\n').length - 1;
  const byCode = await a.exportOf('establishments', 'csv', admin.auth, '&municipalityCode=GM0363');
  t.equal(byCode.statusCode, 200, byCode.body);
  t.equal(rows(byCode), 2, 'the records of GM0363');
  const byOldName = await a.exportOf('establishments', 'csv', admin.auth, '&municipality=GM0363');
  t.equal(byOldName.statusCode, 200, 'the old name still answers');
  t.equal(byOldName.body, byCode.body);
  const both = await a.exportOf('establishments', 'csv', admin.auth, '&municipalityCode=GM0363&municipality=GM0599');
  t.equal(both.statusCode, 400, 'two different municipalities: which one?');
  const unknown = await a.exportOf('establishments', 'csv', admin.auth, '&municipalityCode=GM0364');
  t.same(
    json<{ invalidParams: { name: string; code: string }[] }>(unknown).invalidParams.map((p) => `${p.name}:${p.code}`),
    ['municipalityCode:unknown_municipality'],
    'the error names the parameter that was sent',
  );
  const officerOther = await a.exportOf('establishments', 'csv', a.officer.auth, '&municipalityCode=GM0599');
  t.equal(officerOther.statusCode, 403);

  const op = (
    openapiDocument.paths as Record<
      string,
      Record<string, { parameters: { name: string; in: string; schema: { deprecated?: boolean } }[] }>
    >
  )['/exports/{recordType}']?.get;
  const query = Object.fromEntries((op?.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p.schema]));
  t.ok(query.municipalityCode, 'the document declares municipalityCode');
  t.equal(query.municipalityCode?.deprecated, undefined);
  t.equal(query.municipality?.deprecated, true, 'and municipality as deprecated');
});

t.test('an import in another media type is a 415 that names the import’s types, whatever its body', async (t) => {
  const a = await setUp(t);
  // text/plain was told "Send the body as application/json."; a CSV sent as application/json was a 400 "not valid JSON".
  for (const type of ['text/plain', 'application/json', 'application/merge-patch+json', 'application/octet-stream']) {
    const res = await a.upload(establishmentsCsv, 'recordType=establishments', type);
    t.equal(res.statusCode, 415, `${type}: ${res.body}`);
    t.match(json<{ detail: string }>(res).detail, /text\/csv or application\/x-ndjson/, type);
  }
  const jobs = (await a.database.owner.execute(sql`select count(*)::int as n from imports`)) as unknown as { rows: { n: number }[] };
  t.equal(jobs.rows[0]?.n, 0, 'no job was stored');
});

t.test('an import’s Idempotency-Key makes a retry answer the first job again, as the contract says', async (t) => {
  const a = await setUp(t);
  const headers = { ...a.officer.auth, 'content-type': 'text/csv', 'idempotency-key': 'upload-2019-batch-1' };
  const send = (payload: string, query = 'recordType=establishments') =>
    a.app.inject({ method: 'POST', url: `/v1/imports?${query}`, headers, payload });
  const jobs = async () =>
    ((await a.database.owner.execute(sql`select count(*)::int as n from imports`)) as unknown as { rows: { n: number }[] }).rows[0]?.n;
  // Each retry made another job, and another file under the same key was a 202 too.
  const first = await send(establishmentsCsv);
  t.equal(first.statusCode, 202, first.body);
  const retry = await send(establishmentsCsv);
  t.equal(retry.statusCode, 202, retry.body);
  t.equal(retry.headers['idempotent-replayed'], 'true');
  t.equal(json<Job>(retry).id, json<Job>(first).id, 'the same job');
  t.equal(retry.headers.location, first.headers.location);
  // The query as the route reads it: keys in another order, or a default written out, ask the same.
  for (const query of ['mode=all-or-nothing&recordType=establishments', 'dryRun=false&recordType=establishments&mode=all-or-nothing']) {
    const same = await send(establishmentsCsv, query);
    t.equal(same.statusCode, 202, `${query}: ${same.body}`);
    t.equal(same.headers['idempotent-replayed'], 'true', `${query}: the same request, replayed`);
    t.equal(json<Job>(same).id, json<Job>(first).id, `${query}: the same job`);
  }
  const dryRun = await send(establishmentsCsv, 'dryRun=true&recordType=establishments');
  t.equal(dryRun.statusCode, 422, 'the same file with another question under the same key');
  const other = await send(establishmentsCsv.replace('Club Rood', 'Club Blauw'));
  t.equal(other.statusCode, 422, 'another file under the same key');
  t.equal(await jobs(), 1, 'one job');
  const entries = await a.database.owner.execute(sql`select count(*)::int as n from audit_log where object_type = 'import'`);
  t.equal((entries as unknown as { rows: { n: number }[] }).rows[0]?.n, 1, 'one audit entry: the retries wrote none');
});

t.test('an Idempotency-Key on an upload over a real connection: the first job again, not a 500', async (t) => {
  // Through inject the upload stream could be hashed as if it were JSON; a socket's stream refers to
  // itself, and every import with a key was a 500 (found by a fuzzing pass, 5 December 2026).
  const a = await setUp(t);
  const address = await a.app.listen({ port: 0, host: '127.0.0.1' });
  const post = (path: string, body: string, contentType = 'text/csv', key = 'upload-over-http-1') =>
    fetch(`${address}/v1${path}`, {
      method: 'POST',
      headers: { ...a.officer.auth, 'content-type': contentType, 'idempotency-key': key },
      body,
    });
  const first = await post('/imports?recordType=establishments', establishmentsCsv);
  t.equal(first.status, 202, await first.clone().text());
  const retry = await post('/imports?recordType=establishments', establishmentsCsv);
  t.equal(retry.status, 202);
  t.equal(retry.headers.get('idempotent-replayed'), 'true');
  const job = (await first.json()) as Job;
  t.equal(((await retry.json()) as Job).id, job.id, 'the same job');
  const other = await post('/imports?recordType=establishments', establishmentsCsv.replace('Club Rood', 'Club Blauw'));
  t.equal(other.status, 422, 'another file under the same key');
  // The cancellation takes no body; one sent as a file, with a key, is a 415, as a body of any other media type.
  const unknown = await post('/imports/00000000-0000-4000-8000-000000000000/cancel', 'a,b\n', 'text/csv', 'cancel-1');
  t.equal(unknown.status, 415, 'a file where no body is taken: 415, with a key too, never a 500');
  t.match(unknown.headers.get('content-type'), /^application\/problem\+json/);
});

t.test('an upload that arrives slowly holds no database connection: reads, writes and readiness are answered meanwhile', async (t) => {
  // On the embedded database (one connection) an upload read inside its transaction held the service
  // for as long as its sender took, up to REQUEST_TIMEOUT_MS (found by a probing review, 6 December 2026).
  const a = await setUp(t);
  const address = await a.app.listen({ port: 0, host: '127.0.0.1' });
  const { hostname, port } = new URL(address);
  const upload = http.request({
    host: hostname,
    port,
    method: 'POST',
    path: '/v1/imports?recordType=establishments&dryRun=true',
    headers: { ...a.officer.auth, 'content-type': 'text/csv', 'transfer-encoding': 'chunked' },
  });
  const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
    upload.on('error', reject);
    upload.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
  const [header, first, second] = establishmentsCsv.split('\r\n');
  upload.write(`${header}\r\n${first}\r\n`); // the header and one record; the rest waits
  await new Promise((r) => setTimeout(r, 300)); // the service is reading it by now
  const within = { signal: AbortSignal.timeout(10_000) };
  try {
    const read = await fetch(`${address}/v1/establishments`, { headers: a.officer.auth, ...within });
    t.equal(read.status, 200, 'a read is answered while the upload is still arriving');
    const write = await fetch(`${address}/v1/establishments`, {
      method: 'POST',
      headers: { ...a.officer.auth, 'content-type': 'application/json' },
      body: JSON.stringify(sample.establishment('GM0363', { externalReference: 'E-9' })),
      ...within,
    });
    t.equal(write.status, 201, 'so is a write');
    const ready = await fetch(`${address}/health/ready`, within);
    t.equal(ready.status, 200, 'and readiness');
  } finally {
    upload.end(`${second}\r\n`); // a probe that timed out fails the test; the upload ends either way
  }
  const job = await answered;
  t.equal(job.status, 202, job.body);
  t.match(JSON.parse(job.body), { state: 'queued', rowsTotal: 2 }, 'the whole file is the job');
});

t.test('an import job is attributable: its upload and its cancellation are in the audit trail with who did them', async (t) => {
  const a = await setUp(t);
  const colleague = await a.client('officer', 'GM0363');
  const res = await a.upload(establishmentsCsv, 'recordType=establishments&dryRun=false', 'text/csv', {
    ...a.officer.auth,
    'x-acting-user': 'j.de.vries',
  });
  t.equal(res.statusCode, 202, res.body);
  const job = json<Job>(res);
  const cancel = await a.app.inject({ method: 'POST', url: `/v1/imports/${job.id}/cancel`, headers: colleague.auth });
  t.equal(cancel.statusCode, 202, cancel.body);

  type Entry = { action: string; clientId: string; actor: unknown; municipalityCode: string; before: unknown; after: unknown };
  const trail = json<{ items: Entry[] }>(
    await a.app.inject({ url: `/v1/audit-trail?objectType=import&objectId=${job.id}`, headers: (await a.client('admin')).auth }),
  );
  t.equal(trail.items.length, 2, 'the upload and the cancellation');
  const [created, cancelled] = [...trail.items].sort((x, y) => (x.action === 'create' ? -1 : y.action === 'create' ? 1 : 0));
  t.match(created, {
    action: 'create',
    clientId: a.officer.id,
    actor: { id: 'j.de.vries', verified: false },
    municipalityCode: 'GM0363',
    before: null,
    after: { recordType: 'establishments', format: 'csv', dryRun: false, state: 'queued', rowsTotal: 2, cancelRequested: false },
  });
  t.match(cancelled, {
    action: 'update',
    clientId: colleague.id,
    actor: null,
    before: { state: 'queued', cancelRequested: false },
    after: { state: 'cancelled', cancelRequested: true },
  });
  t.notOk(JSON.stringify(trail.items).includes('Club Rood'), 'the file’s content is not in the job’s entries');
});

t.test('an import whose uploader was revoked before it ran writes nothing: revocation stops what its token started', async (t) => {
  const a = await setUp(t);
  const colleague = await a.client('officer', 'GM0363');
  const admin = await a.client('admin');
  const res = await a.upload(establishmentsCsv, 'recordType=establishments');
  t.equal(res.statusCode, 202, res.body);
  const job = json<Job>(res);

  // The token turns out to be stolen: the admin revokes it while the job still waits.
  const revoked = await a.app.inject({
    method: 'DELETE',
    url: `/v1/api-clients/${a.officer.id}`,
    headers: { ...admin.auth, 'if-match': '"1"' },
  });
  t.equal(revoked.statusCode, 200, revoked.body);
  while (await a.services.imports.worker.runOnce()) {
    // until no job waits
  }

  const after = json<Job>(await a.app.inject({ url: `/v1/imports/${job.id}`, headers: colleague.auth }));
  t.match(after, { state: 'cancelled', counts: { created: 0, updated: 0 } }, JSON.stringify(after));
  t.match(after.problems, [{ line: 0, column: null, code: 'client_revoked' }], 'the job says why it stopped');
  const list = json<{ totalItems: number }>(await a.app.inject({ url: '/v1/establishments', headers: colleague.auth }));
  t.equal(list.totalItems, 0, 'no record was written for the revoked client');
});

t.test('a NUL in a reference or an NDJSON key, or half a surrogate pair in a key, is a problem of its record, not a 500', async (t) => {
  const a = await setUp(t);
  const licences = `externalReference,establishmentReference,licenceNumber,validFrom,validUntil,statusHistory\nL-1,E-1\u0000,EV-1,2016-01-01,,granted:2016-01-01\n`;
  const ndjson = `${JSON.stringify({ externalReference: 'E-1', 'name\u0000': 'x' })}\n`;
  // JSON may escape half a pair ("\ud800"); the problem that names the key is stored as jsonb, which refuses it.
  const surrogate = '{"externalReference":"E-1","\\ud800x":1}\n';
  for (const [label, body, query, contentType, problem] of [
    [
      'a CSV establishmentReference',
      licences,
      'recordType=licences&dryRun=true',
      'text/csv',
      { line: 2, column: 'establishmentReference', code: 'invalid_format' },
    ],
    ['an NDJSON key', ndjson, 'recordType=establishments&dryRun=true', 'application/x-ndjson', { line: 1, code: 'unknown_column' }],
    [
      'an NDJSON key with half a surrogate pair',
      surrogate,
      'recordType=establishments&dryRun=true',
      'application/x-ndjson',
      { line: 1, column: '\ufffdx', code: 'unknown_column' },
    ],
  ] as const) {
    const res = await a.upload(body, query, contentType);
    t.equal(res.statusCode, 202, `${label}: ${res.body}`);
    while (await a.services.imports.worker.runOnce()) {
      // until no job waits
    }
    const job = json<Job>(await a.app.inject({ url: `/v1/imports/${json<Job>(res).id}`, headers: a.officer.auth }));
    t.match(job, { state: 'succeeded', counts: { rejected: 1 } }, label);
    t.match(job.problems[0], problem, label);
  }
});

t.test('an NDJSON line that names a member twice is rejected, not read as its last value', async (t) => {
  const a = await setUp(t);
  const line = (extra: string) =>
    `{"externalReference":"E-1","name":"Club A","kind":"club","street":"Dam","houseNumber":1,"postalCode":"1012AB","city":"Amsterdam"${extra}}`;
  const ndjson = [line(',"name":"Club B"'), line(',"0612345678":1,"0612345678":2')].join('\n');
  const res = await a.upload(ndjson, 'recordType=establishments&dryRun=true', 'application/x-ndjson');
  t.equal(res.statusCode, 202, res.body);
  while (await a.services.imports.worker.runOnce()) {
    // until no job waits
  }
  const job = json<Job>(await a.app.inject({ url: `/v1/imports/${json<Job>(res).id}`, headers: a.officer.auth }));
  t.match(job, { state: 'succeeded', counts: { rejected: 2 } });
  t.same(
    job.problems.map((p) => [p.line, p.column, p.code]),
    [
      [1, 'name', 'repeated_member'],
      [2, null, 'repeated_member'],
      [2, '(a key that holds personal data)', 'unknown_column'],
    ],
  );
  t.notOk(JSON.stringify(job).includes('0612345678'), 'a key that is not a column is not repeated in the stored problem');
});

t.test('an NDJSON line that is not JSON is reported without its content, which the job keeps after the file is gone', async (t) => {
  const a = await setUp(t);
  const ndjson = ['{"externalReference":"E-1","name": Jan de Vries}', '\u0000', '{"externalReference":"E-2"'].join('\n');
  const res = await a.upload(ndjson, 'recordType=establishments&dryRun=true', 'application/x-ndjson');
  t.equal(res.statusCode, 202, res.body);
  while (await a.services.imports.worker.runOnce()) {
    // until no job waits
  }
  const job = json<Job>(await a.app.inject({ url: `/v1/imports/${json<Job>(res).id}`, headers: a.officer.auth }));
  t.match(job, { state: 'succeeded', counts: { rejected: 3 } });
  const invalid = job.problems.filter((p) => p.code === 'invalid_json');
  t.same(
    invalid.map((p) => p.line),
    [1, 2, 3],
    'each line named',
  );
  t.notOk(JSON.stringify(job).includes('Jan de'), 'no part of the line in the problems');
});

t.test(
  'rows of empty cells, as Excel writes below the data it saved, are empty lines: skipped, and later lines keep their numbers',
  async (t) => {
    const a = await setUp(t);
    const empty = ';'.repeat(10);
    const excel = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        [
          EST_HEADER.replaceAll(',', ';'),
          'E-1;GM0363;Club Rood;club;Kade;1;;1012DK;Amsterdam;;',
          empty,
          'E-2;GM0363;Club Blauw;club;Kade;2;;1012DK;Amsterdam;;',
          empty,
          'E-3;GM0363;Club Groen;club;Kade;3;;1012D;Amsterdam;;',
          empty,
          empty,
          '',
        ].join('\r\n'),
      ),
    ]);
    const job = await a.importFile(excel, 'recordType=establishments&mode=row-by-row');
    t.match(job, { state: 'succeeded', rowsTotal: 3, counts: { created: 2, rejected: 1 } }, JSON.stringify(job.problems));
    t.match(job.problems, [{ line: 6, column: 'postalCode' }]);
    t.equal(job.problems.length, 1, 'no problem for the empty rows');
  },
);

t.test('a reference that is also a spreadsheet error value (Err:502) survives the round trip through CSV', async (t) => {
  const a = await setUp(t);
  const officer = a.officer.auth;
  const est = await a.app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: officer,
    payload: { ...sample.establishment('GM0363'), externalReference: 'Err:502' },
  });
  t.equal(est.statusCode, 201, est.body);
  const estId = json<{ id: string }>(est).id;
  const licence = await a.app.inject({
    method: 'POST',
    url: `/v1/establishments/${estId}/licences`,
    headers: officer,
    payload: { ...sample.licence(), externalReference: 'err:100' },
  });
  t.equal(licence.statusCode, 201, licence.body);
  const action = await a.app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: officer,
    payload: { ...sample.action(estId), externalReference: 'Err:503' },
  });
  t.equal(action.statusCode, 201, action.body);
  for (const format of ['csv', 'csv-excel']) {
    for (const type of ['establishments', 'licences', 'enforcement-actions']) {
      const exported = await a.exportOf(type, format);
      t.match(exported.body, /'(Err:502|err:100)/i, `${format} ${type}: the reference is written as text`);
      const again = await a.importFile(exported.rawPayload, `recordType=${type}&dryRun=true`);
      t.match(
        again,
        { state: 'succeeded', counts: { unchanged: 1, updated: 0, rejected: 0 } },
        `${format} ${type}: re-importing the export changes nothing (${JSON.stringify(again.problems)})`,
      );
    }
  }
  const bare = await a.importFile(
    `${EST_HEADER}\nErr:502,GM0363,Club,club,Kade,1,,1012DK,Amsterdam,,\n`,
    'recordType=establishments&dryRun=true',
  );
  t.same(
    bare.problems.map((p) => `${p.column}:${p.code}`),
    ['externalReference:spreadsheet_error'],
    'a bare error value in a file is still what a spreadsheet left there',
  );
});

t.test('a text that starts with a quote and a formula character survives the round trip through CSV', async (t) => {
  const a = await setUp(t);
  const names = ["'-t Hoekje", "''=x", '-Kade', "'t Hoekje"];
  const ndjson = names.map((name, i) =>
    JSON.stringify({
      externalReference: `E-${i}`,
      name,
      kind: 'club',
      street: 'Kade',
      houseNumber: 1,
      postalCode: '1012DK',
      city: 'Amsterdam',
    }),
  );
  const job = await a.importFile(ndjson.join('\n'), 'recordType=establishments', 'application/x-ndjson');
  t.match(job, { state: 'succeeded', counts: { created: names.length } }, JSON.stringify(job.problems));
  for (const format of ['csv', 'csv-excel']) {
    const exported = await a.exportOf('establishments', format);
    const again = await a.importFile(exported.rawPayload, 'recordType=establishments');
    t.match(
      again,
      { state: 'succeeded', counts: { unchanged: names.length, updated: 0 } },
      `${format}: re-importing the export changes nothing`,
    );
  }
  const stored = json<{ items: { name: string }[] }>(
    await a.app.inject({ url: '/v1/establishments?pageSize=10', headers: a.officer.auth }),
  );
  t.same(stored.items.map((e) => e.name).sort(), [...names].sort());
});

t.test('a cancel made on another instance stops a job that is validating, as one made on this instance does', async (t) => {
  const a = await setUp(t);
  for (const query of ['recordType=establishments&dryRun=true', 'recordType=establishments&mode=all-or-nothing']) {
    const res = await a.upload(establishmentsCsv, query);
    t.equal(res.statusCode, 202, res.body);
    const { id } = json<Job>(res);
    // Another instance validated it and stopped (its lease given up, or run out after a crash), and the
    // cancel went to an instance that did not hold it: all that is left of the cancel is the job's row.
    await a.database.owner.execute(
      sql`update imports set state = 'running', phase = 'validating', cancel_requested = true, lease_owner = gen_random_uuid(), lease_until = now() - interval '1 second' where id = ${id}`,
    );
    while (await a.services.imports.worker.runOnce()) {
      // this instance resumes it
    }
    const job = json<Job>(await a.app.inject({ url: `/v1/imports/${id}`, headers: a.officer.auth }));
    t.equal(job.state, 'cancelled', `${query}: the cancel that was answered 202 stands`);
  }
  const stored = json<{ totalItems: number }>(await a.app.inject({ url: '/v1/establishments', headers: a.officer.auth }));
  t.equal(stored.totalItems, 0, 'nothing was written');
});

t.test('a validation pass longer than the lease keeps its job from other instances, and shows them its progress', async (t) => {
  if (!usingPostgres) {
    t.comment('PGlite: one instance per data folder, whose one connection the pass holds: no other instance to keep out');
    return;
  }
  const a = await setUp(t, { IMPORT_LEASE_MS: '300', IMPORT_BATCH_SIZE: '50' });
  const rows = Array.from({ length: 1500 }, (_, i) => `V-${i},GM0363,Club ${i},club,Kade,${i + 1},,1012DK,Amsterdam,,`);
  const res = await a.upload([EST_HEADER, ...rows].join('\n'), 'recordType=establishments&dryRun=true');
  t.equal(res.statusCode, 202, res.body);
  const { id } = json<Job>(res);
  // A second instance on the same database: its own worker (instance id) and its own view of the job.
  const other = servicesFor(a.database, { ...testConfig(), IMPORT_LEASE_MS: 300 });
  const here = a.services.imports.worker.runOnce();
  let validatingEnded = false;
  void here.finally(() => {
    validatingEnded = true;
  });
  let claims = 0;
  let polls = 0;
  let progressSeen = 0;
  const ctx = clientContext(
    { clientId: a.officer.id, name: 'o', role: 'officer', municipalityCode: 'GM0363' },
    { requestId: null, reason: null },
  );
  while (!validatingEnded) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (validatingEnded) break;
    polls += 1;
    if (await other.imports.worker.runOnce()) claims += 1;
    const seen = await other.imports.get(ctx, id);
    if (seen.state === 'running') progressSeen = Math.max(progressSeen, seen.rowsDone);
  }
  await here;
  t.ok(polls >= 5, `the pass outlasted its lease several times (${polls} looks, 100 ms apart, lease 300 ms)`);
  t.equal(claims, 0, 'the other instance never took the job');
  t.ok(progressSeen > 0 && progressSeen < 1500, `the other instance saw its progress (${progressSeen} of 1500)`);
  t.match(await a.jobWhenEnded(id), { state: 'succeeded', rowsDone: 1500, counts: { created: 1500, rejected: 0 } });
});

t.test('a lease renewal that arrives once the job is applying changes nothing', async (t) => {
  const a = await setUp(t);
  const res = await a.upload(establishmentsCsv, 'recordType=establishments');
  const { id } = json<Job>(res);
  const owner = '00000000-0000-4000-8000-000000000001';
  await a.database.owner.execute(
    sql`update imports set state = 'running', phase = 'applying', rows_done = 1, lease_owner = ${owner}, lease_until = now() where id = ${id}`,
  );
  const late = await renewValidation(a.database.owner, id, owner, new Date(Date.now() + 60_000), 2);
  t.equal(late, null, 'not renewed: the job is applying');
  t.equal(json<Job>(await a.app.inject({ url: `/v1/imports/${id}`, headers: a.officer.auth })).rowsDone, 1, 'its progress stands');
  await a.database.owner.execute(sql`update imports set phase = 'validating' where id = ${id}`);
  t.match(
    await renewValidation(a.database.owner, id, owner, new Date(Date.now() + 60_000), 2),
    { rowsDone: 2 },
    'while validating: renewed',
  );
  t.equal(await renewValidation(a.database.owner, id, randomUUID(), new Date(), 3), null, 'by another instance: not');
});

t.test(
  'all-or-nothing: a record the registry refuses after validation stops the import, and nothing of its batch is written',
  async (t) => {
    const a = await setUp(t, { IMPORT_BATCH_SIZE: '2' });
    const refs = ['E-1', 'E-2', 'E-3', 'E-4', 'E-5'];
    const est = [EST_HEADER, ...refs.map((r, i) => `${r},GM0363,Club ${r},club,Kade,${i + 1},,1012DK,Amsterdam,,`)].join('\n');
    t.match(await a.importFile(est, 'recordType=establishments'), { state: 'succeeded', counts: { created: 5 } });
    const licences = [
      'externalReference,establishmentReference,licenceNumber,validFrom,validUntil,statusHistory',
      ...refs.map((r, i) => `L-${i + 1},${r},EV-${i + 1},2016-01-01,,granted:2016-01-01`),
    ].join('\n');
    const res = await a.upload(licences, 'recordType=licences&mode=all-or-nothing');
    t.equal(res.statusCode, 202, res.body);
    const { id } = json<Job>(res);
    // Validated (every record fine then), and before it is written an officer registers a licence for E-4
    // over the same period: the registry has changed under the file. Batches of two: [L-1, L-2], [L-3, L-4], [L-5].
    await a.database.owner.execute(sql`update imports set phase = 'applying' where id = ${id}`);
    const [e4] = (
      (await a.database.owner.execute(sql`select id from establishments where external_reference = 'E-4'`)) as unknown as {
        rows: { id: string }[];
      }
    ).rows;
    const meanwhile = await a.app.inject({
      method: 'POST',
      url: `/v1/establishments/${e4?.id}/licences`,
      headers: a.officer.auth,
      payload: { licenceNumber: 'EV-OTHER', validFrom: '2015-01-01', statusHistory: [{ status: 'granted', effectiveDate: '2015-01-01' }] },
    });
    t.equal(meanwhile.statusCode, 201, meanwhile.body);
    while (await a.services.imports.worker.runOnce()) {
      // until no job waits
    }
    const job = json<Job>(await a.app.inject({ url: `/v1/imports/${id}`, headers: a.officer.auth }));
    t.match(job, { state: 'failed', rowsDone: 2, counts: { created: 2, updated: 0, unchanged: 0, rejected: 1 } });
    t.same(
      job.problems.map((p) => p.line),
      [5],
      'the refused record (L-4, line 5) is reported',
    );
    const stored = (
      (await a.database.owner.execute(
        sql`select external_reference from licences where external_reference is not null order by 1`,
      )) as unknown as { rows: { external_reference: string }[] }
    ).rows.map((r) => r.external_reference);
    t.same(stored, ['L-1', 'L-2'], 'the batch before it is written; nothing of its own (L-3, before it in the batch) nor after it (L-5)');
  },
);

t.test('an import that stops on an internal error keeps the problems of the batches it committed', async (t) => {
  const a = await setUp(t, { IMPORT_BATCH_SIZE: '2' });
  // A fault that is not the file's: the database refuses one record (as a full disk or a lost connection would).
  await a.database.owner.execute(sql`create function refuse_boom() returns trigger language plpgsql as $$
    begin if new.name = 'BOOM' then raise exception 'disk full'; end if; return new; end $$`);
  await a.database.owner.execute(
    sql`create trigger refuse_boom before insert on establishments for each row execute function refuse_boom()`,
  );
  const file = [
    EST_HEADER,
    'E-1,GM0363,Club Rood,club,Kade,1,,1012 DK,Amsterdam,,',
    'E-2,GM0363,Club Blauw,club,Kade,2,,1012DK,Amsterdam,,',
    'E-3,GM0363,BOOM,club,Kade,3,,1012DK,Amsterdam,,',
  ].join('\n');
  const res = await a.upload(file, 'recordType=establishments&mode=row-by-row');
  t.equal(res.statusCode, 202, res.body);
  const logged: object[] = [];
  a.services.imports.worker.start({ info: () => {}, warn: () => {}, error: (obj) => logged.push(obj) });
  t.teardown(() => a.services.imports.worker.stop());
  const id = json<Job>(res).id;
  const job = await a.jobWhenEnded(id);
  t.match(job, { state: 'failed', rowsDone: 2, counts: { created: 1, rejected: 1 } });
  const stop = job.problems.at(-1);
  t.notMatch(stop?.reason, /disk full|insert|BOOM|Amsterdam/i, 'the database’s message (SQL, record values) stays out of the job');
  t.match(stop?.reason, id, 'the job names where the error is: the service log under its id');
  t.match(logged, [{ importId: id, err: Error }], 'the service log has the error, with the job’s id');
  const written = JSON.stringify(serializeError((logged[0] as { err: unknown }).err));
  t.match(written, /disk full/, 'as the service’s logger writes it: the cause');
  t.notMatch(written, /BOOM|Amsterdam|1012DK/, 'but not the record’s values');
  t.match(
    job.problems.map((p) => `${p.line}:${p.code}`),
    ['2:invalid_format', '0:internal_error'],
    'the committed batch’s problem, then the stop',
  );
  t.equal(job.problemsTotal, job.problems.length, 'problemsTotal counts them all');
});

t.test('a worker that cannot claim a job says so in the log, and claims it once it can', async (t) => {
  const a = await setUp(t);
  const res = await a.upload(`${EST_HEADER}\nW-1,GM0363,Club Rood,club,Kade,1,,1012DK,Amsterdam,,\n`, 'recordType=establishments');
  t.equal(res.statusCode, 202, res.body);
  // The claim's statement fails (as it would with the table locked away or a lost connection).
  await a.database.owner.execute(sql`alter table imports rename column lease_until to lease_until_away`);
  const logged: { msg: string; err: unknown }[] = [];
  a.services.imports.worker.start({
    info: () => {},
    warn: () => {},
    error: (obj, msg) => logged.push({ msg, err: (obj as { err?: unknown }).err }),
  });
  t.teardown(() => a.services.imports.worker.stop());
  for (let i = 0; i < 500 && logged.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  t.match(logged[0], { msg: 'import worker could not claim a job; it looks again', err: Error }, 'logged, with the error');
  await a.database.owner.execute(sql`alter table imports rename column lease_until_away to lease_until`);
  const job = await a.jobWhenEnded(json<Job>(res).id);
  t.match(job, { state: 'succeeded', counts: { created: 1 } }, 'the job runs once the claim works again');
});

t.test(
  'an empty NDJSON file is a 400 empty-file, as an empty CSV file is; a CSV file of its header alone is a job of no records',
  async (t) => {
    const a = await setUp(t);
    for (const body of ['', '\n\r\n', '\uFEFF']) {
      const res = await a.upload(body, 'recordType=establishments', 'application/x-ndjson');
      t.equal(res.statusCode, 400, JSON.stringify(body));
      t.match(json(res), { code: 'empty-file' });
    }
    const jobs = (await a.database.owner.execute(sql`select count(*)::int as n from imports`)) as unknown as { rows: { n: number }[] };
    t.equal(jobs.rows[0]?.n, 0, 'no job was stored');
    // A CSV file with its header and no record says what was meant: the export of a municipality without records, imported again.
    const none = await a.exportOf('establishments', 'csv');
    t.equal(none.body.trim(), EST_HEADER, 'an export of no records is its header');
    t.match(await a.importFile(none.rawPayload, 'recordType=establishments'), { state: 'succeeded', rowsTotal: 0, counts: { created: 0 } });
  },
);

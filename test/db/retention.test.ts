import { sql } from 'drizzle-orm';
import t from 'tap';
import { rederiveLicenceStatus } from '../../src/application/commands/enforcement-actions.js';
import { clientContext, systemContext } from '../../src/application/context.js';
import { runRetentionDestroy } from '../../src/cli/retention-destroy.js';
import { loadConfig } from '../../src/config.js';
import { cutOffDate, retentionRules } from '../../src/domain/retention.js';
import { EnforcementActionInput } from '../../src/http/schemas/enforcement-actions.js';
import { appendAudit, verifyAuditChain } from '../../src/infrastructure/audit/chain.js';
import { verifyDatabase } from '../../src/infrastructure/audit/verify.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { todayInNetherlands } from '../../src/lib/dates.js';
import { asSuperuser } from '../support/audit.js';
import { build, json, sample, usingPostgres } from '../support/helper.js';
import { records } from '../support/records.js';

const rows = async <T>(p: Promise<unknown>) => ((await p) as { rows: T[] }).rows;

t.test('cut-off dates: whole years back, 29 February to 28 February', async (t) => {
  t.equal(cutOffDate('2030-06-01', 10), '2020-06-01');
  t.equal(cutOffDate('2028-02-29', 1), '2027-02-28');
  t.same(retentionRules({ selectionList: 'x' }), [], 'no periods: everything is kept');
});

t.test('destruction past retention: content gone, trail blanked, chain verifies, counts kept', async (t) => {
  const { app, services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const post = async (url: string, payload: Record<string, unknown>, reason = 'registered') => {
    const res = await app.inject({ method: 'POST', url, headers: { ...officer.auth, 'x-audit-reason': reason }, payload });
    t.equal(res.statusCode, 201, res.body);
    return json<{ id: string }>(res).id;
  };
  const e1 = await post('/v1/establishments', sample.establishment());
  const e2 = await post('/v1/establishments', sample.establishment('GM0363', { name: 'Privéhuis Oost' }));
  const l1 = await post(
    `/v1/establishments/${e1}/licences`,
    sample.licence({
      validFrom: '2005-01-01',
      validUntil: '2010-12-31',
      statusHistory: [{ status: 'granted', effectiveDate: '2005-01-01' }],
    }),
  );
  const a1 = await post('/v1/enforcement-actions', sample.action(e1, { decisionDate: '2009-05-01', stage: 'final' }));
  const a2 = await post('/v1/enforcement-actions', sample.action(e1, { decisionDate: '2009-06-01', stage: 'objection' }));
  const a3 = await post('/v1/enforcement-actions', sample.action(e1, { decisionDate: '2023-03-01' }));
  const a4 = await post(
    '/v1/enforcement-actions',
    sample.action(e2, { decisionDate: '2008-02-01', measure: 'warning', fine: undefined }),
    'case 17 note',
  );

  const figures = async () =>
    (
      await app.inject({
        method: 'GET',
        url: '/v1/statistics/enforcement-actions?yearFrom=2008&yearTo=2023&groupBy=year',
        headers: analyst.auth,
      })
    ).body.replace(/"asOf":"[^"]*"/, '"asOf":"(when read)"'); // every answer says when it held
  const statsBefore = await figures();
  const entryOf = async (id: string) =>
    rows<{ seq: number; before: unknown; after: unknown; reason: string | null; content_hash: string; hash: string }>(
      database.owner.execute(
        sql`select seq::int, "before", "after", reason, content_hash, hash from audit_log where object_id = ${id} order by seq`,
      ),
    );
  const [a1Before] = await entryOf(a1);
  t.ok(a1Before?.after, 'before destruction the entry holds the record');

  const rules = retentionRules({
    enforcementActionYears: 10,
    licenceYears: 10,
    establishmentYears: 1,
    selectionList: 'Selectielijst gemeenten 2020, 1.2.3 (test)',
  });
  const report = await services.commands.retention.destroyPastRetention(systemContext('retention test'), rules, '2030-06-01');
  t.same(report.destroyed, { enforcement_action: 2, licence: 1, establishment: 1 }, 'A1 and A4, L1, then E2 (nothing left on it)');

  // the records are gone; what is not past retention (or contested) stays
  const get = (url: string) => app.inject({ method: 'GET', url, headers: officer.auth });
  t.equal((await get(`/v1/enforcement-actions/${a1}`)).statusCode, 404, 'A1 (2009, final) destroyed');
  t.equal((await get(`/v1/enforcement-actions/${a4}`)).statusCode, 404, 'A4 destroyed');
  t.equal((await get(`/v1/enforcement-actions/${a2}`)).statusCode, 200, 'A2 kept: objection pending');
  t.equal((await get(`/v1/enforcement-actions/${a3}`)).statusCode, 200, 'A3 kept: within its period');
  t.equal((await get(`/v1/establishments/${e1}/licences/${l1}`)).statusCode, 404, 'L1 destroyed');
  t.equal((await get(`/v1/establishments/${e2}`)).statusCode, 404, 'E2 destroyed');
  t.equal((await get(`/v1/establishments/${e1}`)).statusCode, 200, 'E1 kept: it still has actions');

  // their audit entries: payload gone, hashes kept
  const [a1After] = await entryOf(a1);
  t.same([a1After?.before, a1After?.after, a1After?.reason], [null, null, null], 'before, after and the reason are gone');
  t.equal(a1After?.content_hash, a1Before?.content_hash, 'the stored content hash stays');
  t.equal(a1After?.hash, a1Before?.hash, 'and the chain hash');
  const dump = JSON.stringify(await asSuperuser(database, 'select * from audit_log'));
  t.notMatch(dump, /Privéhuis Oost|case 17 note/, 'no content of destroyed records anywhere in the trail');
  t.match(dump, /Club Rood/, 'content of kept records stays');

  const destroyEntries = await rows<{ object_type: string; object_id: string; after: Record<string, unknown> }>(
    database.owner.execute(sql`select object_type, object_id, "after" from audit_log where action = 'destroy' order by seq`),
  );
  t.equal(destroyEntries.length, 4, 'one destroy entry per destroyed record');
  const forA1 = destroyEntries.find((d) => d.object_id === a1);
  t.match(
    forA1?.after,
    {
      destroyedAt: String,
      rule: { selectionList: 'Selectielijst gemeenten 2020, 1.2.3 (test)', retentionYears: 10, cutOffDate: '2020-06-01' },
      periodRanFrom: '2009-05-01',
      auditEntries: [a1After?.seq],
      keptFieldsHashes: { [String(a1After?.seq)]: /^[0-9a-f]{64}$/ },
    },
    'what, when and under which rule, and which entries it blanked',
  );
  t.notOk(forA1 && 'deletedAt' in forA1.after, 'a record destroyed while live was not deleted before');

  const chain = await withTenant(database.db, { kind: 'all' }, (tx) => verifyDatabase(tx));
  t.equal(chain.ok, true, `the chain still verifies (${chain.problem ?? 'ok'})`);
  t.equal(chain.recordsWithoutTrail, 0);
  t.equal(await figures(), statsBefore, 'statistics keep the counts of destroyed actions');
  const list = json<{ items: unknown[]; totalItems: number }>(await get('/v1/enforcement-actions'));
  t.same([list.items.length, list.totalItems], [2, 2], 'a list counts the actions that exist (A2, A3), not the destroyed ones');
  await database.owner.execute(sql`select statistics_rebuild_rollups()`);
  t.equal(await figures(), statsBefore, 'rebuilding the rollups after a destruction keeps the counts too');

  // Those counts live in the whole-year rollup only: a period of months cannot count A1 (May 2009)
  // any more, so it is refused rather than answered with 1 beside the year's 2.
  const months = async (from: string, to: string) =>
    app.inject({
      url: `/v1/statistics/enforcement-actions?groupBy=year&decisionDateFrom=${from}&decisionDateTo=${to}`,
      headers: analyst.auth,
    });
  const partOf2009 = await months('2009-01-01', '2009-11-30');
  t.equal(partOf2009.statusCode, 400, 'months of a year with destroyed actions');
  t.match(json<{ invalidParams: unknown[] }>(partOf2009).invalidParams, [
    { name: 'decisionDateFrom', code: 'destroyed_records_in_period', reason: /2009/ },
  ]);
  t.equal((await months('2008-06-01', '2010-05-31')).statusCode, 400, 'also when 2009 lies whole inside the months');
  const partOf2023 = await months('2023-01-01', '2023-11-30');
  t.equal(partOf2023.statusCode, 200, 'months of a year without destroyed actions are answered');
  t.equal(json<{ items: { actions: number }[] }>(partOf2023).items[0]?.actions, 1);

  // A2 (2009, licensed under the destroyed L1) keeps its licence status: neither a licence change
  // elsewhere in the establishment's history nor a correction of A2 that keeps its decision date
  // can re-derive it from a history that no longer holds L1.
  const a2Status = async () => json<{ licenceStatus: string; version: number }>(await get(`/v1/enforcement-actions/${a2}`));
  const patch = async (payload: Record<string, unknown>, reason = 'decision date corrected') =>
    app.inject({
      method: 'PATCH',
      url: `/v1/enforcement-actions/${a2}`,
      headers: {
        ...officer.auth,
        'content-type': 'application/merge-patch+json',
        'if-match': `"${(await a2Status()).version}"`,
        'x-audit-reason': reason,
      },
      payload,
    });
  t.equal((await a2Status()).licenceStatus, 'licensed');
  await post(
    `/v1/establishments/${e1}/licences`,
    sample.licence({
      licenceNumber: 'EV-2024-001',
      validFrom: '2024-01-01',
      validUntil: '2028-12-31',
      statusHistory: [{ status: 'granted', effectiveDate: '2024-01-01' }],
    }),
  );
  t.equal((await a2Status()).licenceStatus, 'licensed', 'a licence from 2024 does not touch a 2009 action');
  const patched = await patch({ stage: 'appeal' }, 'appeal lodged');
  t.equal(patched.statusCode, 200, patched.body);
  t.equal(json<{ licenceStatus: string }>(patched).licenceStatus, 'licensed', 'nor does a correction that keeps the decision date');
  const licensed2009 = json<{ items: { licenceStatus: string; actions: number }[] }>(
    await app.inject({
      url: '/v1/statistics/enforcement-actions?yearFrom=2009&yearTo=2009&groupBy=licenceStatus',
      headers: analyst.auth,
    }),
  ).items.map((r) => [r.licenceStatus, r.actions]);
  t.same(
    licensed2009,
    [
      ['licensed', 2],
      ['unlicensed', 0],
    ],
    'so 2009 keeps its two licensed actions (A1 destroyed, A2 kept)',
  );

  const again = await services.commands.retention.destroyPastRetention(systemContext('retention test'), rules, '2030-06-01');
  t.same(again.destroyed, { enforcement_action: 0, licence: 0, establishment: 0 }, 'a second run finds nothing');

  // On a day the destroyed L1 was in force (until 2010-12-31), a licence status would be derived from a
  // history without it: moving A2 there, recording an action there (one by one or in an import's batch)
  // or a licence in force then is refused with 409, and nothing changes. After that day all is as before.
  const kept = await a2Status();
  const moved = await patch({ decisionDate: '2009-06-02' });
  t.equal(moved.statusCode, 409, moved.body);
  t.match(json(moved), { code: 'licence-history-destroyed', detail: /in force until 2010-12-31 .* on 2009-06-02/ });
  t.same(await a2Status(), kept, 'A2 unchanged: still licensed, same version');
  const recorded = await app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: officer.auth,
    payload: sample.action(e1, { decisionDate: '2010-12-31' }),
  });
  t.match({ status: recorded.statusCode, ...json(recorded) }, { status: 409, code: 'licence-history-destroyed' }, 'its last day too');
  const licence = await app.inject({
    method: 'POST',
    url: `/v1/establishments/${e1}/licences`,
    headers: officer.auth,
    payload: sample.licence({
      licenceNumber: 'EV-2010-002',
      validFrom: '2010-06-01',
      validUntil: '2011-12-31',
      statusHistory: [{ status: 'granted', effectiveDate: '2010-06-01' }],
    }),
  });
  t.match({ status: licence.statusCode, ...json(licence) }, { status: 409, code: 'licence-history-destroyed' }, licence.body);
  const batch = await services.commands.enforcementActions.createMany(
    clientContext(
      { clientId: officer.id, name: 'officer', role: 'officer', municipalityCode: 'GM0363' },
      { requestId: null, reason: null },
    ),
    ['2010-01-01', '2011-01-01'].map((decisionDate) => EnforcementActionInput.parse(sample.action(e1, { decisionDate }))),
  );
  t.match(batch[0], { code: 'licence-history-destroyed' }, 'in a batch: that record refused');
  t.match(batch[1], { decisionDate: '2011-01-01', licenceStatus: 'unlicensed' }, 'the day after: derived, and written');
  // An import's line: that problem, on its decisionDate.
  const e1Version = json<{ version: number }>(await get(`/v1/establishments/${e1}`)).version;
  const referenced = await app.inject({
    method: 'PATCH',
    url: `/v1/establishments/${e1}`,
    headers: {
      ...officer.auth,
      'content-type': 'application/merge-patch+json',
      'if-match': `"${e1Version}"`,
      'x-audit-reason': 'reference',
    },
    payload: { externalReference: 'E-1' },
  });
  t.equal(referenced.statusCode, 200, referenced.body);
  const line = {
    externalReference: 'A-9',
    establishmentReference: 'E-1',
    measure: 'warning',
    grounds: ['hygiene'],
    stage: 'decided',
    decisionDate: '2010-02-01',
  };
  const uploaded = await app.inject({
    method: 'POST',
    url: '/v1/imports?recordType=enforcement-actions&mode=row-by-row',
    headers: { ...officer.auth, 'content-type': 'application/x-ndjson' },
    payload: `${JSON.stringify(line)}\n`,
  });
  t.equal(uploaded.statusCode, 202, uploaded.body);
  while (await services.imports.worker.runOnce()) {
    // until no job waits
  }
  const job = json<{ counts: { rejected: number }; problems: unknown[] }>(await get(`/v1/imports/${json<{ id: string }>(uploaded).id}`));
  t.match(job, { counts: { rejected: 1 }, problems: [{ line: 1, column: 'decisionDate', code: 'licence-history-destroyed' }] });
  const later = await patch({ decisionDate: '2011-03-01' });
  t.equal(later.statusCode, 200, later.body);
  t.match(json(later), { decisionDate: '2011-03-01', licenceStatus: 'unlicensed' }, 'A2 moved past it: derived as ever');
});

t.test('the trail stays append-only: only a destruction blanks, and only of records that are gone', async (t) => {
  const { app, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const res = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() });
  const id = json<{ id: string }>(res).id;

  const refused = async (what: string, run: () => Promise<unknown>, message: RegExp) => {
    const err = await run().then(
      () => null,
      (e: Error & { cause?: Error }) => e.cause ?? e,
    );
    t.match(err?.message, message, what);
  };
  await refused(
    'the service cannot blank a live record’s trail',
    () =>
      withTenant(database.db, { kind: 'all' }, (tx) =>
        tx.execute(sql`select * from registry_destroy_trail('establishment', ${`{${id}}`}::text[])`),
      ),
    /still exist/,
  );
  if (usingPostgres) {
    await refused(
      'nor update the trail itself',
      () => withTenant(database.db, { kind: 'all' }, (tx) => tx.execute(sql`update audit_log set "after" = null`)),
      /permission denied/,
    );
  }
  await refused('the owner cannot update it either', () => asSuperuser(database, `update audit_log set reason = 'x'`), /append-only/);
  await refused(
    'nor blank it without the function’s flag',
    () => asSuperuser(database, `update audit_log set "before" = null, "after" = null, reason = null`),
    /append-only/,
  );

  // Someone with the owner's rights sets the flag by hand and blanks an entry: no destroy entry accounts for it.
  await asSuperuser(
    database,
    `begin; select set_config('registry.destroying', 'on', true); update audit_log set "before" = null, "after" = null, reason = null where object_id = '${id}'; commit;`,
  ).catch(async () => {
    // PGlite's drizzle runs one statement per execute: do it in a transaction
    await database.owner.transaction(async (tx) => {
      await tx.execute(sql`select set_config('registry.destroying', 'on', true)`);
      await tx.execute(sql`update audit_log set "before" = null, "after" = null, reason = null where object_id = ${id}`);
    });
  });
  const report = await verifyAuditChain(database.owner);
  t.equal(report.ok, false, 'a blanked entry without a destroy entry breaks the chain');
  t.match(report.problem, /no destroy entry records its destruction/);

  // A destroy entry as they were written before they recorded the kept fields' hashes: a plain seq list.
  const blanked = await rows<{ seq: number }>(database.owner.execute(sql`select seq::int from audit_log where object_id = ${id}`));
  await withTenant(database.db, { kind: 'all' }, (tx) =>
    appendAudit(tx, { clientId: null, role: 'system', requestId: null, reason: 'an older destruction' }, [
      {
        action: 'destroy',
        objectType: 'establishment',
        objectId: id,
        municipalityCode: 'GM0363',
        before: null,
        after: { auditEntries: blanked.map((b) => b.seq) },
      },
    ]),
  );
  t.same(
    await verifyAuditChain(database.owner),
    { ok: true, entriesChecked: 3, firstBrokenSeq: null, problem: null },
    'it still accounts for them',
  );
});

t.test('what a blanked entry keeps (who, when, what) stays covered by a hash: altered, it breaks the chain', async (t) => {
  const { app, services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const action = await make.action(officer.auth, est.id, { decisionDate: '2009-05-01', stage: 'final' });
  const rules = retentionRules({ enforcementActionYears: 10, selectionList: 'test' });
  await services.commands.retention.destroyPastRetention(systemContext('retention test'), rules, '2030-06-01');
  t.match(await verifyAuditChain(database.owner), { ok: true }, 'intact after the destruction');

  const [entry] = await asSuperuser<{ seq: number; client_role: string }>(
    database,
    `select seq::int, client_role from audit_log where object_id = '${action.id}' and action = 'create'`,
  );
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, `update audit_log set client_role = 'admin' where seq = ${entry?.seq}`);
  t.match(
    await verifyAuditChain(database.owner),
    { ok: false, firstBrokenSeq: entry?.seq, problem: new RegExp(`fields entry ${entry?.seq} kept after its destruction do not match`) },
    'who made a destroyed record can no longer be changed unnoticed',
  );
  await asSuperuser(database, `update audit_log set client_role = '${entry?.client_role}' where seq = ${entry?.seq}`);
  t.match(await verifyAuditChain(database.owner), { ok: true }, 'put back, it verifies again');
});

t.test('a licence deleted outright is destroyed too: its period runs from the validUntil it had, or from its deletion', async (t) => {
  const { app, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  // Each deleted before the next is recorded (an establishment holds one licence at a time).
  const deletedLicence = async (validFrom: string, validUntil: string | null, number: string) => {
    const l = await make.licenceValid(officer.auth, est.id, validFrom, validUntil, { licenceNumber: number });
    const res = await app.inject({
      method: 'DELETE',
      url: `/v1/establishments/${est.id}/licences/${l.id}`,
      headers: { ...officer.auth, 'if-match': `"${l.version}"`, 'x-audit-reason': `withdrawn, file ${number}` },
    });
    t.equal(res.statusCode, 204, res.body);
    return l;
  };
  const ended2010 = await deletedLicence('2005-01-01', '2010-12-31', 'EV-2005-017');
  const openEnded = await deletedLicence('2011-01-01', null, 'EV-2011-018');
  await deletedLicence('2024-01-01', '2025-12-31', 'EV-2024-019');
  const deletedOn = todayInNetherlands(); // a Dutch day, as retention counts them (not UTC's: from 23:00 UTC they differ)

  // As `npm run retention:destroy` runs it: the service's own connection (on PostgreSQL the login
  // role without row-level security bypass), the configuration's rules.
  const config = loadConfig({ LOG_LEVEL: 'silent', RETENTION_LICENCE_YEARS: '10', RETENTION_SELECTION_LIST: 'test list' });
  const first = await runRetentionDestroy(database, config, '2030-06-01');
  t.same(first.destroyed, { licence: 1 }, 'the licence that ended in 2010; the open-ended one was deleted this year, the other ended 2025');

  const trail = async (id: string) =>
    asSuperuser<{ seq: number; action: string; before: unknown; after: Record<string, unknown> | null; reason: string | null }>(
      database,
      `select seq::int, action, "before", "after", reason from audit_log where object_id = '${id}' order by seq`,
    );
  const ofEnded = await trail(ended2010.id);
  t.same(
    ofEnded.map((e) => e.action),
    ['create', 'delete', 'destroy'],
  );
  t.same(
    ofEnded.slice(0, 2).map((e) => [e.before, e.after, e.reason]),
    [
      [null, null, null],
      [null, null, null],
    ],
    'before, after and reason of its create and delete entries are gone',
  );
  t.match(
    ofEnded[2]?.after,
    {
      establishmentId: est.id,
      deletedAt: /^\d{4}-\d\d-\d\dT/,
      rule: { selectionList: 'test list', retentionYears: 10, cutOffDate: '2020-06-01' },
      periodRanFrom: '2010-12-31',
      auditEntries: ofEnded.slice(0, 2).map((e) => e.seq),
    },
    'a destroy entry: the rule, the date its period ran from, the entries it blanked',
  );
  t.notMatch(JSON.stringify(await trail(ended2010.id)), /EV-2005-017/, 'no content of it left in the trail');
  t.match(JSON.stringify(await trail(openEnded.id)), /EV-2011-018/, 'the others keep theirs');

  const verification = await withTenant(database.db, { kind: 'all' }, (tx) => verifyDatabase(tx));
  t.same(
    [verification.ok, verification.problem, verification.entriesWithoutRecord, verification.recordsWithoutTrail],
    [true, null, 0, 0],
    'the chain verifies, and every record in the trail is accounted for',
  );

  t.same((await runRetentionDestroy(database, config, '2030-06-01')).destroyed, { licence: 0 }, 'a second run finds nothing');

  // Without an end date, a deleted licence can no longer end: its period runs from the day it was deleted.
  const later = await runRetentionDestroy(database, config, cutOffDate(deletedOn, -10));
  t.same(later.destroyed, { licence: 2 }, 'ten years after the deletion, the open-ended one goes (and the one of 2025)');
  const [, , destroyOpenEnded] = await trail(openEnded.id);
  t.match(destroyOpenEnded?.after, { periodRanFrom: deletedOn });
  const after = await withTenant(database.db, { kind: 'all' }, (tx) => verifyDatabase(tx));
  t.same([after.ok, after.problem, after.entriesWithoutRecord], [true, null, 0], 'and the chain still verifies');
});

t.test('an establishment’s period runs from the day it was last changed in the Netherlands, not in UTC', async (t) => {
  const { app, services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const est = await records(app).establishment(officer.auth);
  // 23:30 UTC on 7 December is 00:30 on 8 December in Amsterdam: changed on the 8th.
  await database.owner.execute(sql`update establishments set updated_at = '2016-12-07T23:30:00Z' where id = ${est.id}`);
  const rules = retentionRules({ establishmentYears: 10, selectionList: 'test list' });
  const run = (asOf: string) => services.commands.retention.destroyPastRetention(systemContext('retention test'), rules, asOf);

  t.same((await run('2026-12-07')).destroyed, { establishment: 0 }, 'ten years from 8 December 2016 have not run on 7 December 2026');
  t.equal((await app.inject({ method: 'GET', url: `/v1/establishments/${est.id}`, headers: officer.auth })).statusCode, 200);
  t.same((await run('2026-12-08')).destroyed, { establishment: 1 }, 'on 8 December they have');
  const [destroy] = await asSuperuser<{ after: Record<string, unknown> }>(
    database,
    `select "after" from audit_log where object_id = '${est.id}' and action = 'destroy'`,
  );
  t.match(destroy?.after, { periodRanFrom: '2016-12-08', rule: { cutOffDate: '2016-12-08' } }, 'the day it ran from, as a Dutch date');
});

t.test('a licence deleted without an end date: its period runs from the Dutch day of its deletion', async (t) => {
  const { app, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const l = await make.licenceValid(officer.auth, est.id, '2011-01-01', null, { licenceNumber: 'EV-2011-020' });
  const res = await app.inject({
    method: 'DELETE',
    url: `/v1/establishments/${est.id}/licences/${l.id}`,
    headers: { ...officer.auth, 'if-match': `"${l.version}"`, 'x-audit-reason': 'withdrawn' },
  });
  t.equal(res.statusCode, 204, res.body);
  // As if deleted at 23:30 UTC on 7 December 2016, 00:30 on the 8th in Amsterdam (the trail is append-only: its trigger is off for this).
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(
    database,
    `update audit_log set occurred_at = '2016-12-07T23:30:00Z' where object_id = '${l.id}' and action = 'delete'`,
  );
  await asSuperuser(database, 'alter table audit_log enable trigger audit_log_append_only');
  const config = loadConfig({ LOG_LEVEL: 'silent', RETENTION_LICENCE_YEARS: '10', RETENTION_SELECTION_LIST: 'test list' });

  t.same((await runRetentionDestroy(database, config, '2026-12-07')).destroyed, { licence: 0 }, 'not on 7 December 2026');
  t.same((await runRetentionDestroy(database, config, '2026-12-08')).destroyed, { licence: 1 }, 'on 8 December 2026');
  const [destroy] = await asSuperuser<{ after: Record<string, unknown> }>(
    database,
    `select "after" from audit_log where object_id = '${l.id}' and action = 'destroy'`,
  );
  t.match(destroy?.after, { periodRanFrom: '2016-12-08' }, 'the day it ran from, as a Dutch date');
});

t.test('a destroyed licence that ended early closes only its own days, and no action in them is derived again', async (t) => {
  const { app, services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const send = async (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: Record<string, unknown>, version?: number) =>
    app.inject({
      method,
      url,
      headers: {
        ...officer.auth,
        'x-audit-reason': 'test',
        ...(method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}),
        ...(version ? { 'if-match': `"${version}"` } : {}),
      },
      ...(payload ? { payload } : {}),
    });
  const made = async (url: string, payload: Record<string, unknown>) => {
    const res = await send('POST', url, payload);
    t.equal(res.statusCode, 201, res.body);
    return json<{ id: string; version: number; licenceStatus?: string }>(res);
  };
  const e = (await made('/v1/establishments', sample.establishment())).id;
  const licences = `/v1/establishments/${e}/licences`;
  const licence = (number: string, validFrom: string, validUntil: string, revoked?: string) =>
    made(
      licences,
      sample.licence({
        licenceNumber: number,
        validFrom,
        validUntil,
        statusHistory: [
          { status: 'granted', effectiveDate: validFrom },
          ...(revoked ? [{ status: 'revoked', effectiveDate: revoked }] : []),
        ],
      }),
    );
  const l0 = await licence('EV-2000', '2000-01-01', '2035-12-31', '2004-01-01'); // valid until 2035, revoked in 2004: kept
  const l3 = await licence('EV-2005', '2005-01-01', '2010-12-31', '2008-07-01'); // in force until 2008-06-30: destroyed
  const l4 = await licence('EV-2009', '2009-01-01', '2040-12-31'); // from 2009: kept
  const a = await made('/v1/enforcement-actions', sample.action(e, { decisionDate: '2007-06-01', stage: 'objection' }));
  t.equal(a.licenceStatus, 'licensed', 'under EV-2005');

  const rules = retentionRules({ enforcementActionYears: 10, licenceYears: 10, establishmentYears: 1, selectionList: 'test' });
  const report = await services.commands.retention.destroyPastRetention(systemContext('retention test'), rules, '2030-06-01');
  t.same(report.destroyed, { enforcement_action: 0, licence: 1, establishment: 0 }, 'EV-2005 alone');
  const [entry] = await rows<{ after: { inForceUntil: string; periodRanFrom: string } }>(
    database.owner.execute(sql`select "after" from audit_log where object_id = ${l3.id} and action = 'destroy'`),
  );
  t.match(
    entry?.after,
    { inForceUntil: '2008-06-30', periodRanFrom: '2010-12-31' },
    'its destroy entry says until when it could be in force',
  );

  const status = async () =>
    json<{ licenceStatus: string; version: number }>(await app.inject({ url: `/v1/enforcement-actions/${a.id}`, headers: officer.auth }));
  const later = await made('/v1/enforcement-actions', sample.action(e, { decisionDate: '2010-03-01' }));
  t.equal(later.licenceStatus, 'licensed', 'after its last day in force (though before its validUntil): derived from EV-2009');
  /** Revokes licence `id` (granted on `granted`) as of `on`. */
  const revoke = (id: string, granted: string, on: string, version: number) =>
    send(
      'PATCH',
      `${licences}/${id}`,
      {
        statusHistory: [
          { status: 'granted', effectiveDate: granted },
          { status: 'revoked', effectiveDate: on },
        ],
      },
      version,
    );
  const revoked = await revoke(l4.id, '2009-01-01', '2025-01-01', l4.version);
  t.equal(revoked.statusCode, 200, `EV-2009 may be revoked: its days start after EV-2005's: ${revoked.body}`);

  const renumbered = await send('PATCH', `${licences}/${l0.id}`, { licenceNumber: 'EV-2000-A' }, l0.version);
  t.equal(renumbered.statusCode, 200, renumbered.body);
  t.equal((await status()).licenceStatus, 'licensed', 'EV-2000 corrected: the 2007 action in its validity is not derived again');
  const moved = await revoke(l0.id, '2000-01-01', '2006-01-01', json<{ version: number }>(renumbered).version);
  t.match({ status: moved.statusCode, ...json(moved) }, { status: 409, code: 'licence-history-destroyed' }, 'its days changed: refused');
  const removed = await send('DELETE', `${licences}/${l0.id}`, undefined, json<{ version: number }>(renumbered).version);
  t.match({ status: removed.statusCode, ...json(removed) }, { status: 409, code: 'licence-history-destroyed' }, 'removed: refused');
  t.equal((await status()).licenceStatus, 'licensed', 'and the action keeps its status');
});

t.test('a destruction that commits after a licence change was checked: the change is refused, not half derived', async (t) => {
  // The command checked the licence's days against the destroyed ones, then a retention run committed a
  // destruction reaching into them (READ COMMITTED: the next statement sees it). The re-derivation that
  // follows finds an action on the now closed days: it refuses the change rather than skip that action.
  const { app, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const made = async (url: string, payload: Record<string, unknown>) =>
    json<{ id: string; licenceStatus?: string }>(await app.inject({ method: 'POST', url, headers: officer.auth, payload }));
  const e = (await made('/v1/establishments', sample.establishment())).id;
  const a = await made('/v1/enforcement-actions', sample.action(e, { decisionDate: '2003-06-01' }));
  t.equal(a.licenceStatus, 'unlicensed');
  await withTenant(database.db, { kind: 'all' }, (tx) =>
    appendAudit(tx, { clientId: null, role: 'system', requestId: null, reason: 'retention' }, [
      {
        action: 'destroy',
        objectType: 'licence',
        objectId: '00000000-0000-4000-8000-00000000d357',
        municipalityCode: 'GM0363',
        before: null,
        after: { establishmentId: e, periodRanFrom: '2005-12-31', inForceUntil: '2004-12-31', auditEntries: [] },
      },
    ]),
  );
  const period = { licenceNumber: 'EV-2003', validFrom: '2003-01-01', validUntil: '2003-12-31', statusHistory: [] };
  const ctx = systemContext('test');
  await t.rejects(
    withTenant(database.db, { kind: 'all' }, (tx) => rederiveLicenceStatus(tx, ctx, e, [period], 'refuse')),
    { code: 'licence-history-destroyed', message: /until 2004-12-31/ },
    'days put in or out of force on closed days: refused',
  );
  t.same(
    await withTenant(database.db, { kind: 'all' }, (tx) => rederiveLicenceStatus(tx, ctx, e, [period], 'keep')),
    [],
    'a change that leaves the days alone: the action keeps its status',
  );
});

import { desc, eq } from 'drizzle-orm';
import t from 'tap';
import type { App } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { clientContext, systemContext } from '../../src/application/context.js';
import { runPersonalDataRedact } from '../../src/cli/personal-data-redact.js';
import { runPersonalDataReport } from '../../src/cli/personal-data-report.js';
import { RuleViolation } from '../../src/domain/errors.js';
import type { EnforcementActionInput, EstablishmentInput } from '../../src/domain/records.js';
import { retentionRules } from '../../src/domain/retention.js';
import { auditLog } from '../../src/infrastructure/db/schema.js';
import { asSuperuser, forgedRedaction, rechain } from '../support/audit.js';
import { build, json, sample, testConfig } from '../support/helper.js';

/**
 * `npm run personal-data:report`: text the registry kept before the rule (src/domain/personal-data.ts)
 * refused it is found in the records and in the audit trail, named by where it is and what kind it is,
 * never by the text itself. Such text is written here as it was then: through the commands, which do
 * not judge text (the HTTP schemas do).
 */
/** An establishment's street replaced by a plain one through the API, as its municipality mends it: the status. */
async function mendStreet(app: App, auth: Record<string, string>, id: string): Promise<number> {
  const res = await app.inject({
    method: 'PATCH',
    url: `/v1/establishments/${id}`,
    headers: { ...auth, 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
    payload: { address: { street: 'Achterom' } },
  });
  return res.statusCode;
}

t.test('the report names stored personal data in records and audit entries, never the text', async (t) => {
  const { app, services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const report = async (pageSize?: number) => {
    const lines: string[] = [];
    const code = await runPersonalDataReport(database, (line) => lines.push(line), pageSize);
    const parsed = lines
      .join('')
      .trimEnd()
      .split('\n')
      .map((line) => (line.startsWith('{') ? (JSON.parse(line) as Record<string, unknown>) : line));
    return { code, text: lines.join(''), findings: parsed.filter((p) => typeof p === 'object' && 'in' in p), last: parsed.at(-1) };
  };

  // clean records, as the API takes them
  const clean = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  const cleanAction = await app.inject({
    method: 'POST',
    url: '/v1/enforcement-actions',
    headers: officer.auth,
    payload: sample.action(clean.id),
  });
  t.equal(cleanAction.statusCode, 201);
  const before = await report();
  t.equal(before.code, 0, 'nothing to report');
  t.same(before.findings, []);
  t.match(before.last, /^no personal data found in \d+ records and \d+ audit entries$/);

  // text from before the rule
  const phone = '06-12345678';
  const mail = 'anna@example.nl';
  const bsn = 'bsn 123456782';
  const { commands } = services;
  const as = (reason: string) =>
    clientContext({ clientId: officer.id, name: 'officer', role: 'officer', municipalityCode: 'GM0363' }, { requestId: null, reason });
  const { id: olderId } = madeBy(
    await commands.establishments.create(as(`tip van ${mail}`), {
      ...(sample.establishment() as EstablishmentInput),
      address: { street: `Achterom, bel ${phone}`, houseNumber: 3, postalCode: '1012DK', city: 'Amsterdam' },
    }),
  );
  const { id: actionId } = madeBy(
    await commands.enforcementActions.create(as('registered'), {
      ...(sample.action(clean.id) as EnforcementActionInput),
      legalBasis: `Awb 5:32, ${bsn}`,
      zaakUrl: `https://zaken.example.nl/zaken/${mail}`,
    }),
  );
  const { id: goneId } = madeBy(await commands.establishments.create(as('registered'), sample.establishment() as EstablishmentInput));
  const attestation = madeBy(
    await services.commands.reportingAttestations.create(as('registered'), {
      municipalityCode: 'GM0363',
      year: 2019,
      complete: true,
      nothingToReport: false,
      statement: `Vragen: ${mail}`,
    }),
  );
  const apiClient = madeBy(
    await commands.apiClients.create(as('registered'), { name: `koppeling (${phone})`, role: 'analyst', municipalityCode: null }),
  );
  await commands.establishments.remove(as(`dubbel, zie ${phone}`), goneId, 1);

  // the establishment's street corrected through the API: the record is clean, its trail is not
  t.equal(await mendStreet(app, officer.auth, olderId), 200, 'the street corrected');

  const found = await report(2); // small pages: every kind is read across several
  t.equal(found.code, 1, 'exit 1: personal data found');
  const where = (f: Record<string, unknown>) =>
    `${f.in} ${f.objectType} ${f.objectId} ${f.field}: ${f.found}${f.deleted ? ' (deleted)' : ''}`;
  t.same(
    found.findings.map((f) => where(f as Record<string, unknown>)).sort(),
    [
      `record enforcement_action ${actionId} legalBasis: a BSN`,
      `record enforcement_action ${actionId} zaakUrl: an e-mail address`,
      `audit-entry enforcement_action ${actionId} after.zaakUrl: an e-mail address`,
      `record establishment ${goneId} deleteReason: a phone number (deleted)`,
      `audit-entry establishment ${olderId} reason: an e-mail address`,
      `audit-entry establishment ${olderId} after.address.street: a phone number`,
      `audit-entry establishment ${olderId} before.address.street: a phone number`,
      `audit-entry enforcement_action ${actionId} after.legalBasis: a BSN`,
      `audit-entry establishment ${goneId} reason: a phone number`,
      `record reporting_attestation ${attestation.id} statement: an e-mail address`,
      `audit-entry reporting_attestation ${attestation.id} after.statement: an e-mail address`,
      `record api_client ${apiClient.id} name: a phone number`,
      `audit-entry api_client ${apiClient.id} after.name: a phone number`,
    ].sort(),
    'each finding once, where it is',
  );
  const seqs = found.findings
    .map((f) => f as Record<string, unknown>)
    .filter((f) => f.in === 'audit-entry')
    .map((f) => f.seq);
  t.ok(
    seqs.every((s) => Number.isInteger(s) && (s as number) > 0),
    'audit entries are named by seq',
  );
  t.notMatch(found.text, /12345678|anna|example\.nl|123456782/, 'the text itself is never printed');
  t.match(found.last, /^personal data found in 4 records and 6 audit entries/);
  const summary = found.findings.length;
  t.equal(summary, 13);
  const counts = JSON.parse(found.text.trimEnd().split('\n').at(-2) ?? '{}') as Record<string, number>;
  t.match(counts, { recordsWithPersonalData: 4, entriesWithPersonalData: 6 });
  t.ok((counts.recordsRead ?? 0) >= 6, 'every record was read (establishments, actions, API clients…), across pages of two');

  const whole = await report();
  t.same(
    whole.findings.map((f) => where(f as Record<string, unknown>)).sort(),
    found.findings.map((f) => where(f as Record<string, unknown>)).sort(),
    'pages of any size find the same',
  );
});

/**
 * `npm run personal-data:redact`: what the report finds in audit entries is replaced there by a fixed
 * text, through the database's one path (migration 0025), recorded by a `redact` entry; the chain
 * still verifies, and a change to a redacted entry beyond the redaction is still found.
 */
t.test('redaction removes personal data from audit entries and the chain still verifies', async (t) => {
  const { app, services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const { commands } = services;
  const as = (reason: string | null) =>
    clientContext({ clientId: officer.id, name: 'officer', role: 'officer', municipalityCode: 'GM0363' }, { requestId: null, reason });
  const { id: estId } = madeBy(
    await commands.establishments.create(as('tip van anna@example.nl'), {
      ...(sample.establishment() as EstablishmentInput),
      address: { street: 'Achterom, bel 06-12345678', houseNumber: 3, postalCode: '1012DK', city: 'Amsterdam' },
    }),
  );
  t.equal(await mendStreet(app, officer.auth, estId), 200, 'the record mended');
  const { id: actionId } = madeBy(
    await commands.enforcementActions.create(as(null), {
      ...(sample.action(estId) as EnforcementActionInput),
      legalBasis: 'Awb, bsn 123456782',
    }),
  );
  const entries = async (objectId: string) =>
    asSuperuser<{ seq: number; action: string; reason: string | null; before: unknown; after: unknown; actor_id: string | null }>(
      database,
      `select seq::int, action, reason, "before", "after", actor_id from audit_log where object_id = '${objectId}' order by seq`,
    );
  const [created, update] = await entries(estId);
  const [actionCreated] = await entries(actionId);
  if (!created || !update || !actionCreated) throw new Error('no entries');

  // Refused, all or nothing: every problem listed, nothing changed.
  const refused = await commands.redaction
    .redact(systemContext('test'), [
      { seq: created.seq, fields: ['reason', 'after.address.street', 'after.kind', 'after.name'] },
      { seq: actionCreated.seq, fields: ['after.legalBasis'] },
      { seq: 999_999, fields: ['reason'] },
    ])
    .catch((err: unknown) => err);
  t.ok(refused instanceof RuleViolation, `a rule violation: ${refused}`);
  t.same(
    (refused as RuleViolation).invalidParams.map((p) => `${p.name}:${p.code}`),
    [
      `${created.seq}.after.kind:not_redactable`,
      `${created.seq}.after.name:no_personal_data`,
      `${actionCreated.seq}.after.legalBasis:record_holds_it`,
      '999999:not_found',
    ],
  );
  t.same(await entries(estId), [created, update], 'nothing was redacted');

  // The dry run says what it would do; --apply does it.
  const run = async (apply: boolean) => {
    const lines: string[] = [];
    const code = await runPersonalDataRedact(database, testConfig(), { by: 'fg.devries', reason: 'AVG: verzoek FG 2026-14', apply }, (l) =>
      lines.push(l),
    );
    return { code, lines: lines.join('').trimEnd().split('\n') };
  };
  const dry = await run(false);
  t.equal(dry.code, 1, 'findings left');
  t.same(
    dry.lines.filter((l) => l.includes('wouldRedact')).map((l) => JSON.parse(l)),
    [
      { wouldRedact: created.seq, fields: ['reason', 'after.address.street'] },
      { wouldRedact: update.seq, fields: ['before.address.street'] },
    ],
  );
  t.match(dry.lines.at(-1), /^dry run: 2 audit entries would be redacted, 2 findings left/);
  t.same(await entries(estId), [created, update], 'a dry run changes nothing');

  const applied = await run(true);
  t.equal(applied.code, 1, 'the action still holds its BSN: left, so exit 1');
  t.match(applied.lines.at(-1), /^redacted 2 audit entries; 2 findings left$/);
  t.ok(
    applied.lines.some((l) => l.includes('"left":"record"') && l.includes(actionId)),
    'the record to mend is named',
  );
  const [createdNow, updateNow, redaction] = await entries(estId);
  const marker = '[removed: personal data]';
  t.equal(createdNow?.reason, marker, 'the reason replaced');
  t.match(
    createdNow?.after,
    { name: 'Club Rood', address: { street: marker, city: 'Amsterdam', houseNumber: 3 } },
    'only the street replaced',
  );
  t.match(updateNow?.before, { address: { street: marker } });
  t.match(updateNow?.after, { address: { street: 'Achterom' } }, 'the mended text stays');
  t.match(redaction, {
    action: 'redact',
    reason: 'AVG: verzoek FG 2026-14',
    actor_id: 'fg.devries',
    before: null,
    after: { redactedEntries: [{ seq: created.seq, fields: ['reason', 'after.address.street'] }, { seq: update.seq }] },
  });

  // A deleted record's trail: the reason of its delete redacted, it is still a tombstone whose latest change is its delete.
  const { id: goneId } = madeBy(await commands.establishments.create(as(null), sample.establishment() as EstablishmentInput));
  await commands.establishments.remove(as('dubbel, zie 06-12345678'), goneId, 1);
  const [, deleted] = await entries(goneId);
  await commands.redaction.redact(systemContext('AVG: verzoek FG 2026-14'), [{ seq: deleted?.seq ?? 0, fields: ['reason'] }]);

  // A licence deleted outright with a reason from before the rule, that reason redacted: retention still destroys it.
  const { id: licenceId } = madeBy(
    await commands.licences.create(as(null), estId, {
      licenceNumber: 'EV-2005-001',
      validFrom: '2005-01-01',
      validUntil: '2010-12-31',
      statusHistory: [{ status: 'granted', effectiveDate: '2005-01-01' }],
    }),
  );
  await commands.licences.remove(as('ingetrokken, zie 06-12345678'), estId, licenceId, 1);
  const [, licenceDeleted] = await entries(licenceId);
  await commands.redaction.redact(systemContext('AVG: verzoek FG 2026-14'), [{ seq: licenceDeleted?.seq ?? 0, fields: ['reason'] }]);
  const establishmentTrail = json<{ items: { action: string; objectId: string; after: unknown }[] }>(
    await app.inject({ url: `/v1/establishments/${estId}/audit-trail?pageSize=100`, headers: officer.auth }),
  );
  t.match(
    establishmentTrail.items.filter((i) => i.objectId === licenceId).map((i) => i.action),
    ['create', 'delete', 'redact'],
    'a licence’s redaction shows in its establishment’s trail, the only trail an officer reads it in',
  );
  const destroyed = await commands.retention.destroyPastRetention(
    systemContext('retention test'),
    retentionRules({ licenceYears: 10, selectionList: 'Selectielijst gemeenten 2020 (test)' }),
    '2030-06-01',
  );
  t.same(destroyed.destroyed, { licence: 1 }, 'the redacted licence is destroyed in its time');

  const verification = json<{ ok: boolean; problem: string | null; recordsWithoutTrail: number; recordsNotMatchingTrail: number }>(
    await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth }),
  );
  t.match(verification, { ok: true, problem: null, recordsWithoutTrail: 0, recordsNotMatchingTrail: 0 }, 'the chain verifies');
  const trail = json<{ items: { action: string; objectId: string; reason: string | null; actor: { id: string } | null }[] }>(
    await app.inject({ url: `/v1/establishments/${estId}/audit-trail`, headers: officer.auth }),
  );
  t.match(
    trail.items.filter((i) => i.action === 'redact' && i.objectId === estId),
    [{ reason: 'AVG: verzoek FG 2026-14', actor: { id: 'fg.devries', verified: false } }],
    'in the establishment’s trail, once',
  );

  const report = await run(false);
  t.same(
    report.lines.filter((l) => l.includes('wouldRedact')),
    [],
    'nothing more to redact until the action is mended',
  );

  // The one path writes only the fixed text, and only over a text.
  const noText = await asSuperuser(database, `select registry_redact_entry(${created.seq}, array['after.address.houseNumber'])`).catch(
    (err: Error) => err,
  );
  t.match(noText, { message: /after.address.houseNumber of audit entry \d+ is no free text/ });
  const aCode = await asSuperuser(database, `select registry_redact_entry(${created.seq}, array['after.kind'])`).catch((err: Error) => err);
  t.match(aCode, { message: /after.kind of audit entry \d+ is no free text/, code: '22023' }, 'not over a code');
  const noValue = await asSuperuser(database, `select registry_redact_entry(${created.seq}, array['before.name'])`).catch(
    (err: Error) => err,
  );
  t.match(noValue, { message: /holds no text at before.name/ }, 'a create has no before');
  const ofRedaction = await asSuperuser(database, `select registry_redact_entry(${redaction?.seq}, array['reason'])`).catch(
    (err: Error) => err,
  );
  t.match(ofRedaction, { message: /is not redacted/ });

  // A redacted entry changed beyond its redaction: found, as any change to an entry.
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, `update audit_log set "after" = jsonb_set("after", '{name}', '"Club Blauw"') where seq = ${created.seq}`);
  await asSuperuser(database, 'alter table audit_log enable trigger audit_log_append_only');
  const tampered = json<{ ok: boolean; firstBrokenSeq: number; problem: string }>(
    await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth }),
  );
  t.match(tampered, { ok: false, firstBrokenSeq: created.seq, problem: /content does not match its content hash/ });

  // A redact entry forged to account for it: the field it names must hold the redaction's fixed text.
  const owner = database.owner;
  const [head] = await owner.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
  const [covered] = await owner.select().from(auditLog).where(eq(auditLog.seq, created.seq));
  if (!head || !covered) throw new Error('no entries');
  await owner.insert(auditLog).values(forgedRedaction(head, covered, ['after.name']));
  const forged = json<{ ok: boolean; firstBrokenSeq: number; problem: string }>(
    await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth }),
  );
  t.match(
    forged,
    { ok: false, firstBrokenSeq: created.seq, problem: /content does not match its content hash/ },
    'a forged redaction of a name',
  );
});

t.test('an entry of chain format 1 is reported as not redactable and left, and the rest is redacted', async (t) => {
  const { services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const { commands } = services;
  const as = (reason: string) =>
    clientContext({ clientId: officer.id, name: 'officer', role: 'officer', municipalityCode: 'GM0363' }, { requestId: null, reason });
  const older = madeBy(await commands.establishments.create(as('tip van anna@example.nl'), sample.establishment() as EstablishmentInput));
  await rechain(database, () => true); // everything so far written before migration 0008
  const newer = madeBy(await commands.establishments.create(as('melding, zie 06-12345678'), sample.establishment() as EstablishmentInput));
  const seqOf = async (objectId: string) =>
    (await asSuperuser<{ seq: number }>(database, `select seq::int from audit_log where object_id = '${objectId}' order by seq`))[0]?.seq;
  const [olderSeq, newerSeq] = [await seqOf(older.id), await seqOf(newer.id)];

  const lines: string[] = [];
  t.equal(await runPersonalDataReport(database, (l) => lines.push(l)), 1);
  const findings = lines.filter((l) => l.startsWith('{"in"')).map((l) => JSON.parse(l) as Record<string, unknown>);
  t.match(findings, [
    { in: 'audit-entry', seq: olderSeq, field: 'reason', notRedactable: /chain format 1/ },
    { in: 'audit-entry', seq: newerSeq, field: 'reason' },
  ]);
  t.notOk('notRedactable' in (findings[1] ?? {}), 'a redactable entry’s finding says nothing of it');

  const out: string[] = [];
  const code = await runPersonalDataRedact(
    database,
    testConfig(),
    { by: 'fg.devries', reason: 'AVG: verzoek FG 2026-14', apply: true },
    (l) => out.push(l),
  );
  const text = out.join('');
  t.equal(code, 1, `a finding is left, so exit 1: ${text}`);
  t.match(text, new RegExp(`"left":"audit-entry","seq":${olderSeq},"field":"reason".*chain format 1`));
  t.match(text, /^redacted 1 audit entry; 1 finding left$/m, 'the format-2 entry is redacted all the same');
  const reasons = await asSuperuser<{ seq: number; reason: string }>(
    database,
    `select seq::int, reason from audit_log where seq in (${olderSeq}, ${newerSeq}) order by seq`,
  );
  t.same(
    reasons.map((r) => r.reason),
    ['tip van anna@example.nl', '[removed: personal data]'],
  );
  t.match(await services.queries.auditTrail.verify(systemContext('test')), { ok: true }, 'the chain verifies');
});

t.test('a link with personal data is found by the report and redacted from the trail once the record is mended', async (t) => {
  const { app, services, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const as = (reason: string | null) =>
    clientContext({ clientId: officer.id, name: 'officer', role: 'officer', municipalityCode: 'GM0363' }, { requestId: null, reason });
  const est = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  // As stored before links were judged: through the command, which does not judge (the schema does).
  const mail = 'https://zaken.example.nl/zaken/anna.devries@gmail.com';
  const besluit = 'https://besluiten.example.nl/besluiten/api/v1/besluiten/0b2f3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
  const { id: actionId } = madeBy(
    await services.commands.enforcementActions.create(as(null), {
      ...(sample.action(est.id) as EnforcementActionInput),
      zaakUrl: mail,
      besluitUrl: besluit,
    }),
  );
  const entries = () =>
    asSuperuser<{ seq: number; before: Record<string, unknown> | null; after: Record<string, unknown> | null }>(
      database,
      `select seq::int, "before", "after" from audit_log where object_id = '${actionId}' order by seq`,
    );
  const report = async () => {
    const lines: string[] = [];
    await runPersonalDataReport(database, (line) => lines.push(line));
    return lines
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{"in"'))
      .map((l) => JSON.parse(l) as { in: string; field: string; found: string })
      .map((f) => `${f.in} ${f.field}: ${f.found}`)
      .sort();
  };
  t.same(await report(), ['audit-entry after.zaakUrl: an e-mail address', 'record zaakUrl: an e-mail address'], 'the report reads links');
  // The municipality finds the record the report names by its link: a filter is compared, never kept, so not refused.
  const found = await app.inject({ url: `/v1/enforcement-actions?zaakUrl=${encodeURIComponent(mail)}`, headers: officer.auth });
  t.equal(found.statusCode, 200, found.body);
  t.same(
    json<{ items: { id: string }[] }>(found).items.map((i) => i.id),
    [actionId],
    'the list filter finds it',
  );

  const [created] = await entries();
  if (!created) throw new Error('no entry');
  const redact = (seq: number, fields: string[]) =>
    services.commands.redaction.redact(systemContext('AVG: verzoek FG 2026-15'), [{ seq, fields }]).catch((err: unknown) => err);
  const holds = await redact(created.seq, ['after.zaakUrl', 'after.besluitUrl']);
  t.ok(holds instanceof RuleViolation, 'refused while the record holds it');
  t.same(
    (holds as RuleViolation).invalidParams.map((p) => `${p.name}:${p.code}`),
    [`${created.seq}.after.zaakUrl:record_holds_it`, `${created.seq}.after.besluitUrl:no_personal_data`],
    'the record is mended first; a link without personal data is not redacted',
  );

  // The municipality mends the record (the link to the zaak itself), then the trail's copies are redacted.
  const mended = await app.inject({
    method: 'PATCH',
    url: `/v1/enforcement-actions/${actionId}`,
    headers: { ...officer.auth, 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
    payload: { zaakUrl: 'https://zaken.example.nl/zaken/api/v1/zaken/5d8a0b8c-2bc6-4ab1-8f3c-0b6e4c6c1f2a' },
  });
  t.equal(mended.statusCode, 200, mended.body);
  const [, update] = await entries();
  if (!update) throw new Error('no update entry');
  t.match(await redact(created.seq, ['after.zaakUrl']), [{ seq: created.seq, fields: ['after.zaakUrl'] }]);
  t.match(await redact(update.seq, ['before.zaakUrl']), [{ seq: update.seq, fields: ['before.zaakUrl'] }]);
  const [createdNow, updateNow] = await entries();
  const marker = '[removed: personal data]';
  t.equal(createdNow?.after?.zaakUrl, marker);
  t.equal(createdNow?.after?.besluitUrl, besluit, 'only the named link');
  t.equal(updateNow?.before?.zaakUrl, marker);
  t.notMatch(JSON.stringify(await entries()), /anna/, 'the address is nowhere in the trail');
  t.same(await report(), [], 'nothing left to report');
  const verification = json<{ ok: boolean; problem: string | null }>(
    await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth }),
  );
  t.match(verification, { ok: true, problem: null }, 'the chain verifies');
});

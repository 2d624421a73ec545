import t from 'tap';
import { madeBy } from '../../src/application/commands/run.js';
import { clientContext } from '../../src/application/context.js';
import { runPersonalDataReport } from '../../src/cli/personal-data-report.js';
import type { EnforcementActionInput, EstablishmentInput } from '../../src/domain/records.js';
import { build, json, sample } from '../support/helper.js';

/**
 * `npm run personal-data:report`: text the registry kept before the rule (src/domain/personal-data.ts)
 * refused it is found in the records and in the audit trail, named by where it is and what kind it is,
 * never by the text itself. Such text is written here as it was then: through the commands, which do
 * not judge text (the HTTP schemas do).
 */
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
  const corrected = await app.inject({
    method: 'PATCH',
    url: `/v1/establishments/${olderId}`,
    headers: { ...officer.auth, 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
    payload: { address: { street: 'Achterom' } },
  });
  t.equal(corrected.statusCode, 200, 'the street corrected');

  const found = await report(2); // small pages: every kind is read across several
  t.equal(found.code, 1, 'exit 1: personal data found');
  const where = (f: Record<string, unknown>) =>
    `${f.in} ${f.objectType} ${f.objectId} ${f.field}: ${f.found}${f.deleted ? ' (deleted)' : ''}`;
  t.same(
    found.findings.map((f) => where(f as Record<string, unknown>)).sort(),
    [
      `record enforcement_action ${actionId} legalBasis: a BSN`,
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
  t.equal(summary, 11);
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

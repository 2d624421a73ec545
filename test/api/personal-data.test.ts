import t from 'tap';
import { json, sample } from '../support/helper.js';
import { EST_HEADER, setUp } from '../support/imports.js';

/**
 * "Never store personal data of sex workers": free text the registry keeps (a legal basis, a
 * statement, a description, a name of a client, a release's title, an audit reason), and the links it
 * keeps (a zaak's or besluit's URL, a callback URL), are refused when they hold an e-mail address, a
 * phone number or a BSN (src/domain/personal-data.ts), with every other issue of the request, and
 * nothing is written.
 */
type Problem = { status: number; invalidParams?: { name: string; code: string }[] };
const codes = (res: { body: string }) => (json<Problem>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`).sort();

t.test('free text with personal data is a 400 (personal_data) and changes nothing', async (t) => {
  const { app, client, officer, importFile } = await setUp(t);
  const admin = await client('admin');
  const send = (method: 'POST' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, payload?: object) =>
    app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  const est = json<{ id: string; version: number }>(await send('POST', '/v1/establishments', officer.auth, sample.establishment()));
  const action = json<{ id: string; version: number } & Record<string, unknown>>(
    await send('POST', '/v1/enforcement-actions', officer.auth, sample.action(est.id)),
  );
  const trailLength = async () =>
    json<{ items: unknown[] }>(await app.inject({ url: `/v1/enforcement-actions/${action.id}/audit-trail`, headers: officer.auth })).items
      .length;
  const before = { trail: await trailLength(), actions: await countActions() };
  async function countActions() {
    return json<{ totalItems: number }>(await app.inject({ url: '/v1/enforcement-actions', headers: officer.auth })).totalItems;
  }

  const refused: [string, ReturnType<typeof send>, string[]][] = [
    [
      'a legal basis with a phone number, beside a decision in the future',
      send(
        'POST',
        '/v1/enforcement-actions',
        officer.auth,
        sample.action(est.id, { legalBasis: 'APV 3:4; melder 06-12345678', decisionDate: '2099-01-01' }),
      ),
      ['decisionDate:in_future', 'legalBasis:personal_data'],
    ],
    [
      'a corrected legal basis with a BSN',
      send(
        'PUT',
        `/v1/enforcement-actions/${action.id}`,
        { ...officer.auth, 'if-match': `"${action.version}"` },
        {
          ...sample.action(est.id),
          legalBasis: 'Awb 5:32 (bsn 111222333)',
        },
      ),
      ['legalBasis:personal_data'],
    ],
    [
      'an audit reason with an e-mail address',
      send('POST', '/v1/establishments', { ...officer.auth, 'x-audit-reason': 'tip van anna@example.nl' }, sample.establishment()),
      ['x-audit-reason:personal_data'],
    ],
    [
      'a delete whose reason names a phone number',
      send('DELETE', `/v1/enforcement-actions/${action.id}`, {
        ...officer.auth,
        'if-match': `"${action.version}"`,
        'x-audit-reason': 'dubbel, zie +31 6 12345678',
      }),
      ['x-audit-reason:personal_data'],
    ],
    [
      'an attestation statement with an e-mail address',
      send('POST', '/v1/reporting-attestations', officer.auth, {
        municipalityCode: 'GM0363',
        year: 2019,
        complete: true,
        nothingToReport: false,
        statement: 'Vragen: handhaving@amsterdam.nl',
      }),
      ['statement:personal_data'],
    ],
    [
      'a subscription described with a phone number',
      send('POST', '/v1/subscriptions', officer.auth, {
        callbackUrl: 'https://zaken.example/hook',
        eventTypes: ['nl.overheid.handhavingsregister.statistics.changed'],
        description: 'storingen: 06 12 34 56 78',
      }),
      ['description:personal_data'],
    ],
    [
      'an establishment whose name and address hold a phone number and an e-mail address',
      send(
        'POST',
        '/v1/establishments',
        officer.auth,
        sample.establishment('GM0363', {
          name: 'Studio 06-12345678',
          kind: 'home_based',
          address: { street: 'Kerkstraat c/o anna@example.nl', houseNumber: 1, postalCode: '1012DK', city: 'Amsterdam' },
        }),
      ),
      ['address.street:personal_data', 'name:personal_data'],
    ],
    [
      'a zaak link whose path names an e-mail address and a besluit link whose query names a BSN (the security review)',
      send(
        'PUT',
        `/v1/enforcement-actions/${action.id}`,
        { ...officer.auth, 'if-match': `"${action.version}"` },
        {
          ...sample.action(est.id),
          zaakUrl: 'https://zaken.example.nl/zaken/anna.devries@gmail.com?tel=0612345678',
          besluitUrl: 'https://besluiten.example.nl/besluiten/api/v1/besluiten?bsn=111222333',
        },
      ),
      ['besluitUrl:personal_data', 'zaakUrl:personal_data'],
    ],
    [
      'a callback URL with a mobile number in its path',
      send('POST', '/v1/subscriptions', officer.auth, {
        callbackUrl: 'https://hooks.example.nl/x/06-12345678',
        eventTypes: ['nl.overheid.handhavingsregister.statistics.changed'],
      }),
      ['callbackUrl:personal_data'],
    ],
    [
      'an API client named by an e-mail address',
      send('POST', '/v1/api-clients', admin.auth, { name: 'j.jansen@example.nl', role: 'analyst' }),
      ['name:personal_data'],
    ],
    [
      'a release titled with a BSN',
      send('POST', '/v1/statistics/releases', admin.auth, { title: 'Handhaving 123.456.782' }),
      ['title:personal_data'],
    ],
  ];
  for (const [what, answer, expected] of refused) {
    const res = await answer;
    t.same([res.statusCode, codes(res)], [400, expected], what);
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${what}: a problem`);
  }
  t.same({ trail: await trailLength(), actions: await countActions() }, before, 'no action written, changed or deleted');
  const subscriptions = json<{ totalItems: number }>(await app.inject({ url: '/v1/subscriptions', headers: officer.auth }));
  t.equal(subscriptions.totalItems, 0, 'no subscription written');

  const clean = await send(
    'POST',
    '/v1/enforcement-actions',
    { ...officer.auth, 'x-audit-reason': 'controle 12-03-2024, zaak Z-2024-0612345' },
    sample.action(est.id, { legalBasis: 'APV art. 3:4; Awb 5:32' }),
  );
  t.equal(clean.statusCode, 201, 'legal references, dates and case numbers are fine');

  // An import takes the same schemas: the line is rejected with its column, the other lines are kept.
  const header =
    'externalReference,establishmentReference,measure,grounds,stage,decisionDate,fineAmountCents,penaltyAmountCents,penaltyUnit,penaltyMaximumCents,penaltyComplianceDeadline,penaltyForfeitedCents,closureStartDate,closureEndDate,legalBasis,caseReference';
  const fine = (ref: string, legalBasis: string) => `${ref},E-1,administrative_fine,hygiene,decided,2019-05-01,1000,,,,,,,,${legalBasis},`;
  await importFile(`${EST_HEADER}\nE-1,GM0363,Club,club,Dam,1,,1012AB,Amsterdam,,`, 'recordType=establishments');
  const job = await importFile(
    [header, fine('A-1', 'APV 3:4'), fine('A-2', 'melder j.jansen@example.nl')].join('\n'),
    'recordType=enforcement-actions&mode=row-by-row',
  );
  t.same(
    job.problems.map((p) => `${p.line}:${p.column}:${p.code}`),
    ['3:legalBasis:personal_data'],
    JSON.stringify(job.problems),
  );
  t.match(job.counts, { created: 1, rejected: 1 });

  // A line's problems never repeat what it held: not a repeated ground's value, not an unknown key.
  const quoted = await importFile(
    [
      JSON.stringify({
        externalReference: 'A-3',
        establishmentReference: 'E-1',
        measure: 'warning',
        grounds: ['0612345678', '0612345678'],
        stage: 'decided',
        decisionDate: '2019-05-01',
      }),
      JSON.stringify({
        externalReference: 'A-4',
        establishmentReference: 'E-1',
        measure: 'warning',
        grounds: ['hygiene'],
        stage: 'decided',
        decisionDate: '2019-05-01',
        'tel 06-12345678': 1,
        colour: 'red',
        ['k'.repeat(200_000)]: 1, // named by its length: not judged, not stored
      }),
    ].join('\n'),
    'recordType=enforcement-actions&mode=row-by-row',
    'application/x-ndjson',
  );
  t.same(
    quoted.problems.map((p) => `${p.line}:${p.column}:${p.code}`).sort(),
    [
      '1:grounds:duplicate',
      '1:grounds:invalid_value',
      '1:grounds:invalid_value',
      '2:(a key that holds personal data):unknown_column',
      '2:(a key of 200000 characters):unknown_column',
      '2:colour:unknown_column',
    ].sort(),
  );
  t.notOk(JSON.stringify(quoted.problems).includes('12345678'), 'no problem quotes the phone number');
});

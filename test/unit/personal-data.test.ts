import t from 'tap';
import type { z } from 'zod';
import {
  FREE_TEXT_FIELDS,
  isRedactableField,
  judgedFields,
  LINK_FIELDS,
  personalDataIn,
  personalDataInRecord,
  personalDataInUrl,
} from '../../src/domain/personal-data.js';
import { ApiClientCreate } from '../../src/http/schemas/api-clients.js';
import { EnforcementActionInput } from '../../src/http/schemas/enforcement-actions.js';
import { EstablishmentInput } from '../../src/http/schemas/establishments.js';
import { ReportingAttestationInput } from '../../src/http/schemas/reporting-attestations.js';
import { StatisticsReleaseInput } from '../../src/http/schemas/statistics-releases.js';
import { SubscriptionWrite } from '../../src/http/schemas/subscriptions.js';

t.test('e-mail addresses, mobile numbers and BSNs are found in free text, however written', async (t) => {
  const found: [string, string][] = [
    ['Klacht van j.jansen@example.nl', 'an e-mail address'],
    ['melder: anna+tip@sub.gemeente.amsterdam', 'an e-mail address'],
    ['anna @ example.nl', 'an e-mail address'],
    ['anna[at]example.nl', 'an e-mail address'],
    ['anna (at) example (dot) nl', 'an e-mail address'],
    ['anna＠example.nl', 'an e-mail address'], // a full-width @
    ['anna.devries(a)gmail.com', 'an e-mail address'],
    ['anna(@)example.nl', 'an e-mail address'],
    ['anna[@]example.nl', 'an e-mail address'],
    ['anna@ziggo. nl', 'an e-mail address'],
    ['anna @ ziggo .nl', 'an e-mail address'],
    ['Bel 0612345678', 'a phone number'],
    ['tel. 06-12345678 (avond)', 'a phone number'],
    ['06 12 34 56 78', 'a phone number'],
    ['06-12 34 56 78', 'a phone number'],
    ['06 - 1234 5678', 'a phone number'],
    ['06/12345678', 'a phone number'],
    ['(06) 12345678', 'a phone number'],
    ['06 —12345678', 'a phone number'], // an em dash
    ['06-12-34-56-78', 'a phone number'], // shaped like a date at first, but it goes on
    ['+31 6 12345678', 'a phone number'],
    ['+31612345678', 'a phone number'],
    ['+31-6-12345678', 'a phone number'],
    ['+31 (0)6 1234 5678', 'a phone number'],
    ['0031 6 1234 5678', 'a phone number'],
    ['besluit 2024 0612345678', 'a phone number'],
    ['06\u00a012345678', 'a phone number'], // a no-break space, as pasted from a word processor
    ['06\u200b12345678', 'a phone number'], // a zero-width space
    ['０６-１２３４５６７８', 'a phone number'], // full-width digits
    ['06-12345678/06-87654321', 'a phone number'], // two numbers joined by a slash
    ['0612345678/0687654321', 'a phone number'],
    ['+31-06-12345678', 'a phone number'], // the country code and the 0 as well
    ['0031-06-12345678', 'a phone number'],
    ['+31.06.12345678', 'a phone number'],
    ['tel06-12345678', 'a phone number'], // a word that names a number, written against it
    ['T06-12345678', 'a phone number'],
    // What showed nothing or looked like something else hid a number or an address (the adversarial review of links).
    ['bel 06\u200e12345678', 'a phone number'], // a left-to-right mark
    ['bel 06\u206312345678', 'a phone number'], // an invisible separator
    ['bel 06\u221212345678', 'a phone number'], // a minus sign
    ['bel \u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668', 'a phone number'], // Arabic-Indic digits
    ['bel 06 1234.56.78', 'a phone number'], // 1234.56.78 is no date
    ['bel 06 12-34-5678', 'a phone number'], // 12-34-5678 is no date
    ['mail "anna.devries"@example.nl', 'an e-mail address'],
    ["mail o'brien@example.nl", 'an e-mail address'],
    ['mail anna@example\u3002nl', 'an e-mail address'],
    // And the second review's: combining marks that show nothing, underscores, escapes stacked five deep.
    ['melder 06\u034f12345678', 'a phone number'], // a combining grapheme joiner
    ['bel 0\ufe0f6-12345678', 'a phone number'], // a variation selector
    ['bsn 111\u034f222333', 'a BSN'],
    ['melder anna@exa\u034fmple.nl', 'an e-mail address'],
    ['bel 06\u280012345678', 'a phone number'], // the Braille blank
    ['bel 06_12_34_56_78', 'a phone number'],
    ['anna (at) example (dot) nl', 'an e-mail address'], // spelled out, with a common top-level domain
    ['anna[at]gmail.com', 'an e-mail address'],
    ['mob06 12345678', 'a phone number'],
    ['tel+31612345678', 'a phone number'],
    ['BSN 111222333', 'a BSN'],
    ['bsn: 123456782.', 'a BSN'],
    ['BSN 11 12 22 333', 'a BSN'],
    ['burgerservicenr. 111.222.333', 'a BSN'],
    ['b.s.n. 111222333', 'a BSN'],
    ['bsn123456782', 'a BSN'],
    ['BSN1234.56.782', 'a BSN'],
    ['sofinr 123456782', 'a BSN'],
    ['sofinummer 1234.56.782', 'a BSN'],
    ['BSN 123456782 2 personen aangetroffen', 'a BSN'], // a number after it, one space on
    ['bsn: 123456782 3', 'a BSN'],
    ['BSN: 123.456.782 2 personen', 'a BSN'],
    ['identiteit: 123.456.782 2 personen', 'a BSN'],
    ['bsn 123  456  782', 'a BSN'],
    ['bsn 123 - 456 - 782', 'a BSN'],
    ['burger service nummer 123456782', 'a BSN'],
    ['BSNnummer 123456782', 'a BSN'],
    ['BSN-nr 123456782', 'a BSN'],
    ['sofi nummer 123456782', 'a BSN'],
    ['123.456.782', 'a BSN'],
    ['zie 1234.56.782', 'a BSN'],
  ];
  for (const [text, kind] of found) t.equal(personalDataIn(text), kind, JSON.stringify(text));
});

t.test('legal references, dates, times, amounts, case numbers and offices’ numbers are not personal data', async (t) => {
  const clean = [
    'APV art. 3:4; Awb 5:32',
    'art. 3:4 lid 1 APV Amsterdam 2008',
    'Wet regulering sekswerk art. 12 lid 2',
    'Geen handhavingsbesluiten genomen in 2019.',
    'ABRvS 6 september 2023, 202306781/1/A3', // its nine digits pass the elfproef: a bare number is no BSN
    '123456789',
    '111222333', // a number that passes the elfproef, not called a BSN nor written as one
    'zaak 2024 123456782',
    'besluit van 01-01-2024 12 maanden',
    'controle 12-06-2024 10.00-12.00 uur',
    'Controle 06-12-2024 10:00', // a date on the 6th, then a time: ten digits after 06
    'herinspectie 06-01-2025 09:30',
    '06/12/2024 10:00 controle',
    'Besluit d.d. 06-03-2024 14:30 ingetrokken',
    'gewijzigd 06-12-2024 10u',
    'Gesloten per 06.12.2024 10.00 uur',
    'BSN niet vastgelegd; controle 18-01-2024 10:00', // a BSN named, but no nine digits that are one
    'Reden: geen BSN; KvK 11222335', // eight digits: a KvK number, not a BSN
    'Naam gewijzigd in Club Sofi, KvK 11222335',
    'kenmerk 2024.01.005', // year, month and number: a reference written like a BSN
    '2024-06-12 345678',
    'Sluiting 12.03.2024 tot 12.06.2024',
    'geopend 09.00-17.00 uur',
    'boete € 1.500,00',
    'boete € 100.000.000',
    'Zaak Z-2024-0612345',
    'kenmerk 0363-123456', // shaped like a landline number: landline numbers are left alone
    'Stadsloket 020 123 4567',
    'INR-2019-0042',
    'BAG 0363010000659521',
    'KvK 12345678',
    '000000000',
    '20240612345678', // one longer number holds no phone number
    'team@', // no address
    '+32 6 1234 5678', // not a Dutch number
    'Herhaalde overtreding; zie voornemen 2023/17',
    '06 - 12 - 2024 10:00', // a date written with spaces, then a time
    'IBAN NL02RABO0612345678', // a letter against it: part of an identifier
    'kenmerk AB0612345678',
    'zaak 2024/06/12345678',
    '06-12345678/9', // a slash and a digit: one longer reference
    'Zie gemeente. nl beleid', // a spaced dot, but no address
    'via @politie. De rest',
    'Overtreding van artikel 3, lid 1, onder (a) Wabo. EU-dienstenrichtlijn niet van toepassing.', // (a) is no @ of an address
    'artikel 2:10 (a) APV. EU',
    'sub (a) APV. Nl. wetgeving',
    'Controle [a] Zuid. Info volgt',
    'BSN niet opgenomen. Zaak 2024-12345-67', // a BSN named: not any nine digits among a case number's groups
    'BSN verwijderd, zaak 2024-01234-1',
    'BSN niet opgenomen. Zaak 2024 - 12345',
    'BSN onbekend; KvK 12345678  1',
    'BSN niet opgenomen; zaak 2024-123456782', // nine digits, but a group of a longer number
    // The second review of the rule found these refused (7 December 2026):
    'Awb 5:32; besluit kenmerk 06-12-2024-01', // a date and a sequence number
    'APV 2:39; controle 06-12-2024-10:00',
    'besluit 06.12.2024.01 en 06-12-2024/01',
    'art. 273f lid 1 sub (a) W.v.Sr.', // (a) before an abbreviation is no spelled-out @
    'art. 174 (a) Gem.wet; Awb 5:32',
    'Geen BSN vastgelegd; ABRvS 202306781/1/A3', // a BSN named, but these nine digits are a case number's
    'BSN niet vastgelegd; bronorganisatie 002564440', // an RSIN passes the elfproef too
  ];
  for (const text of clean) t.equal(personalDataIn(text), null, JSON.stringify(text));
});

// A hang guard, not a speed target: each pattern is tried only where its run starts, so a long text is
// read once. Read from every position, the first ten of these texts took 12 to 19 s each (6 December
// 2026); now milliseconds. The subtest's timeout is twenty seconds for all of them together.
t.test('a long text is judged in one reading, whatever it repeats', { timeout: 20_000 }, async (t) => {
  const n = 100_000;
  const texts: Record<string, [string, string | null]> = {
    letters: ['a'.repeat(n), null],
    digits: ['1'.repeat(n), null],
    dots: ['a.'.repeat(n / 2), null],
    'an address without an end': [`a@${'a.'.repeat(n / 2)}`, null],
    hyphens: [`a@${'a-'.repeat(n / 2)}!`, null],
    'digits and spaces': ['1 '.repeat(n / 2), null],
    'mobile prefixes': ['06 '.repeat(n / 3), 'a phone number'],
    'country codes': ['+31 '.repeat(n / 4), null],
    'spelled at-signs': [' [at] '.repeat(n / 6), null],
    'a named BSN and its groups': [`bsn ${'12.'.repeat(n / 3)}`, null],
    'a named BSN and groups in spaces': [`bsn ${'1 - '.repeat(n / 4)}`, null],
    'numbers joined by slashes': ['06/'.repeat(n / 3), 'a phone number'], // 06/06/06/06/06 is 06 and eight digits
    'words that name a number': ['tel'.repeat(n / 3), null],
    'spaced dots': [`a@${'a . '.repeat(n / 4)}`, null],
  };
  for (const [what, [text, kind]] of Object.entries(texts)) t.equal(personalDataIn(text), kind, what);
});

// The stored-data report (npm run personal-data:report) reads the fields FREE_TEXT_FIELDS names; the
// schemas must refuse personal data in each of them as it is sent, or the report would judge text the
// API lets in.
t.test('a link is judged as sent and whole, decoded until it stays the same; UUIDs and hex keys are ids', async (t) => {
  const cases: [string, string | null][] = [
    // The security review's link: an address, a mobile number and a BSN named in the query.
    ['https://zaken.example.nl/zaken/anna.devries@gmail.com?tel=0612345678&bsn=111222333', 'an e-mail address'],
    ['https://zaken.example.nl/zaken/anna.devries%40gmail.com', 'an e-mail address'],
    ['https://zaken.example.nl/zaken/?tel=0612345678', 'a phone number'],
    ['https://zaken.example.nl/zaken/?tel=06%2012%2034%2056%2078', 'a phone number'],
    ['https://zaken.example.nl/zaken/?bsn=111222333', 'a BSN'],
    ['https://zaken.example.nl/zaken/?q=bsn+111222333', 'a BSN'],
    ['https://hooks.example.nl/x/anna.devries@gmail.com/0612345678', 'an e-mail address'],
    ['https://hooks.example.nl/x/0612345678', 'a phone number'],
    ['https://zaken.example.nl/zaken#anna@example.nl', 'an e-mail address'],
    // What ZGW links and callbacks hold: ids, versions, numbers of cases and dates.
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/5d8a0b8c-2bc6-4ab1-8f3c-0b6e4c6c1f2a', null],
    // A UUID whose hex groups read as 06 and eight digits, hyphenated: an id, not a number.
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/5d8a0b8c-0612-3456-78ab-0b6e4c6c1f2a', null],
    ['https://besluiten.gemeente.nl/besluiten/api/v1/besluiten/0B2F3C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D', null],
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?identificatie=ZAAK-2024-0000012345&datum=06-12-2024', null],
    ['https://hooks.gemeente.nl/registry/events?token=ab06123456789c', null],
    // A bad escape is read as it stands, never thrown.
    ['https://zaken.example.nl/zaken/%E0%A4%A/anna%40example.nl', 'an e-mail address'],
    ['https://zaken.example.nl/zaken/%E0%A4%A', null],
    // The review of this change: what a URL parser would normalise away is stored as sent, so it is judged as sent.
    ['https://zaken.gemeente.nl/zaken/anna@example.nl/../3fa85f64-5717-4562-b3fc-2c963f66afa6', 'an e-mail address'],
    ['https://zaken.gemeente.nl/zaken/anna@example.nl/%2e%2e/3fa85f64-5717-4562-b3fc-2c963f66afa6', 'an e-mail address'],
    ['https://zaken.example.nl/zaken/anna%40example.nl%FF', 'an e-mail address'], // one bad escape hides nothing else
    ['https://hooks.example.nl/x/anna%40example.nl%', 'an e-mail address'],
    ['https://hooks.example.nl/hook?tel=+31612345678', 'a phone number'], // a + kept as itself
    ['https://hooks.example.nl/hook?tel=%2B31612345678', 'a phone number'],
    ['https://tel-0612345678.example.nl/hook', 'a phone number'], // the host is a part too
    ['https://zaken.gemeente.nl:8443/zaken/api/v1/zaken', null],
    ['https://10.20.30.40/hooks/registry', null],
    // UUIDs inside a part are ids too.
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?zaak=5d8a0b8a-0612-3456-78ab-0b6e4c6c1f2a', null],
    ['https://zaken.gemeente.nl/zaken/5d8a0b8c-2bc6-4ab1-8f3c-0612345678ab.json', null],
    // The adversarial review of links: each was stored.
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/personen/bsn/111222333', 'a BSN'], // the name and the number in two parts
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?bsn&111222333', 'a BSN'],
    ['https://hooks.example.nl:443/x;bsn;111222333', 'a BSN'],
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?tel=%2B31+6+12345678', 'a phone number'], // + as a space, %2B as +
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/anna%2540example.nl', 'an e-mail address'], // encoded twice
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?tel=%252B31612345678', 'a phone number'],
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/%30%36%31%32%33%34%35%36%37%38%FF', 'a phone number'], // a bad byte after it
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/0612345678%C0%AE', 'a phone number'], // an overlong one
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/anna%40%FFexample.nl', 'an e-mail address'], // a byte that is no text hides nothing
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/06%E2%80%8E12345678', 'a phone number'], // U+200E
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/06%E2%81%A312345678', 'a phone number'], // U+2063
    ['https://hooks.example.nl/x/06\u316412345678', 'a phone number'], // a Hangul filler
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/06%E2%88%9212345678', 'a phone number'], // U+2212 minus sign
    ['https://\u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668.example.nl/x', 'a phone number'], // Arabic-Indic digits
    ['https://hooks.example.nl/x/anna@example\u3002nl', 'an e-mail address'], // an ideographic full stop
    ['https://hooks.example.nl/x/%22anna.devries%22@example.nl', 'an e-mail address'], // a quoted local part
    ["https://zaken.gemeente.nl/zaken/api/v1/zaken/anna'@example.nl", 'an e-mail address'],
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/06%201234.56.78', 'a phone number'], // no date: 1234 is no year here
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/06%2012-34-5678', 'a phone number'], // no date: 34 is no month
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/anna%252525252540gmail.com', 'an e-mail address'], // five times
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?bsn=111_222_333', 'a BSN'],
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken/06%CD%8F12345678', 'a phone number'],
    // And what it must let through: ids of webhook services, a Slack team's T-number among them.
    ['https://hooks.slack.com/services/T0612345678/B07ABCDEF12/abcdefGHIJKL0123456789', null],
    [
      'https://example.webhook.office.com/webhookb2/5d8a0b8c-2bc6-4ab1-8f3c-0b6e4c6c1f2a@5d8a0b8c-2bc6-4ab1-8f3c-0b6e4c6c1f2b/IncomingWebhook/0612345678abcdef0123456789abcdef/5d8a0b8c-2bc6-4ab1-8f3c-0b6e4c6c1f2a',
      null,
    ],
    [
      'https://prod-00.westeurope.logic.azure.com/workflows/0612345678abcdef0123456789abcdef/triggers/manual/paths/invoke?api-version=2016-06-01',
      null,
    ],
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?expand=zaaktype,status,rollen&identificatie=ZAAK-2024-0000012345', null],
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?startdatum=2024-06-12&einddatum=12-06-2024', null],
    ['https://zaken.gemeente.nl/zaken/api/v1/zaken?identificatie=besluit-06-12-2024-01', null],
    ['https://hooks.gemeente.nl/registry?since=06-12-2024-10:00', null],
    ['https://bsn.gemeente.nl/zaken?rsin=002564440', null],
  ];
  for (const [url, kind] of cases) t.equal(personalDataInUrl(url), kind, url);
  t.equal(personalDataInUrl('not a url, mail anna@example.nl'), 'an e-mail address', 'what is no URL is judged as text');
  // Read whole, as free text is: a number split by a slash is still one (a slash joins a number's parts there too).
  t.equal(personalDataInUrl('https://example.nl/06/12345678'), 'a phone number');
});

t.test('the links are read by the report and may be redacted, the free text too; nothing else', async (t) => {
  t.same(judgedFields('enforcement_action'), ['legalBasis', 'zaakUrl', 'besluitUrl']);
  t.same(judgedFields('subscription'), ['description', 'callbackUrl']);
  t.same(judgedFields('licence'), []);
  for (const [objectType, fields] of Object.entries(LINK_FIELDS)) {
    for (const field of fields) {
      t.ok(isRedactableField(objectType, `after.${field}`), `${objectType} after.${field}`);
      t.ok(isRedactableField(objectType, `before.${field}`), `${objectType} before.${field}`);
    }
  }
  t.notOk(isRedactableField('enforcement_action', 'after.caseReference'), 'an identifier is not redacted');
  t.notOk(isRedactableField('licence', 'after.zaakUrl'), 'a field of another kind of record');
  const link = 'https://zaken.example.nl/zaken/5d8a0b8c-0612-3456-78ab-0b6e4c6c1f2a';
  t.same(personalDataInRecord('enforcement_action', { zaakUrl: link, legalBasis: 'Awb 5:32' }), [], 'a link is judged as a link');
});

t.test('the schemas refuse personal data in every field the stored-data report reads', async (t) => {
  const schemas: Record<keyof typeof FREE_TEXT_FIELDS, z.ZodType> = {
    establishment: EstablishmentInput,
    enforcement_action: EnforcementActionInput,
    reporting_attestation: ReportingAttestationInput,
    subscription: SubscriptionWrite,
    api_client: ApiClientCreate,
    statistics_release: StatisticsReleaseInput,
  };
  for (const objectType of Object.keys(FREE_TEXT_FIELDS)) {
    for (const field of judgedFields(objectType)) {
      const link = (LINK_FIELDS as Record<string, readonly string[]>)[objectType]?.includes(field);
      const body: Record<string, unknown> = {};
      const keys = field.split('.');
      keys.reduce<Record<string, unknown>>((at, key, i) => {
        at[key] = i === keys.length - 1 ? (link ? 'https://zaken.example.nl/vragen/anna@example.nl' : 'vragen: anna@example.nl') : {};
        return at[key] as Record<string, unknown>;
      }, body);
      const result = schemas[objectType as keyof typeof FREE_TEXT_FIELDS].safeParse(body);
      const flagged = (result.error?.issues ?? []).filter(
        (i) => i.path.join('.') === field && (i as { params?: { rule?: string } }).params?.rule === 'personal_data',
      );
      t.equal(flagged.length, 1, `${objectType} ${field}`);
      t.same(personalDataInRecord(objectType, body), [{ field, found: 'an e-mail address' }], `the report reads ${objectType} ${field}`);
    }
  }
  t.same(personalDataInRecord('licence', { licenceNumber: 'anna@example.nl' }), [], 'a type without free text: nothing is read');
  t.same(personalDataInRecord('establishment', { address: 'anna@example.nl' }), [], 'a path that does not hold: nothing');
});

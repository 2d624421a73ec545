import t from 'tap';
import { personalDataIn } from '../../src/domain/personal-data.js';

t.test('e-mail addresses, Dutch phone numbers and BSNs are found in free text', async (t) => {
  const found: [string, string][] = [
    ['Klacht van j.jansen@example.nl', 'an e-mail address'],
    ['melder: anna+tip@sub.gemeente.amsterdam', 'an e-mail address'],
    ['Bel 0612345678', 'a phone number'],
    ['tel. 06-12345678 (avond)', 'a phone number'],
    ['020 123 4567', 'a phone number'],
    ['020-1234567', 'a phone number'],
    ['+31 6 12345678', 'a phone number'],
    ['+31612345678', 'a phone number'],
    ['+31 (0)20 123 4567', 'a phone number'],
    ['0031 6 1234 5678', 'a phone number'],
    ['besluit 2024 0612345678', 'a phone number'],
    ['BSN 111222333', 'a BSN'],
    ['bsn: 123456782.', 'a BSN'],
    ['123.456.782', 'a BSN'],
    ['1234 56 782', 'a BSN'],
    ['zaak 2024 123456782', 'a BSN'],
  ];
  for (const [text, kind] of found) t.equal(personalDataIn(text), kind, text);
});

t.test('legal references, dates, amounts and case numbers are not personal data', async (t) => {
  const clean = [
    'APV art. 3:4; Awb 5:32',
    'Wet regulering sekswerk art. 12 lid 2',
    'Geen handhavingsbesluiten genomen in 2019.',
    'besluit van 01-01-2024 12 maanden',
    'Sluiting 12.03.2024 tot 12.06.2024',
    'boete € 100.000.000',
    'Zaak Z-2024-0612345',
    'INR-2019-0042',
    '123456789', // nine digits that fail the elfproef: a number, not a BSN
    '000000000',
    '20240612345678', // one longer number holds no phone number
    '0012345678', // 00 starts no Dutch area code
    'team@', // no address
    '+32 2 123 45 67', // not a Dutch number
    'Herhaalde overtreding; zie voornemen 2023/17',
  ];
  for (const text of clean) t.equal(personalDataIn(text), null, text);
});

import t from 'tap';
import { checkLicence, effectiveEnd, inForceOn, type LicencePeriod, licenceStatusOn, overlaps } from '../../src/domain/licences.js';

const lic = (validFrom: string, validUntil: string | null, ...changes: [string, string][]): LicencePeriod => ({
  licenceNumber: `L-${validFrom}`,
  validFrom,
  validUntil,
  statusHistory: (changes.length ? changes : ([['granted', validFrom]] as [string, string][])).map(([status, effectiveDate]) => ({
    status: status as LicencePeriod['statusHistory'][number]['status'],
    effectiveDate,
  })),
});

t.test('effectiveEnd: validUntil, or the day before revocation or expiry, whichever is first', async (t) => {
  t.equal(effectiveEnd(lic('2016-01-01', '2020-12-31')), '2020-12-31');
  t.equal(effectiveEnd(lic('2016-01-01', null)), null);
  t.equal(effectiveEnd(lic('2016-01-01', null, ['granted', '2016-01-01'], ['revoked', '2018-03-01'])), '2018-02-28');
  t.equal(effectiveEnd(lic('2016-01-01', '2017-01-01', ['granted', '2016-01-01'], ['expired', '2018-01-01'])), '2017-01-01');
  t.equal(
    effectiveEnd(lic('2016-01-01', null, ['granted', '2016-01-01'], ['suspended', '2016-06-01'])),
    null,
    'a suspension does not end it',
  );
});

t.test('overlaps: one day in common is an overlap; adjacent periods are not', async (t) => {
  t.ok(overlaps(lic('2016-01-01', '2017-01-01'), lic('2017-01-01', null)));
  t.notOk(overlaps(lic('2016-01-01', '2016-12-31'), lic('2017-01-01', null)));
  t.notOk(overlaps(lic('2017-01-01', null), lic('2016-01-01', '2016-12-31')), 'symmetric');
  t.ok(overlaps(lic('2016-01-01', null), lic('2030-01-01', null)), 'two open-ended licences');
  const revoked = lic('2016-01-01', '2020-12-31', ['granted', '2016-01-01'], ['revoked', '2018-06-01']);
  t.notOk(overlaps(revoked, lic('2018-06-01', null)), 'a new licence from the revocation date');
  t.ok(overlaps(revoked, lic('2018-05-31', null)));
});

t.test('inForceOn and licenceStatusOn', async (t) => {
  const l = lic(
    '2016-01-01',
    '2020-12-31',
    ['granted', '2016-01-01'],
    ['suspended', '2017-03-01'],
    ['granted', '2017-04-01'],
    ['revoked', '2019-01-01'],
  );
  const table: [string, boolean][] = [
    ['2015-12-31', false],
    ['2016-01-01', true],
    ['2017-02-28', true],
    ['2017-03-01', false],
    ['2017-04-01', true],
    ['2018-12-31', true],
    ['2019-01-01', false],
    ['2021-01-01', false],
  ];
  for (const [date, expected] of table) t.equal(inForceOn(l, date), expected, date);
  t.equal(inForceOn(lic('2016-01-01', null, ['granted', '2016-02-01']), '2016-01-15'), false, 'not yet granted');
  t.equal(licenceStatusOn([], '2019-01-01'), 'unlicensed');
  t.equal(licenceStatusOn([lic('2010-01-01', '2010-12-31'), l], '2018-01-01'), 'licensed', 'any licence in force');
  t.equal(licenceStatusOn([lic('2010-01-01', '2010-12-31'), l], '2011-01-01'), 'unlicensed');
});

t.test('checkLicence: each contradiction with its own code', async (t) => {
  const input = (validFrom: string, validUntil: string | null, ...changes: [string, string][]) => ({
    licenceNumber: 'X',
    validFrom,
    validUntil,
    statusHistory: changes.map(([status, effectiveDate]) => ({ status: status as 'granted', effectiveDate })),
  });
  const codesOf = (i: ReturnType<typeof input>) => checkLicence(i).map((p) => p.code);
  t.same(codesOf(input('2016-01-01', '2017-01-01', ['granted', '2016-01-01'])), []);
  t.same(codesOf(input('2016-01-01', '2015-01-01', ['granted', '2016-01-01'])), ['before_valid_from']);
  t.same(codesOf(input('2016-01-01', null, ['suspended', '2016-01-01'])), ['first_status_not_granted']);
  t.same(codesOf(input('2016-01-01', '2017-12-31', ['granted', '2015-12-15'])), [], 'granted before its first day: fine');
  t.same(codesOf(input('2016-01-01', '2017-12-31', ['granted', '2017-12-31'])), [], 'granted on its last day: fine');
  t.same(codesOf(input('2010-01-01', '2012-01-01', ['granted', '2013-01-01'])), ['after_valid_until']);
  t.same(codesOf(input('2016-01-01', null, ['granted', '2016-01-01'], ['suspended', '2015-01-01'])), ['not_chronological']);
  t.same(codesOf(input('2016-01-01', null, ['granted', '2016-01-01'], ['revoked', '2016-02-01'], ['granted', '2016-03-01'])), [
    'status_after_terminal',
  ]);
  t.same(codesOf(input('2016-01-01', null, ['granted', '2016-01-01'], ['granted', '2016-03-01'])), ['status_unchanged']);
});

import t from 'tap';
import { zeroStatus } from '../../src/domain/statistics.js';

t.test('a 0 is a true 0 only when every municipality-year it covers reported or attested', async (t) => {
  t.equal(zeroStatus(['reported', 'nothing_to_report']), 'zero', 'actions in one, an attestation in the other');
  t.equal(zeroStatus(['reported']), 'zero', 'a municipality-year with actions, none of the kind asked for');
  t.equal(zeroStatus(['nothing_to_report', 'nothing_to_report']), 'nothing_to_report', 'all attested without actions');
  t.equal(zeroStatus(['not_reported', 'not_reported']), 'not_reported', 'none reported');
  // The review's case: Groningen attested 2018 only; its 0 over 2017–2019 is not a known figure.
  t.equal(zeroStatus(['not_reported', 'nothing_to_report', 'not_reported']), 'not_reported', 'two of three years unknown');
  t.equal(zeroStatus(['reported', 'not_reported']), 'not_reported', 'one year unknown is enough');
  t.equal(zeroStatus([]), 'zero', 'nothing covered: no municipality in scope existed then, a known 0');
});

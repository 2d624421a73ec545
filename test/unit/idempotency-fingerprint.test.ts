import t from 'tap';
import { requestFingerprint } from '../../src/infrastructure/idempotency.js';

t.test('a fingerprint: the order of keys does not matter; method, path and every value do', async (t) => {
  const a = requestFingerprint('POST', '/v1/establishments', { name: 'x', kind: 'club' });
  t.equal(requestFingerprint('POST', '/v1/establishments', { kind: 'club', name: 'x' }), a, 'keys in another order');
  t.not(requestFingerprint('POST', '/v1/establishments', { name: 'y', kind: 'club' }), a, 'another value');
  t.not(requestFingerprint('PUT', '/v1/establishments', { name: 'x', kind: 'club' }), a, 'another method');
  t.not(requestFingerprint('POST', '/v1/licences', { name: 'x', kind: 'club' }), a, 'another path');
  t.equal(requestFingerprint('POST', '/v1/x', undefined), requestFingerprint('POST', '/v1/x', undefined), 'no body: stable');
});

t.test('a body canonical JSON refuses never throws: such bodies count as one', async (t) => {
  const refused = [{ a: '\ud800' }, { a: Number.POSITIVE_INFINITY }];
  const prints = refused.map((body) => requestFingerprint('POST', '/v1/x', body));
  t.equal(prints[0], prints[1], 'one fingerprint for all of them');
  t.not(prints[0], requestFingerprint('POST', '/v1/x', { a: 1 }), 'another than a readable body’s');
});

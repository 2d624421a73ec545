import t from 'tap';
import { TokenCache } from '../../src/infrastructure/token-cache.js';
import { build } from '../support/helper.js';

t.test('a cached token stops working the moment its client is revoked in this process', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const officer = await client('officer', 'GM0363');
  const first = await app.inject({ method: 'GET', url: '/v1/enforcement-actions', headers: officer.auth });
  t.equal(first.statusCode, 200, 'authenticated (and now cached)');
  const revoked = await app.inject({
    method: 'DELETE',
    url: `/v1/api-clients/${officer.id}`,
    headers: { ...admin.auth, 'if-match': '"1"', 'x-audit-reason': 'test: revoke' },
  });
  t.ok([200, 204].includes(revoked.statusCode), `revoked (${revoked.statusCode} ${revoked.body})`);
  const after = await app.inject({ method: 'GET', url: '/v1/enforcement-actions', headers: officer.auth });
  t.equal(after.statusCode, 401, 'the revoked token is refused at once, cache or not');
});

t.test('entries expire after the TTL, and a TTL of 0 caches nothing', async (t) => {
  const p = { clientId: 'c1', name: 'x', role: 'officer' as const, municipalityCode: 'GM0363' };
  const short = new TokenCache<typeof p>(30);
  short.set('h', p, 0);
  t.same(short.get('h'), p);
  await new Promise((r) => setTimeout(r, 50));
  t.equal(short.get('h'), null, 'expired');
  const off = new TokenCache<typeof p>(0);
  off.set('h', p, 0);
  t.equal(off.get('h'), null, 'disabled');
  const small = new TokenCache<typeof p>(10_000, 2);
  small.set('a', p, 0);
  small.set('b', { ...p, clientId: 'c2' }, 0);
  small.set('c', { ...p, clientId: 'c3' }, 0);
  t.equal(small.get('a'), null, 'the oldest entry is dropped beyond maxEntries');
  small.forgetClient('c3');
  t.equal(small.get('c'), null, 'forgetClient drops the client’s tokens');
  t.ok(small.get('b'), 'others stay');
});

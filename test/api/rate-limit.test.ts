import { randomUUID } from 'node:crypto';
import t from 'tap';
import { build, json } from '../support/helper.js';

t.test('each client gets RATE_LIMIT_PER_MINUTE requests a minute, then 429 with Retry-After', async (t) => {
  const { app, client } = await build(t, { config: { RATE_LIMIT_PER_MINUTE: '3' } });
  const busy = await client('officer', 'GM0363');
  const calm = await client('officer', 'GM0363');

  for (let i = 0; i < 3; i++) {
    const ok = await app.inject({ url: '/v1/establishments', headers: busy.auth });
    t.equal(ok.statusCode, 200, `request ${i + 1} of 3 passes`);
  }
  const limited = await app.inject({ url: '/v1/establishments', headers: busy.auth });
  t.equal(limited.statusCode, 429);
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After is whole seconds (${retryAfter})`);
  t.match(json(limited), { status: 429, code: 'rate-limited', title: 'Too Many Requests', detail: /3 requests per minute/ });
  t.ok(limited.headers['api-version'], 'the usual headers are still there');

  const other = await app.inject({ url: '/v1/establishments', headers: calm.auth });
  t.equal(other.statusCode, 200, 'another client has its own budget');
  const writes = await app.inject({ method: 'POST', url: '/v1/establishments', headers: busy.auth, payload: {} });
  t.equal(writes.statusCode, 429, 'writes count too, before validation');
  // Requests other checks of the request would refuse (a precondition, a media type) are counted first, as every other one.
  const calmAgain = await app.inject({ url: '/v1/establishments', headers: calm.auth });
  const unconditional = await app.inject({ method: 'DELETE', url: `/v1/establishments/${randomUUID()}`, headers: busy.auth });
  t.equal(unconditional.statusCode, 429, 'a delete without If-Match: 429, not 428');
  const mediaType = await app.inject({
    method: 'PATCH',
    url: `/v1/establishments/${randomUUID()}`,
    headers: { ...busy.auth, 'content-type': 'application/json', 'if-match': '"1"' },
    payload: '{}',
  });
  t.equal(mediaType.statusCode, 429, 'a PATCH in another media type: 429, not 415');
  const notAcceptable = await app.inject({ url: '/v1/establishments', headers: { ...busy.auth, accept: 'image/png' } });
  t.equal(notAcceptable.statusCode, 429, 'a list in a media type it does not have: 429, not 406');
  t.equal(calmAgain.statusCode, 200, 'the calm client still reads (its second of three)');
  const counted = await app.inject({ method: 'DELETE', url: `/v1/establishments/${randomUUID()}`, headers: calm.auth });
  t.equal(counted.statusCode, 428, 'under its limit, a delete without If-Match is a 428');
  t.equal(counted.headers['x-ratelimit-remaining'], '0', 'counted, as the contract declares: the last of its three');
  t.equal((await app.inject({ url: '/v1/establishments', headers: calm.auth })).statusCode, 429, 'so the next request is a 429');
  const anonymous = await app.inject({ url: '/v1/establishments' });
  t.equal(anonymous.statusCode, 401, 'an unauthenticated request is refused by auth, not counted');
  for (let i = 0; i < 5; i++) {
    t.equal((await app.inject({ url: '/v1/openapi.json' })).statusCode, 200, 'public routes are not limited');
  }
});

t.test('RATE_LIMIT_PER_MINUTE=0 turns the limit off', async (t) => {
  const { app, client } = await build(t, { config: { RATE_LIMIT_PER_MINUTE: '0' } });
  const officer = await client('officer', 'GM0363');
  const codes = [];
  for (let i = 0; i < 8; i++) codes.push((await app.inject({ url: '/v1/establishments', headers: officer.auth })).statusCode);
  t.same(codes, Array(8).fill(200));
});

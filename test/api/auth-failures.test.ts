import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { systemContext } from '../../src/application/context.js';
import { MemoryFailureCounter } from '../../src/infrastructure/auth-failures.js';
import { UnknownTokenCache } from '../../src/infrastructure/unknown-token-cache.js';
import { build, json } from '../support/helper.js';

/**
 * Issue 11, finding 8: unknown tokens were never rate-limited and each cost a database look-up
 * (3,000 random tokens → 3,000 × 401). Failed authentication is now limited per source address,
 * and a token the database did not know is refused from memory for a while.
 */
const randomToken = () => `er_${randomBytes(32).toString('base64url')}`;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

t.test('a flood of random tokens from one address gets 429s; a valid client elsewhere keeps its 200s', async (t) => {
  const { app, client, database } = await build(t, { config: { AUTH_FAILURES_PER_MINUTE: '5', AUTH_FAILURE_DELAY_MS: '0' } });
  const officer = await client('officer', 'GM0363');
  const neighbour = await client('officer', 'GM0363');
  const get = (headers: Record<string, string>, remoteAddress: string) => app.inject({ url: '/v1/establishments', headers, remoteAddress });

  t.equal((await get(neighbour.auth, '10.0.0.1')).statusCode, 200, 'a valid client on the attacker’s address, verified before');
  const codes: number[] = [];
  for (let i = 0; i < 12; i++) {
    codes.push((await get(bearer(randomToken()), '10.0.0.1')).statusCode);
    t.equal((await get(officer.auth, '10.0.0.2')).statusCode, 200, `the valid client on another address passes (${i + 1})`);
  }
  t.same(codes, [...Array(5).fill(401), ...Array(7).fill(429)], 'five failures, then 429');

  const limited = await get(bearer(randomToken()), '10.0.0.1');
  t.equal(limited.statusCode, 429);
  t.equal(limited.headers['content-type'], 'application/problem+json; charset=utf-8');
  t.match(json(limited), { status: 429, code: 'too-many-failed-authentications' });
  const retryAfter = Number(limited.headers['retry-after']);
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter} s`);
  t.equal((await get({ authorization: 'Bearer short' }, '10.0.0.1')).statusCode, 429, 'a malformed header too');

  // While blocked the address costs no database look-up: with api_clients gone, it still answers 429, not 500.
  await database.owner.execute(sql`alter table api_clients rename to api_clients_away`);
  t.teardown(() => database.owner.execute(sql`alter table api_clients_away rename to api_clients`));
  t.equal((await get(bearer(randomToken()), '10.0.0.1')).statusCode, 429, 'refused without asking the database');
  t.equal((await get(neighbour.auth, '10.0.0.1')).statusCode, 200, 'a client verified recently still passes from the blocked address');
  t.equal((await get(bearer(randomToken()), '10.0.0.3')).statusCode, 500, '(another address does reach the database)');
});

t.test('guesses sent all at once are each answered (401 or 429), and the request after them is a 429', async (t) => {
  const { app } = await build(t, { config: { AUTH_FAILURES_PER_MINUTE: '3', AUTH_FAILURE_DELAY_MS: '0' } });
  const get = (headers: Record<string, string>) => app.inject({ url: '/v1/establishments', headers, remoteAddress: '10.0.1.2' });
  const codes = (await Promise.all(Array.from({ length: 20 }, () => get(bearer(randomToken()))))).map((r) => r.statusCode);
  t.same(
    codes.filter((c) => c !== 401 && c !== 429),
    [],
    `every one refused as a guess, none failing otherwise (${codes.filter((c) => c === 401).length} looked up)`,
  );
  t.ok(codes.filter((c) => c === 401).length >= 3, 'at least the limit looked up');
  t.equal((await get(bearer(randomToken()))).statusCode, 429, 'after the burst: blocked');
});

t.test('a token the database did not know is refused from memory the next time', async (t) => {
  const { app, services, database } = await build(t, { config: { AUTH_FAILURES_PER_MINUTE: '0' } });
  const wrong = randomToken();
  t.equal((await app.inject({ url: '/v1/establishments', headers: bearer(wrong) })).statusCode, 401, 'looked up once');
  const bootstrap = randomToken();
  t.equal(await services.queries.apiClients.authenticate(bootstrap), null, 'the future admin token, tried before it is configured');

  await database.owner.execute(sql`alter table api_clients rename to api_clients_away`);
  const again = await app.inject({ url: '/v1/establishments', headers: bearer(wrong) });
  t.equal(again.statusCode, 401, 'the same token again: 401 from memory, no database look-up (it would fail now)');
  await database.owner.execute(sql`alter table api_clients_away rename to api_clients`);

  t.equal(json(await app.inject({ url: '/v1/establishments', headers: bearer(wrong) })).code, 'unauthorized');
  await services.commands.apiClients.ensureBootstrapAdmin(systemContext('test'), bootstrap);
  t.match(await services.queries.apiClients.authenticate(bootstrap), { role: 'admin' }, 'registering the bootstrap admin clears it');
});

t.test('the counters and the cache hold what they promise', async (t) => {
  const failures = new MemoryFailureCounter(2, 50, 2);
  t.equal(await failures.retryAfter('a'), 0);
  await failures.fail('a');
  await failures.fail('a');
  t.equal(await failures.retryAfter('a'), 1, 'at the limit: wait (whole seconds)');
  await failures.fail('b');
  await failures.fail('c'); // full: the oldest address is dropped
  t.equal(await failures.retryAfter('a'), 0, 'bounded: the oldest window went');
  await failures.fail('c');
  await new Promise((r) => setTimeout(r, 60));
  t.equal(await failures.retryAfter('c'), 0, 'a new window after windowMs');

  const cache = new UnknownTokenCache(1000, 2);
  const g = cache.generation();
  cache.add('h1', g);
  cache.add('h2', g);
  cache.add('h3', g);
  t.same([cache.has('h1'), cache.has('h2'), cache.has('h3'), cache.size], [false, true, true, 2], 'bounded, oldest first');
  const before = cache.generation();
  cache.clear();
  cache.add('late', before);
  t.equal(cache.has('late'), false, 'a look-up from before clear() is not remembered');
  const off = new UnknownTokenCache(0);
  off.add('x', off.generation());
  t.equal(off.has('x'), false, 'a TTL of 0 remembers nothing');
});

t.test('a 403 for a role that may not do this says insufficient_scope; a 403 of the operation’s own rules does not', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const role = await app.inject({ url: '/v1/api-clients', headers: officer.auth });
  t.equal(role.statusCode, 403, role.body);
  t.match(json(role), { code: 'forbidden', detail: /role officer may not do this; allowed: admin/ });
  t.equal(role.headers['www-authenticate'], 'Bearer realm="enforcement-registry", error="insufficient_scope"', 'RFC 6750 section 3.1');
  const rule = await app.inject({ url: '/v1/statistics/enforcement-actions?municipalityCode=GM0599', headers: officer.auth });
  t.equal(rule.statusCode, 403, rule.body);
  t.equal(rule.headers['www-authenticate'], undefined, 'another municipality’s figures: the token is fine, the question is not');
});

t.test('a 401 says in WWW-Authenticate what was wrong with the credential, as RFC 6750 asks', async (t) => {
  // An identity review: every 401 sent the bare challenge, a refused token too.
  const { app } = await build(t);
  const challenge = async (headers: Record<string, string>) =>
    (await app.inject({ url: '/v1/establishments', headers })).headers['www-authenticate'];
  t.equal(await challenge({}), 'Bearer realm="enforcement-registry"', 'no credential: the challenge alone (section 3.1)');
  t.equal(await challenge(bearer(randomToken())), 'Bearer realm="enforcement-registry", error="invalid_token"', 'a token refused');
  t.equal(
    await challenge({ authorization: 'Basic YWRtaW46YWRtaW4=' }),
    'Bearer realm="enforcement-registry"',
    'another scheme: the challenge alone, as without credentials (section 3.1)',
  );
});

import { Webhook } from 'standardwebhooks';
import t from 'tap';
import { eventsOf } from '../../src/application/notifications/outbox.js';
import { AUDIT_ACTIONS, AUDIT_OBJECT_TYPES } from '../../src/domain/codes.js';
import {
  backoffMs,
  checkCallbackUrl,
  EVENT_TYPES,
  eventFor,
  nextRetryMs,
  retryAfterMs,
  sequenceOf,
} from '../../src/domain/notifications.js';
import { blockedAddress, failureText, refusedTarget, signatures } from '../../src/infrastructure/webhooks.js';
import { parseHttpDate } from '../../src/lib/dates.js';
import { type Cidr, parseInternalCidr } from '../../src/lib/networks.js';
import { openapiDocument, validatorFor } from '../support/openapi.js';

/** The node of the committed document at a JSON pointer (`/components/schemas/…`). */
const schemaAt = (pointer: string): Record<string, unknown> =>
  pointer
    .split('/')
    .slice(1)
    .reduce<Record<string, unknown>>((node, key) => node[key] as Record<string, unknown>, openapiDocument as Record<string, unknown>);

/** NOTIFICATIONS_PRIVATE_NETWORKS as the configuration reads it. */
const only = (...ranges: string[]): Cidr[] => ranges.map((r) => parseInternalCidr(r) as Cidr);

t.test('Retry-After: delay-seconds or an HTTP-date (RFC 9110 §10.2.3, §5.6.7); anything else is not asked for', async (t) => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  t.equal(retryAfterMs('120', now), 120_000);
  t.equal(retryAfterMs(' 0 ', now), 0);
  t.equal(retryAfterMs('2026', now), 2_026_000, 'a bare number is seconds');
  t.equal(retryAfterMs('Sun, 06 Dec 2026 12:01:30 GMT', now), 90_000, 'IMF-fixdate');
  t.equal(retryAfterMs('Sunday, 06-Dec-26 12:01:30 GMT', now), 90_000, 'the obsolete RFC 850 form');
  const zone = process.env.TZ;
  process.env.TZ = 'Europe/Amsterdam'; // an hour from GMT this day: a date read in local time would be off by it
  t.teardown(() => {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  });
  t.equal(retryAfterMs('Sun Dec  6 12:01:30 2026', now), 90_000, 'the obsolete asctime form, in GMT whatever the local time zone');
  t.equal(retryAfterMs('Thu, 31 Dec 2026 23:59:60 GMT', now), Date.parse('2027-01-01T00:00:00Z') - 1000 - now, 'a leap second');
  t.equal(new Date(parseHttpDate('Sun, 06 Dec 0026 12:00:00 GMT') ?? 0).getUTCFullYear(), 26, 'the year 26 is 26, not 1926');
  t.equal(retryAfterMs('Sun, 06 Dec 2026 11:00:00 GMT', now), 0, 'a date gone by: now');
  t.equal(retryAfterMs('99999999999999', now), 2 ** 31 * 1000, 'a huge number is bounded, not Infinity');
  for (const unreadable of [
    undefined,
    null,
    '',
    '-5',
    '1.5',
    'soon',
    '1e3',
    'retry in 2030',
    'May 5',
    'soon 1',
    'Sun, 31 Feb 2026 12:00:00 GMT',
    'Sun, 06 Dec 2026 12:34:60 GMT',
    'Sun, 06 Dec 2026 12:01:30 CET',
    '2026-12-06T12:01:30Z',
  ]) {
    t.equal(retryAfterMs(unreadable, now), null, `${JSON.stringify(unreadable)}: not asked`);
  }
});

t.test('the next retry: the backoff, or what the receiver asked for if longer, but no later than the give-up period’s end', async (t) => {
  t.equal(nextRetryMs(500, null, 86_400_000), 500, 'nothing asked: the backoff');
  t.equal(nextRetryMs(500, 100, 86_400_000), 500, 'asked for less than the backoff: the backoff');
  t.equal(nextRetryMs(500, 30_000, 86_400_000), 30_000, 'asked for more: as asked');
  t.equal(nextRetryMs(500, 7 * 86_400_000, 86_400_000), 86_400_000, 'asked for past the period’s end: at its end');
  t.equal(nextRetryMs(500, 86_400_000, 3_600_000), 3_600_000, 'an hour of the period left: in an hour, not a day');
});

t.test('backoff: exponential from the base, capped, with jitter in the upper half', async (t) => {
  t.equal(
    backoffMs(1, 1000, 60_000, () => 0),
    500,
  );
  t.equal(
    backoffMs(1, 1000, 60_000, () => 1),
    1000,
  );
  t.equal(
    backoffMs(4, 1000, 60_000, () => 1),
    8000,
    'doubles with each attempt',
  );
  t.equal(
    backoffMs(30, 1000, 60_000, () => 1),
    60_000,
    'never above the cap',
  );
  const spread = new Set(Array.from({ length: 50 }, () => backoffMs(3, 1000, 60_000)));
  t.ok(spread.size > 10, 'jitter: retries do not move in step');
  t.ok([...spread].every((v) => v >= 2000 && v <= 4000));
});

t.test('event types: reverse-DNS, one per kind of change', async (t) => {
  t.equal(EVENT_TYPES.length, 11);
  t.ok(EVENT_TYPES.every((e) => /^nl\.overheid\.handhavingsregister\.[a-z-]+\.[a-z-]+$/.test(e)));
  t.same(eventFor('enforcement_action', 'rederive'), {
    type: 'nl.overheid.handhavingsregister.enforcement-action.licence-status-rederived',
    change: 'licence_status_rederived',
  });
  t.equal(eventFor('api_client', 'create'), null, 'API clients announce nothing');
  t.match(eventFor('enforcement_action', 'destroy'), { change: 'deleted' }, 'a destruction is a deletion to a receiver');
  t.equal(eventFor('enforcement_action', 'destroy', true), null, 'but not a second time, when the record was deleted before');
  t.equal(eventFor('establishment', 'redact'), null, 'a redaction of its audit entries: the record did not change');
  t.equal(eventFor('licence', 'rederive'), null, 'a change no event type names (only actions are re-derived): none, not a made-up type');
  t.match(eventFor('enforcement_action', 'delete', true), { change: 'deleted' });
});

/** The one problem found, or all of them when there are none or several (which then matches no single problem). */
const onlyProblem = (problems: readonly object[]) => (problems.length === 1 ? problems[0] : { problems });

const parseCidrs = (list: string) => list.split(',').map((c) => parseInternalCidr(c) as Cidr);

t.test('callback URLs: https, or http for listed hosts', async (t) => {
  t.same(checkCallbackUrl('https://zaken.gemeente.example/hook', [], 'all'), []);
  t.match(onlyProblem(checkCallbackUrl('http://zaken.gemeente.example/hook', [], 'all')), { code: 'https_required' });
  t.same(checkCallbackUrl('http://127.0.0.1:8080/hook', ['127.0.0.1'], 'all'), []);
  t.match(onlyProblem(checkCallbackUrl('ftp://x.example/', [], 'all')), { code: 'https_required' });
  t.match(onlyProblem(checkCallbackUrl('not a url', [], 'all')), { code: 'invalid_url' });
  // The URL parser would drop these spaces: the URL kept would not be the URL called.
  t.match(onlyProblem(checkCallbackUrl(' https://zaken.gemeente.example/hook', [], 'all')), { code: 'surrounding_space' });
  t.match(onlyProblem(checkCallbackUrl('https://zaken.gemeente.example/hook ', [], 'all')), { code: 'surrounding_space' });
  // Loopback, which the sender calls only for a listed host: refused when made, as it would be at every delivery.
  for (const url of [
    'https://127.0.0.1/hook',
    'https://[::1]/',
    'https://[::ffff:7f00:1]/',
    'https://[64:ff9b::7f00:1]/',
    'https://localhost/',
    'https://localhost./',
    'https://LOCALHOST.localhost./x',
  ]) {
    t.match(onlyProblem(checkCallbackUrl(url, [], 'all')), { code: 'loopback_refused' }, url);
  }
  t.same(checkCallbackUrl('https://[::1]/', ['::1'], 'all'), [], 'a listed loopback host');
  t.same(checkCallbackUrl('https://localhost.example/', [], 'all'), [], 'only localhost and names under it are loopback by name');
  // The sender's verdict before it connects, which names such subscriptions at start-up, agrees.
  t.equal(
    refusedTarget(new URL('https://localhost./hook'), { plainHttpHosts: [], privateNetworks: 'all' }),
    'refused: localhost. resolves to a loopback address',
  );
  t.equal(refusedTarget(new URL('http://localhost/hook'), { plainHttpHosts: ['localhost'], privateNetworks: 'all' }), null);
  t.equal(refusedTarget(new URL('https://zaken.example/hook'), { plainHttpHosts: [], privateNetworks: 'all' }), null);
  // A listed localhost where the setting shuts loopback: every delivery would be refused, so it is refused when made.
  const none: Cidr[] = [];
  t.match(onlyProblem(checkCallbackUrl('http://localhost/hook', ['localhost'], none)), { code: 'private_network_refused' });
  t.match(
    checkCallbackUrl('http://localhost/hook', ['localhost'], parseCidrs('127.0.0.0/8')),
    [{ code: 'private_network_refused' }],
    'it may resolve to ::1 too',
  );
  t.same(checkCallbackUrl('http://localhost/hook', ['localhost'], parseCidrs('127.0.0.0/8,::1/128')), []);
  t.equal(
    refusedTarget(new URL('http://localhost/hook'), { plainHttpHosts: ['localhost'], privateNetworks: none }),
    'refused: localhost resolves to a private-network address outside NOTIFICATIONS_PRIVATE_NETWORKS',
  );
});

t.test('blocked addresses: link-local, metadata, unspecified; loopback unless allowed', async (t) => {
  for (const a of [
    '169.254.169.254',
    '169.254.1.1',
    '::ffff:169.254.169.254',
    'fe80::1',
    'fd00:ec2::254',
    '0.0.0.0',
    '::',
    '100.100.100.200',
  ]) {
    t.ok(blockedAddress(a, true, 'all'), `${a} is blocked`);
  }
  t.ok(blockedAddress('127.0.0.1', false, 'all'));
  t.equal(blockedAddress('127.0.0.1', true, 'all'), null);
  t.equal(blockedAddress('10.1.2.3', false, 'all'), null, 'private networks are where municipal systems live');
  t.equal(blockedAddress('2001:db8::1', false, 'all'), null);
  t.ok(blockedAddress('0:0:0:0:0:0:0:1', false, 'all'), 'IPv6 loopback written out in full is loopback too');
  t.ok(blockedAddress('FE80::1', true, 'all'), 'link-local in upper case too');
});

t.test('private networks: all by default; none, or only the listed ranges; loopback needs both rules', async (t) => {
  const internal = ['10.1.2.3', '172.16.0.1', '172.31.255.254', '192.168.1.1', '100.64.0.1', 'fd00::2', 'fc00::1', '::ffff:a01:203'];
  for (const a of internal) {
    t.equal(blockedAddress(a, false, 'all'), null, `${a}: allowed with all (the default setting)`);
    t.match(blockedAddress(a, false, []), /private-network address/, `${a}: refused with none`);
  }
  const ranges = only('10.20.0.0/16', 'fd12:3456::/32');
  t.equal(blockedAddress('10.20.7.8', false, ranges), null, 'inside a listed range');
  t.equal(blockedAddress('::ffff:10.20.7.8', false, ranges), null, 'in its IPv4-mapped spelling too');
  t.equal(blockedAddress('FD12:3456::1', false, ranges), null, 'an IPv6 range, in any case');
  t.match(blockedAddress('10.21.0.1', false, ranges), /private-network/, 'the same /8, another /16');
  t.match(blockedAddress('::ffff:a15:1', false, ranges), /private-network/, 'and in hex');
  t.match(blockedAddress('fd12:3457::1', false, ranges), /private-network/);
  t.equal(blockedAddress('172.32.0.1', false, []), null, 'just outside 172.16/12: public, never refused by this rule');
  t.equal(blockedAddress('2001:db8::1', false, []), null);
  t.match(blockedAddress('100.100.100.200', true, 'all'), /metadata/, 'the metadata address in CGNAT space stays blocked');
  t.match(blockedAddress('127.0.0.1', true, []), /private-network/, 'loopback of a listed host: refused with none');
  t.match(blockedAddress('127.0.0.1', true, ranges), /private-network/, 'and when the list leaves it out');
  t.equal(blockedAddress('127.0.0.1', true, only('127.0.0.0/8')), null, 'allowed when listed for http and in the ranges');
  t.match(blockedAddress('127.0.0.1', false, only('127.0.0.0/8')), /loopback/, 'the ranges never open loopback on their own');
});

t.test('NAT64: an address in 64:ff9b::/96 is judged as the IPv4 address the gateway forwards it to', async (t) => {
  t.match(blockedAddress('64:ff9b::a9fe:a9fe', true, 'all'), /link-local or metadata/, 'the metadata address behind NAT64');
  t.match(blockedAddress('64:ff9b::169.254.169.254', true, 'all'), /link-local or metadata/, 'in the dotted spelling too');
  t.match(blockedAddress('64:ff9b::7f00:1', false, 'all'), /loopback/, 'loopback behind NAT64');
  t.match(blockedAddress('64:FF9B:0:0:0:0:A01:203', false, []), /private-network/, '10.1.2.3 behind NAT64, written out');
  t.equal(blockedAddress('64:ff9b::a14:1', false, only('10.20.0.0/16')), null, 'inside a listed range');
  t.equal(blockedAddress('64:ff9b::808:808', false, []), null, 'a public IPv4 address behind NAT64 is public');
  t.match(onlyProblem(checkCallbackUrl('https://[64:ff9b::10.1.2.3]/hook', [], [])), { code: 'private_network_refused' });
});

t.test('callback URLs: an IP literal in a refused private network is a 400 at subscription time', async (t) => {
  const ranges = only('10.20.0.0/16');
  t.same(checkCallbackUrl('https://10.1.2.3/hook', [], 'all'), [], 'all (the default): allowed');
  t.match(onlyProblem(checkCallbackUrl('https://10.1.2.3/hook', [], [])), { name: 'callbackUrl', code: 'private_network_refused' });
  t.match(onlyProblem(checkCallbackUrl('https://[fd00::2]:8443/hook', [], ranges)), { code: 'private_network_refused' });
  t.match(onlyProblem(checkCallbackUrl('https://[::ffff:10.1.2.3]/hook', [], ranges)), { code: 'private_network_refused' }, 'IPv4-mapped');
  t.match(
    onlyProblem(checkCallbackUrl('https://0xa010203/hook', [], ranges)),
    { code: 'private_network_refused' },
    'any spelling URL reads as IPv4',
  );
  t.same(checkCallbackUrl('https://10.20.0.5/hook', [], ranges), [], 'inside a listed range');
  t.same(checkCallbackUrl('https://93.184.215.14/hook', [], []), [], 'a public address');
  t.same(checkCallbackUrl('https://zaken.gemeente.example/hook', [], []), [], 'a name: judged by its address at the connection');
  t.match(
    onlyProblem(checkCallbackUrl('http://127.0.0.1:8080/hook', ['127.0.0.1'], ranges)),
    { code: 'private_network_refused' },
    'loopback too',
  );
});

t.test('blocked addresses: an IPv4-mapped IPv6 literal in hex (as URL parsing writes it) is the IPv4 address', async (t) => {
  // https://[::ffff:169.254.169.254]/ and https://[::ffff:127.0.0.1]/ reach their IPv4 addresses; URL writes them in hex.
  const host = (url: string) => new URL(url).hostname.replace(/^\[|\]$/g, '');
  t.equal(host('https://[::ffff:169.254.169.254]/hook'), '::ffff:a9fe:a9fe');
  t.ok(blockedAddress(host('https://[::ffff:169.254.169.254]/hook'), true, 'all'), 'the metadata address in hex is blocked');
  t.ok(blockedAddress(host('https://[::ffff:127.0.0.1]:8443/hook'), false, 'all'), 'loopback in hex is blocked unless allowed');
  t.ok(blockedAddress('0:0:0:0:0:ffff:a9fe:a9fe', true, 'all'), 'written out in full too');
  t.ok(blockedAddress('::FFFF:A9FE:A9FE', true, 'all'), 'in upper case too');
  t.equal(blockedAddress('::ffff:a01:203', false, 'all'), null, 'a private network in hex is as fine as 10.1.2.3');
});

t.test('signatures verify with the standardwebhooks reference library', async (t) => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const ts = Math.floor(Date.now() / 1000);
  const body = '{"specversion":"1.0"}';
  const headers = {
    'webhook-id': 'msg_1',
    'webhook-timestamp': String(ts),
    'webhook-signature': signatures(['whsec_b2xkb2xkb2xkb2xk', secret], 'msg_1', ts, body),
  };
  t.same(new Webhook(secret).verify(body, headers), { specversion: '1.0' });
  t.equal(
    signatures([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}'),
    'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    'the scheme’s published example, byte for byte',
  );
});

t.test('statistics.changed: a reporting attestation made or withdrawn changes the municipality-year’s statistics', async (t) => {
  // A 0 nobody reported (status not_reported, observations NotReported without a value) becomes an
  // attested 0 (nothing_to_report, value 0), and back on withdrawal: the answer at dataref changes.
  const attestation = { id: 'a1', municipalityCode: 'GM0080', year: 2020, complete: true, nothingToReport: true };
  const from = { source: 'urn:nld:enforcement-registry', publicBaseUrl: 'https://registry.example/v1' };
  for (const [action, before, after] of [
    ['create', null, attestation],
    ['delete', attestation, null],
  ] as const) {
    const events = eventsOf(
      [{ action, objectType: 'reporting_attestation', objectId: 'a1', municipalityCode: 'GM0080', before, after }],
      from,
    );
    t.same(
      events.map((e) => [e.type, e.subject, (e.event as { dataref: string }).dataref]),
      [
        [
          'nl.overheid.handhavingsregister.statistics.changed',
          'GM0080-2020',
          'https://registry.example/v1/statistics/enforcement-actions?yearFrom=2020&yearTo=2020&municipalityCode=GM0080',
        ],
      ],
      action,
    );
  }
});

t.test('statistics.changed: each year that comes into or leaves a municipality’s years, up to this one', async (t) => {
  const from = { source: 'urn:nld:enforcement-registry', publicBaseUrl: 'https://registry.example/v1' };
  const municipality = (firstYear: number | null, lastYear: number | null) => ({ code: 'GM0080', name: 'Leeuwarden', firstYear, lastYear });
  const subjects = (before: object, after: object, now: string) =>
    eventsOf(
      [{ action: 'update', objectType: 'municipality', objectId: 'GM0080', municipalityCode: 'GM0080', before, after }],
      from,
      new Date(now),
    )
      .filter((e) => e.type === 'nl.overheid.handhavingsregister.statistics.changed')
      .map((e) => e.subject);
  t.same(
    subjects(municipality(null, null), municipality(null, 2021), '2024-06-01T12:00:00Z'),
    ['GM0080-2022', 'GM0080-2023', 'GM0080-2024'],
    'merged away',
  );
  t.same(
    subjects(municipality(2019, null), municipality(2017, null), '2024-06-01T12:00:00Z'),
    ['GM0080-2017', 'GM0080-2018'],
    'formed earlier',
  );
  t.same(
    subjects({ code: 'GM0080', name: 'Leeuwarden' }, municipality(1991, null), '2024-06-01T12:00:00Z'),
    ['GM0080-1990'],
    'an entry from before the years were kept: open',
  );
  t.same(
    subjects(municipality(null, null), { ...municipality(null, null), name: 'Ljouwert' }, '2024-06-01T12:00:00Z'),
    [],
    'a new name changes no figure',
  );
});

t.test('every event eventsOf makes, of every record type and change, is a RegistryEvent as the document describes it', async (t) => {
  const valid = validatorFor({ $ref: '#/components/schemas/RegistryEvent' });
  const from = { source: 'urn:nld:enforcement-registry', publicBaseUrl: 'https://registry.example/v1' };
  const establishmentId = '2fdd71d2-0c6f-4d84-8a8e-0a3a4d6b5c10';
  const id = '9c027a9d-5e2f-4f0a-a0a4-2a4e1c0d1b11';
  const record = { id, establishmentId, decisionDate: '2019-05-01', year: 2019, deletedAt: null };
  const types = new Set<string>();
  const schemaNames = new Set<string>();
  for (const objectType of AUDIT_OBJECT_TYPES) {
    for (const action of AUDIT_ACTIONS) {
      for (const deletedBefore of [false, true]) {
        const after = action === 'delete' ? null : { ...record, ...(deletedBefore ? { deletedAt: '2020-01-01T00:00:00.000Z' } : {}) };
        const events = eventsOf([{ action, objectType, objectId: id, municipalityCode: 'GM0363', before: record, after }], from);
        for (const [n, e] of events.entries()) {
          types.add(e.type);
          const delivered = { ...(e.event as object), sequence: sequenceOf(n + 1) }; // as the dispatcher sends it
          t.ok(valid(delivered), `${objectType} ${action}: ${e.type} ${JSON.stringify(valid.errors ?? [])}`);
          // dataschema (the NL GOV profile: where a random id's limits are described) names the schema data keeps to
          const { dataschema, data } = e.event as { dataschema: string; data: unknown };
          const [document, pointer] = dataschema.split('#');
          t.equal(document, 'https://registry.example/v1/openapi.json', `${e.type}: the document under the public base URL`);
          const schema = validatorFor({ $ref: `#${pointer}` });
          t.ok(schema(data), `${e.type}: its data keeps to ${pointer} ${JSON.stringify(schema.errors ?? [])}`);
          schemaNames.add(String(pointer));
        }
      }
    }
  }
  t.same([...types].sort(), [...EVENT_TYPES].sort(), 'every event type was made and checked');
  t.same([...schemaNames].sort(), ['/components/schemas/RecordEventData', '/components/schemas/StatisticsEventData']);
  for (const name of schemaNames) {
    const description = String(schemaAt(name).description);
    t.match(description, /`id` beside it is a random UUID/, `${name} says what the id is not`);
  }
});

t.test('sequence: compared as strings, as the CloudEvents Sequence extension asks, it orders as the outbox does', async (t) => {
  const positions = [1, 2, 9, 10, 99, 100, 123_456, 2 ** 31, Number.MAX_SAFE_INTEGER];
  const sequences = positions.map(sequenceOf);
  t.same([...sequences].reverse().sort(), sequences, 'string order is number order, across every number of digits');
  t.ok(
    sequences.every((s) => /^[0-9]{19}$/.test(s)),
    '19 digits each: the largest bigint a PostgreSQL sequence gives (9223372036854775807) fits',
  );
  t.equal(sequenceOf(42), '0000000000000000042');
});

t.test('callback URLs: an address the sender never calls, or port 0, is a 400 at subscription time too', async (t) => {
  // Found by a fuzzing pass (5 December 2026): these were accepted and refused only at every delivery.
  for (const url of [
    'https://169.254.169.254/latest',
    'https://2852039166/',
    'https://0251.0376.0251.0376/',
    'https://100.100.100.200/',
    'https://[fd00:ec2::254]/',
    'https://[fe80::1]/',
    'https://[::ffff:a9fe:a9fe]/',
    'https://[64:ff9b::a9fe:a9fe]/',
    'https://[2002:a9fe:a9fe::]/',
    'https://[::169.254.169.254]/',
    'https://0.0.0.0/',
    'https://[::]/',
    'https://224.0.0.1/',
    'https://[ff02::1]/',
  ]) {
    t.match(onlyProblem(checkCallbackUrl(url, [], 'all')), { name: 'callbackUrl', code: 'address_refused' }, url);
  }
  t.match(
    onlyProblem(checkCallbackUrl('http://127.0.0.1:0/', ['127.0.0.1'], 'all')),
    { code: 'invalid_port' },
    'port 0: Node would call port 80',
  );
  t.match(onlyProblem(checkCallbackUrl('https://zaken.example:0/', [], 'all')), { code: 'invalid_port' });
  t.same(checkCallbackUrl('https://zaken.example:8443/', [], 'all'), [], 'another port is fine');
});

t.test('6to4 and IPv4-compatible addresses are judged as the IPv4 address they reach, as NAT64 ones are', async (t) => {
  t.match(blockedAddress('2002:a9fe:a9fe::1', true, 'all'), /link-local or metadata/, '6to4 around 169.254.169.254');
  t.match(blockedAddress('2002:a00:1::', true, []), /private-network/, '6to4 around 10.0.0.1');
  t.match(blockedAddress('::10.0.0.1', true, []), /private-network/, 'IPv4-compatible 10.0.0.1');
  t.match(blockedAddress('::7f00:1', false, 'all'), /loopback/, 'IPv4-compatible 127.0.0.1');
  t.match(blockedAddress('::1', false, 'all'), /loopback/, '::1 is IPv6 loopback still');
  t.match(blockedAddress('::', true, 'all'), /unspecified/, ':: is unspecified still');
  t.equal(blockedAddress('2002:808:808::', true, []), null, '6to4 around a public address is public');
});

t.test('IPv6 forms that reach an IPv4 address, and reserved IPv4 space, are judged as what they reach (a security review)', async (t) => {
  // SIIT's IPv4-translated form (RFC 2765): the IPv4 address in the last 32 bits, as for NAT64's well-known prefix.
  t.match(blockedAddress('::ffff:0:a9fe:a9fe', true, 'all'), /link-local or metadata/, 'the metadata address, IPv4-translated');
  t.match(blockedAddress('::ffff:0:7f00:1', false, 'all'), /loopback/, 'loopback, IPv4-translated');
  t.match(blockedAddress('::ffff:0:a01:203', false, []), /private-network/, '10.1.2.3, IPv4-translated');
  t.equal(blockedAddress('::ffff:0:808:808', false, []), null, 'a public IPv4 address, IPv4-translated, is public');
  // Where the IPv4 address stands cannot be told: never called, whatever the settings.
  for (const address of [
    '64:ff9b:1::a9fe:a9fe',
    '64:ff9b:1::7f00:1',
    '64:ff9b:1:ffff::1',
    '2001::a00:1',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
  ])
    t.match(blockedAddress(address, true, 'all'), /local-use NAT64 or Teredo/, `${address}: never called`);
  t.match(
    onlyProblem(checkCallbackUrl('https://[64:ff9b:1::a9fe:a9fe]/', [], 'all')),
    { code: 'address_refused' },
    'a 400 at subscription time',
  );
  t.match(onlyProblem(checkCallbackUrl('https://[::ffff:0:7f00:1]/', [], 'all')), { code: 'loopback_refused' });
  t.equal(blockedAddress('2001:db8::1', false, []), null, 'the rest of 2001::/16 is ordinary IPv6');
  // IETF protocol assignments: never; the benchmarking networks: private space, as the setting says.
  t.match(blockedAddress('192.0.0.1', false, 'all'), /IETF protocol assignment/);
  t.match(blockedAddress('198.18.0.1', false, []), /private-network/, 'benchmarking space is refused with none');
  t.equal(blockedAddress('198.18.0.1', false, 'all'), null, 'and allowed with all');
  t.same(parseInternalCidr('198.18.4.0/24'), { address: '198.18.4.0', prefix: 24, type: 'ipv4' }, 'and may be listed');
});

t.test('a connection refused at a private-network address is logged by its code, without the address it was refused at', async (t) => {
  // Node's own error for a refused connection carries the address and names it in its message.
  const { createConnection, createServer } = await import('node:net');
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const { port } = closed.address() as { port: number };
  await new Promise((r) => closed.close(r));
  const refused = await new Promise<Error>((resolve) => createConnection({ host: '127.0.0.1', port }).on('error', resolve));
  t.match(refused, { code: 'ECONNREFUSED', address: '127.0.0.1' }, 'Node names where it was refused');
  t.equal(failureText(refused, undefined), refused.message, 'loopback (a listed development host): the message as it is');
  // The same error at an internal address a host name resolved to: the subscriber learns the code only.
  const internal = Object.assign(new Error(`connect ECONNREFUSED 10.1.2.3:${port}`), { code: 'ECONNREFUSED', address: '10.1.2.3', port });
  t.equal(failureText(internal, undefined), 'ECONNREFUSED (at a private-network address: no details kept)');
  t.equal(failureText(new Error('certificate names billing.intern'), 'fd00::5'), 'error (at a private-network address: no details kept)');
  const outside = Object.assign(new Error('connect ECONNREFUSED 93.184.215.14:443'), { code: 'ECONNREFUSED', address: '93.184.215.14' });
  t.equal(failureText(outside, undefined), outside.message, 'a public address keeps the message');
  // A name with several addresses, all refused: Node 20 raises one AggregateError, its own message empty.
  const { request } = await import('node:http');
  const both = await new Promise<Error>((resolve) => {
    const lookup = (_host: string, _options: object, done: (err: null, addresses: { address: string; family: number }[]) => void) =>
      done(null, [
        { address: '127.0.0.1', family: 4 },
        { address: '::1', family: 6 },
      ]);
    // Happy Eyeballs (autoSelectFamily) is a socket option the http types leave out.
    const options = { host: 'receiver.test', port, method: 'POST', lookup: lookup as never, autoSelectFamily: true };
    request(options).on('error', resolve).end();
  });
  t.match(both, { code: 'ECONNREFUSED', message: '', errors: [{ address: '127.0.0.1' }, { address: '::1' }] }, 'as Node raises it');
  t.equal(failureText(both, undefined), 'ECONNREFUSED', 'its code, not an empty text');
  const each = (address: string) => Object.assign(new Error(`connect ECONNREFUSED ${address}:443`), { code: 'ECONNREFUSED', address });
  const all = (...addresses: string[]) => Object.assign(new AggregateError(addresses.map(each), ''), { code: 'ECONNREFUSED' });
  t.equal(failureText(all('93.184.215.14', '10.1.2.3'), undefined), 'ECONNREFUSED (at a private-network address: no details kept)');
  t.equal(failureText(all('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'), undefined), 'ECONNREFUSED', 'not an empty text');
});

import t from 'tap';
import { ensureBuilt, owned, type ServerProcess, serverDatabase, startServer } from '../support/server.js';

/**
 * Subscriptions made while the outbound settings allowed their callback, and a restart with those
 * settings narrowed: the process names them in a warning at start-up (by id and the reason the delivery log
 * would give), instead of leaving the operator to find them in failed deliveries a day later.
 */
t.setTimeout(120_000);
ensureBuilt();

const ADMIN_TOKEN = 'narrowed-callbacks-admin-token-0123456789';
const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
const PLAIN_HTTP = 'plain http is not allowed for this host';
const EVENT = 'nl.overheid.handhavingsregister.enforcement-action.created';

const baseEnv = { PORT: '0', LOG_LEVEL: 'info', REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, ...(await serverDatabase(t, 'narrowed')) };

type Warning = { msg?: string; level?: number; count?: number; subscriptions?: { id: string; reason: string }[] };
const warningsOf = (s: ServerProcess): Warning[] =>
  s
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Warning)
    .filter((l) => l.msg?.startsWith('active subscriptions whose callbackUrl'));

const ids = { loopback: '', httpsLoopback: '', privateAddress: '', named: '' };

t.test('first start, everything allowed (the default; plain http to loopback): subscriptions made, no warning', async (t) => {
  const first = owned(t, startServer({ ...baseEnv, NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1' }));
  const base = await first.ready;
  const subscribe = async (callbackUrl: string) => {
    const res = await fetch(`${base}/v1/subscriptions`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ callbackUrl, eventTypes: [EVENT] }),
    });
    const text = await res.text();
    t.equal(res.status, 201, res.status === 201 ? `${callbackUrl} accepted` : `${callbackUrl}: ${text}`);
    return (JSON.parse(text) as { id: string }).id;
  };
  ids.loopback = await subscribe('http://127.0.0.1:9/hook');
  ids.httpsLoopback = await subscribe('https://127.0.0.1:8443/hook');
  ids.privateAddress = await subscribe('https://10.20.30.40/hook');
  ids.named = await subscribe('https://case-system.example/hook');
  t.same(warningsOf(first), [], 'nothing to warn about while the settings allow every callback');
  first.proc.kill('SIGTERM');
  t.equal(await first.exited, 0, 'the first instance stopped');
});

t.test('restarted with the private networks shut and plain http no longer allowed: both callbacks named, the host name not', async (t) => {
  const second = owned(t, startServer({ ...baseEnv, NOTIFICATIONS_PRIVATE_NETWORKS: 'none' }));
  await second.ready;
  const [warning, ...more] = warningsOf(second);
  t.same(more, [], 'one warning');
  t.equal(warning?.level, 40, 'at warn level');
  t.equal(warning?.count, 3);
  t.same(
    warning?.subscriptions,
    [
      { id: ids.loopback, reason: PLAIN_HTTP },
      { id: ids.httpsLoopback, reason: 'refused: loopback address' },
      { id: ids.privateAddress, reason: 'refused: private-network address outside NOTIFICATIONS_PRIVATE_NETWORKS' },
    ],
    'by id and reason, in the order they were made; no callback URL in the log',
  );
  t.notMatch(second.stdout(), /10\.20\.30\.40|127\.0\.0\.1:9/, 'the callback URLs themselves are not logged');
  t.notOk(
    warning?.subscriptions?.some((s) => s.id === ids.named),
    'a host name is judged when a delivery resolves it',
  );
  second.proc.kill('SIGTERM');
  t.equal(await second.exited, 0);
});

t.test(
  'restarted without NOTIFICATIONS_HTTP_HOSTS: both loopback callbacks named, the https one too (its host must be listed)',
  async (t) => {
    const server = owned(t, startServer(baseEnv));
    await server.ready;
    const [warning] = warningsOf(server);
    t.same(
      warning?.subscriptions,
      [
        { id: ids.loopback, reason: PLAIN_HTTP },
        { id: ids.httpsLoopback, reason: 'refused: loopback address' },
      ],
      'the connection guard’s verdict for an IP literal, not only the subscription rule',
    );
    server.proc.kill('SIGTERM');
    t.equal(await server.exited, 0);
  },
);

t.test('restarted with the subscriber’s range allowed: no warning', async (t) => {
  const third = owned(
    t,
    startServer({ ...baseEnv, NOTIFICATIONS_HTTP_HOSTS: '127.0.0.1', NOTIFICATIONS_PRIVATE_NETWORKS: '10.0.0.0/8,127.0.0.0/8' }),
  );
  await third.ready;
  t.same(warningsOf(third), [], 'every active callback is allowed again');
  third.proc.kill('SIGTERM');
  t.equal(await third.exited, 0);
});

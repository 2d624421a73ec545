import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { usingPostgres } from '../support/basics.js';
import { ensureBuilt, owned, seededDataDir, serverDatabase, sleep, slowPost, startServer } from '../support/server.js';

/**
 * The real process: `node dist/server.js` listening on a free port (PORT=0), on the embedded
 * database in a temporary DATA_DIR, or on a fresh PostgreSQL database when DATABASE_URL is set.
 */
const ADMIN_TOKEN = 'server-test-admin-token-0123456789abcdef';

/** The subset of tap's Test these helpers need. */
interface TestLike {
  teardown(fn: () => unknown): void;
}

// Longer than .taprc's default: it may first build dist/ (tsc), then starts five node processes
// that each load PGlite and migrate; ~20 s when idle with dist/ built.
t.setTimeout(300_000);

ensureBuilt();

function tempDataDir(t: TestLike): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'er-server-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('server: serves the document over the network, and finishes in-flight requests on SIGTERM', async (t) => {
  const env = { PORT: '0', LOG_LEVEL: 'info', REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, ...(await serverDatabase(t, 'server')) };
  // An API process that leaves the delivery to others still stamps its events with the source.
  const server = owned(t, startServer({ ...env, NOTIFICATIONS_DISPATCH: 'off' }));
  const base = await server.ready;
  t.match(base, /^http:\/\/127\.0\.0\.1:\d+$/, 'the ready log names the bound address');
  t.match(server.output(), usingPostgres ? /"database":"postgres"/ : /"database":"pglite"/);

  const doc = await fetch(`${base}/v1/openapi.json`);
  t.equal(doc.status, 200);
  t.equal(doc.headers.get('access-control-allow-origin'), '*');
  t.equal(((await doc.json()) as { openapi: string }).openapi, '3.0.3');
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  t.equal((await fetch(`${base}/v1/api-clients`, { headers: admin })).status, 200, 'REGISTRY_ADMIN_TOKEN works');
  t.equal((await fetch(`${base}/health/ready`)).status, 200);

  // A request in flight when SIGTERM arrives completes; then the process exits 0.
  const slow = slowPost(`${base}/v1/municipalities`, JSON.stringify({ code: 'GM0999', name: 'Graceful' }), admin);
  await sleep(300);
  server.proc.kill('SIGTERM');
  await sleep(300);
  t.equal(server.proc.exitCode, null, 'still running while a request is in flight');
  slow.finish();
  const res = await slow.response;
  t.equal(res.status, 201, `the in-flight request completed: ${res.body}`);
  t.equal(await server.exited, 0, 'then the process exited 0');
  t.match(server.output(), /shutting down/);

  // A real installation (PostgreSQL) that left the events' source at its default is told to name itself.
  const sourceWarning = /"level":40,[^\n]*NOTIFICATIONS_SOURCE is left at urn:nld:enforcement-registry/;
  if (usingPostgres) t.match(server.stdout(), sourceWarning, 'PostgreSQL with the default source: warned, delivering or not');
  else t.notMatch(server.stdout(), sourceWarning, 'the embedded database (trying it out): not warned');
  // And one that left callbacks free to reach every private network, to set the ranges (the security review).
  const networksWarning = /"level":40,[^\n]*NOTIFICATIONS_PRIVATE_NETWORKS is not set/;
  if (usingPostgres) t.match(server.stdout(), networksWarning, 'PostgreSQL without private networks set: warned');
  else t.notMatch(server.stdout(), networksWarning, 'the embedded database: not warned');
  // And one whose events would send every receiver to its own loopback (an events review): PUBLIC_BASE_URL left unset.
  const baseUrlWarning = /"level":40,[^\n]*PUBLIC_BASE_URL is http:\/\/127\.0\.0\.1:\d+\/v1, a loopback address/;
  if (usingPostgres) t.match(server.stdout(), baseUrlWarning, 'PostgreSQL with the default base URL: warned');
  else t.notMatch(server.stdout(), baseUrlWarning, 'the embedded database: not warned');

  // Nothing acknowledged is lost: a new process on the same database sees it.
  const again = owned(
    t,
    startServer({
      ...env,
      NOTIFICATIONS_SOURCE: 'urn:nld:oin:00000001234567890000:systeem:handhavingsregister',
      NOTIFICATIONS_PRIVATE_NETWORKS: 'all',
      PUBLIC_BASE_URL: 'https://handhavingsregister.example.nl/v1',
    }),
  );
  const base2 = await again.ready;
  const read = await fetch(`${base2}/v1/municipalities/GM0999`, { headers: admin });
  t.equal(read.status, 200, 'the acknowledged write survived the shutdown');
  t.notMatch(again.stdout(), sourceWarning, 'a source of its own: no warning');
  t.notMatch(again.stdout(), networksWarning, 'private networks set (even to all, deliberately): no warning');
  t.notMatch(again.stdout(), /PUBLIC_BASE_URL is/, 'a public base URL: no warning');
  if (!usingPostgres) await refusesSecondProcess(t, env, base2);
  again.proc.kill('SIGTERM');
  t.equal(await again.exited, 0);
});

/** A second process on the data folder of a running one exits with a clear error, and the first carries on. */
async function refusesSecondProcess(t: Test, env: Record<string, string>, base: string) {
  const second = owned(t, startServer(env));
  const code = await second.exited;
  t.not(code, 0, 'a second process on the same data folder exits with an error');
  t.match(second.output(), /in use by another process/, 'and says the folder is in use');
  t.match(second.output(), new RegExp(path.basename(env.DATA_DIR as string)), 'naming the folder');
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const write = await fetch(`${base}/v1/municipalities`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ code: 'GM0998', name: 'Still fine' }),
  });
  t.equal(write.status, 201, 'the first process still writes');
  const read = await fetch(`${base}/v1/municipalities/GM0998`, { headers: admin });
  t.equal(read.status, 200, 'and reads its own write');
}

if (usingPostgres) {
  t.test('server: a second process on the same embedded data folder is refused and does no harm', async (t) => {
    const env = { PORT: '0', LOG_LEVEL: 'info', REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN, DATA_DIR: await seededDataDir(t, 'server') };
    const first = owned(t, startServer(env));
    const base = await first.ready;
    await refusesSecondProcess(t, env, base);
    first.proc.kill('SIGTERM');
    t.equal(await first.exited, 0);
  });
}

t.test('server: a bad configuration stops the start, naming the variable', async (t) => {
  const bad = startServer({ PORT: 'abc', DATA_DIR: tempDataDir(t) });
  const code = await bad.exited;
  t.not(code, 0);
  t.match(bad.output(), /PORT/);
  const short = startServer({ REGISTRY_ADMIN_TOKEN: 'short', DATA_DIR: tempDataDir(t) });
  t.not(await short.exited, 0);
  t.match(short.output(), /REGISTRY_ADMIN_TOKEN/);
  t.notMatch(short.output(), /short/, 'without echoing the secret');
  const range = startServer({ NOTIFICATIONS_PRIVATE_NETWORKS: '10.20.0.0/16,10.30.0.0/33', DATA_DIR: tempDataDir(t) });
  t.equal(await range.exited, 78, 'a bad private-network range: exit 78 (EX_CONFIG)');
  t.match(range.output(), /NOTIFICATIONS_PRIVATE_NETWORKS: range 2 has a prefix longer than an IPv4 address/);
});

import { generateKeyPairSync } from 'node:crypto';
import t from 'tap';
import { ensureBuilt, owned, serverDatabase, sleep, startServer } from '../support/server.js';

/**
 * The periodic audit checkpoint of a running process (AUDIT_CHECKPOINT_INTERVAL_S): one at start, then
 * one per interval while the trail moves, one at a time; SIGTERM waits for the one in hand and exits 0.
 */
t.setTimeout(120_000);
ensureBuilt();

const ADMIN_TOKEN = 'checkpoint-interval-admin-token-0123456789';
const key = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

t.test('checkpoints are signed at start and per interval as the trail moves, and a SIGTERM exits 0', async (t) => {
  const server = owned(
    t,
    startServer({
      PORT: '0',
      LOG_LEVEL: 'info',
      REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN,
      AUDIT_SIGNING_KEY: key,
      AUDIT_CHECKPOINT_INTERVAL_S: '1',
      ...(await serverDatabase(t, 'checkpoint-interval')),
    }),
  );
  const base = await server.ready;
  const signed = () =>
    server
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"audit checkpoint signed"')).length;
  const writes = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const res = await fetch(`${base}/v1/api-clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: `analyst ${i}`, role: 'analyst' }),
      });
      t.equal(res.status, 201);
      await sleep(600);
    }
  };
  await writes(4); // the trail moves for more than two intervals
  // Until the trail's head is signed: the newest checkpoint's seq is the newest entry's (the chain has no gaps).
  const trail = await fetch(`${base}/v1/audit-trail?pageSize=1`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const head = ((await trail.json()) as { totalItems: number }).totalItems;
  const signedSeqs = () =>
    server
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"audit checkpoint signed"'))
      .map((l) => (JSON.parse(l) as { seq: number }).seq);
  for (let i = 0; i < 300 && !signedSeqs().includes(head); i++) await sleep(100);
  t.ok(signedSeqs().includes(head), `the head (seq ${head}) is signed`);
  t.ok(signed() >= 3, `signed at start and as the trail moved (${signed()} times)`);
  const before = signed();
  await sleep(2500);
  t.equal(signed(), before, 'nothing new to sign while the trail stands still');
  server.proc.kill('SIGTERM');
  t.equal(await server.exited, 0, server.output().slice(-1500));
  t.notMatch(server.stdout(), /could not sign an audit checkpoint/);
});

import t from 'tap';
import { hashToken } from '../../src/infrastructure/repositories/api-clients.js';
import { ensureBuilt, owned, serverDatabase, startServer } from '../support/server.js';

/**
 * Issue 11, finding 7: revoking the bootstrap admin used to stop the next start (a second admin
 * with the same token hash, 23505, exit 1 with a stack trace that printed the hash). Now the start
 * refuses the configuration: exit 78 (EX_CONFIG), a message naming REGISTRY_ADMIN_TOKEN, no stack,
 * no secret; and the revoked token stays revoked.
 */
t.setTimeout(180_000); // three server starts, each opening PGlite and migrating

ensureBuilt();

const FIRST = 'bootstrap-revoked-first-token-0123456789abcdef';
const SECOND = 'bootstrap-revoked-second-token-9876543210zyxwv';

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

t.test('revoking the bootstrap admin: the next start with its token exits 78 with a clear message', async (t) => {
  const env = { PORT: '0', LOG_LEVEL: 'info', ...(await serverDatabase(t, 'bootstrap')) };

  const first = owned(t, startServer({ ...env, REGISTRY_ADMIN_TOKEN: FIRST }));
  const base = await first.ready;
  const list = (await (await fetch(`${base}/v1/api-clients`, { headers: bearer(FIRST) })).json()) as {
    items: { id: string; name: string; version: number }[];
  };
  const bootstrap = list.items.find((c) => c.name === 'bootstrap-admin');
  t.ok(bootstrap, 'the bootstrap admin is registered');
  const revoked = await fetch(`${base}/v1/api-clients/${bootstrap?.id}`, {
    method: 'DELETE',
    headers: { ...bearer(FIRST), 'if-match': `"${bootstrap?.version}"`, 'x-audit-reason': 'token leaked' },
  });
  t.equal(revoked.status, 200, 'the bootstrap admin revoked itself');
  t.equal((await fetch(`${base}/v1/api-clients`, { headers: bearer(FIRST) })).status, 401, 'its token is refused');
  first.proc.kill('SIGTERM');
  t.equal(await first.exited, 0);

  const again = owned(t, startServer({ ...env, REGISTRY_ADMIN_TOKEN: FIRST }));
  t.equal(await again.exited, 78, 'the start with the revoked token exits 78 (EX_CONFIG)');
  const out = again.output();
  t.match(out, /REGISTRY_ADMIN_TOKEN/, 'naming the variable');
  t.match(out, /revoked/, 'and saying why');
  t.notMatch(out, /\n\s+at /, 'no stack trace');
  t.notOk(out.includes(FIRST), 'not the token');
  t.notOk(out.includes(hashToken(FIRST)), 'nor its hash');
  t.notMatch(out, /23505|duplicate key/, 'not a database error');

  const fresh = owned(t, startServer({ ...env, REGISTRY_ADMIN_TOKEN: SECOND }));
  const base3 = await fresh.ready;
  t.equal((await fetch(`${base3}/v1/api-clients`, { headers: bearer(SECOND) })).status, 200, 'a new token registers a new admin');
  t.equal((await fetch(`${base3}/v1/api-clients`, { headers: bearer(FIRST) })).status, 401, 'the revoked token stays revoked');
  fresh.proc.kill('SIGTERM');
  t.equal(await fresh.exited, 0);
});

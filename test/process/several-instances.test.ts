import t from 'tap';
import { openPostgres, prepareDatabase } from '../../src/infrastructure/db/client.js';
import { scratchForService } from '../support/scratch-database.js';
import { ensureBuilt, type ServerProcess, startServer } from '../support/server.js';

/**
 * Two instances of the service on one PostgreSQL database, as behind a load balancer: a token
 * revoked through one is refused by the other within a second while it is serving that token
 * (its cache warm, AUTH_CACHE_TTL_MS at its default of 10 s), and two instances together allow no
 * more than the rate limit. PostgreSQL only: the embedded database serves a single process.
 */
const usingPostgres = Boolean(process.env.DATABASE_URL);
const ADMIN_TOKEN = 'several-instances-admin-token-0123456789abcdef';
const LIMIT = 40; // per client per minute

// Two server processes start (migrations, PostgreSQL): 5-15 s on a busy machine, plus dist/ may be built first.
t.setTimeout(180_000);

t.test('two instances on one PostgreSQL', { skip: usingPostgres ? false : 'needs PostgreSQL (DATABASE_URL)' }, async (t) => {
  ensureBuilt();
  const db = await scratchForService('er_instances');
  t.teardown(() => db.drop());
  const env = {
    DATABASE_URL: db.appUrl,
    DATABASE_MIGRATION_URL: db.ownerUrl,
    PORT: '0',
    LOG_LEVEL: 'warn',
    REGISTRY_ADMIN_TOKEN: ADMIN_TOKEN,
    RATE_LIMIT_PER_MINUTE: String(LIMIT),
  };
  const started: ServerProcess[] = [];
  t.teardown(() => {
    for (const s of started) if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
  });
  // Migrated once beforehand, so the two can start together (each still applies the migrations: none left).
  const first = await openPostgres({ url: db.appUrl, poolSize: 1, connectTimeoutMs: 5000, statementTimeoutMs: 60_000 });
  await prepareDatabase(first, db.ownerUrl);
  await first.close();
  const start = () => {
    const s = startServer({ ...env, LOG_LEVEL: 'info' });
    started.push(s);
    return s.ready;
  };
  const [a, b] = await Promise.all([start(), start()]);
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
  const newClient = async (name: string) => {
    const res = await fetch(`${a}/v1/api-clients`, { method: 'POST', headers: admin, body: JSON.stringify({ name, role: 'analyst' }) });
    t.equal(res.status, 201, `client ${name} created through A`);
    return (await res.json()) as { id: string; token: string; version: number };
  };

  await t.test('a token revoked through A is refused by B within 1 s, under traffic', async (t) => {
    const victim = await newClient('revoked');
    const auth = { authorization: `Bearer ${victim.token}` };
    t.equal((await fetch(`${b}/v1/municipalities`, { headers: auth })).status, 200, 'B accepts it (and caches it)');
    // Traffic on B with the token, until it is refused.
    let revokeSentAt = 0;
    let revokedAt = 0;
    let refusedAt = Number.NaN;
    let acceptedAfterRevocation = 0;
    const traffic = (async () => {
      for (let i = 0; i < 2000; i++) {
        const sent = performance.now();
        const status = (await fetch(`${b}/v1/municipalities`, { headers: auth })).status;
        if (revokedAt && sent >= revokedAt && status === 200) acceptedAfterRevocation += 1;
        if (status === 401) {
          refusedAt = sent;
          return;
        }
      }
    })();
    await new Promise((r) => setTimeout(r, 200));
    revokeSentAt = performance.now();
    const revoke = await fetch(`${a}/v1/api-clients/${victim.id}`, {
      method: 'DELETE',
      headers: { authorization: admin.authorization, 'if-match': `"${victim.version}"` },
    });
    t.equal(revoke.status, 200, 'revoked through A');
    revokedAt = performance.now();
    await traffic;
    // B may refuse it before A's answer reaches the test (the revocation is committed, then answered):
    // that counts as 0 ms; a refusal before the revocation was even asked for would be a fault.
    t.ok(revokeSentAt > 0 && refusedAt >= revokeSentAt, 'B accepted the token until the revocation was asked for');
    const refusedAfter = Math.max(0, refusedAt - revokedAt);
    t.ok(refusedAfter < 1000, `B refused it ${Math.round(refusedAfter)} ms after A acknowledged the revocation`);
    t.comment(`accepted by B after the revocation: ${acceptedAfterRevocation} request(s), refused from ${Math.round(refusedAfter)} ms`);
    t.equal((await fetch(`${b}/v1/municipalities`, { headers: auth })).status, 401, 'and stays refused');
  });

  await t.test('the rate limit holds for both instances together', async (t) => {
    const client = await newClient('busy');
    const auth = { authorization: `Bearer ${client.token}` };
    const statuses = { a: [] as number[], b: [] as number[] };
    for (let i = 0; i < LIMIT; i++) {
      const [ra, rb] = await Promise.all([
        fetch(`${a}/v1/municipalities`, { headers: auth }),
        fetch(`${b}/v1/municipalities`, { headers: auth }),
      ]);
      statuses.a.push(ra.status);
      statuses.b.push(rb.status);
    }
    const ok = [...statuses.a, ...statuses.b].filter((s) => s === 200).length;
    const limited = [...statuses.a, ...statuses.b].filter((s) => s === 429).length;
    t.equal(ok, LIMIT, `${2 * LIMIT} requests over two instances: ${LIMIT} allowed, not ${LIMIT} each`);
    t.equal(limited, LIMIT, 'the rest 429');
    t.ok(statuses.a.includes(200) && statuses.b.includes(200), 'both instances served some');
    t.ok(statuses.a.includes(429) && statuses.b.includes(429), 'both refused some');
  });

  for (const s of started) s.proc.kill('SIGTERM');
  for (const s of started) t.equal(await s.exited, 0, 'stops cleanly');
});

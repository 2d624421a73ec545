import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import t from 'tap';
import { signCheckpoint } from '../../src/infrastructure/audit/checkpoints.js';
import { asSuperuser } from '../support/audit.js';
import { json, sample, usingPostgres } from '../support/basics.js';
import { build, newSigningKey } from '../support/helper.js';

/**
 * scripts/verify-audit-trail.mjs may be pointed at the live database (--database-url) while the
 * service writes and signs checkpoints. It must read one state: a checkpoint committed after its
 * walk, of entries the walk never saw, is no sign of a cut-off trail.
 */
const SCRIPT = fileURLToPath(new URL('../../scripts/verify-audit-trail.mjs', import.meta.url));

t.test(
  'a checkpoint signed while the outside verifier runs on a live database is no break',
  { skip: !usingPostgres && 'PostgreSQL only: an embedded folder is read by one process at a time' },
  async (t) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'er-outside-live-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const key = newSigningKey();
    const { app, database, client } = await build(t, { auditSigningKey: key });
    const officer = await client('officer', 'GM0363');
    const admin = await client('admin');
    const est = json<{ id: string }>(
      await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
    );
    const action = () =>
      app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(est.id) });
    t.equal((await action()).statusCode, 201);
    t.equal((await app.inject({ method: 'POST', url: '/v1/audit-trail/checkpoints', headers: admin.auth })).statusCode, 201);
    const keyFile = path.join(dir, 'public-key.pem');
    writeFileSync(keyFile, json<{ pem: string }>(await app.inject({ url: '/v1/audit-trail/public-key' })).pem);
    const url = (database.outside as { databaseUrl: string }).databaseUrl;

    // Hold the verifier between its walk and its reading of the checkpoints.
    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    t.teardown(() => locker.end());
    await locker.query('begin');
    await locker.query('lock table audit_checkpoints in access exclusive mode');
    const run = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [SCRIPT, '--public-key', keyFile, '--database-url', url], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: unknown }).code ?? 2) : 0, stdout, stderr }),
      );
    });
    // (Asked on another connection: a transaction sees pg_stat_activity as it was when it first looked.)
    for (let waiting = 0; waiting === 0; ) {
      await new Promise((r) => setTimeout(r, 50));
      const [row] = await asSuperuser<{ n: number }>(
        database,
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '%from audit_checkpoints%'",
      );
      waiting = row?.n ?? 0;
    }
    // Meanwhile the service writes, and a checkpoint of the new head is signed.
    t.equal((await action()).statusCode, 201);
    const { rows } = await locker.query('select seq::int as seq, hash from audit_log order by seq desc limit 1');
    const c = signCheckpoint(key, { seq: rows[0].seq, headHash: rows[0].hash });
    await locker.query('insert into audit_checkpoints (id, seq, head_hash, signed_at, key_id, signature) values ($1, $2, $3, $4, $5, $6)', [
      c.id,
      c.seq,
      c.headHash,
      c.signedAt,
      c.keyId,
      c.signature,
    ]);
    await locker.query('commit');
    const result = await run;
    t.equal(result.code, 0, `exit 0: ${result.stdout} ${result.stderr}`);
    t.match(JSON.parse(result.stdout), { ok: true, problem: null });
  },
);

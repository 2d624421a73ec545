import { randomUUID } from 'node:crypto';
import { asc, desc, gte, sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { chainHash, contentHash } from '../../src/infrastructure/audit/chain.js';
import { type Checkpoint, checkpointSignedBy, publicKeyFrom, signCheckpoint } from '../../src/infrastructure/audit/checkpoints.js';
import { auditLog } from '../../src/infrastructure/db/schema.js';
import { withTenant } from '../../src/infrastructure/db/tenant.js';
import { asSuperuser, forgedDestruction } from '../support/audit.js';
import { build, json, newSigningKey, sample } from '../support/helper.js';

/**
 * Issue 11, finding 9: the audit chain proves itself. The application role cannot write audit_log
 * except through the commit-time chaining; every record type is checked against the trail; and
 * signed checkpoints catch a rewrite (with recomputed hashes) or a cut after them, with no anchor
 * kept by hand.
 */
const newKey = newSigningKey;

async function registry(t: Test) {
  const key = newKey();
  const ctx = await build(t, { auditSigningKey: key });
  const officer = await ctx.client('officer', 'GM0363');
  const admin = await ctx.client('admin');
  const est = json(
    await ctx.app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  for (const decisionDate of ['2019-01-10', '2019-02-10']) {
    await ctx.app.inject({
      method: 'POST',
      url: '/v1/enforcement-actions',
      headers: officer.auth,
      payload: sample.action(est.id as string, { decisionDate }),
    });
  }
  const verify = async () =>
    json<{
      ok: boolean;
      problem: string | null;
      firstBrokenSeq: number | null;
      checkpointsChecked: number;
      recordsWithoutTrail: number;
      entriesWithoutRecord: number;
    }>(await ctx.app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth }));
  const checkpoint = async () => {
    const res = await ctx.app.inject({ method: 'POST', url: '/v1/audit-trail/checkpoints', headers: admin.auth });
    t.equal(res.statusCode, 201, res.body);
    return json<Checkpoint>(res);
  };
  const cli = async () => {
    const out: string[] = [];
    const code = await runAuditVerify(ctx.database, (l) => out.push(l), undefined, key.publicKey);
    return { code, out: out.join('') };
  };
  return { ...ctx, key, officer, admin, est, verify, checkpoint, cli };
}

t.test('the application role cannot insert into audit_log; the service still chains its entries', async (t) => {
  const { database, app, officer, verify } = await registry(t);
  const forged = sql`insert into audit_log (seq, id, occurred_at, client_role, action, object_type, object_id, prev_hash, hash)
    values (1000, gen_random_uuid(), now(), 'admin', 'create', 'api_client', 'x', repeat('0', 64), repeat('0', 64))`;
  for (const scope of [{ kind: 'all' as const }, { kind: 'municipality' as const, code: 'GM0363' }]) {
    const code = await withTenant(database.db, scope, (tx) => tx.execute(forged)).then(
      () => 'inserted',
      (err: Error & { code?: string; cause?: { code?: string } }) => err.cause?.code ?? err.code,
    );
    t.equal(code, '42501', `refused in a ${scope.kind} transaction (insufficient_privilege)`);
  }
  const res = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() });
  t.equal(res.statusCode, 201, 'a write still gets its entry, chained at commit');
  t.match(await verify(), { ok: true, recordsWithoutTrail: 0 });
});

t.test('a cut tail that removed only an API client’s creation entry is found', async (t) => {
  const { database, app, admin, verify } = await registry(t);
  const rogue = await app.inject({
    method: 'POST',
    url: '/v1/api-clients',
    headers: admin.auth,
    payload: { name: 'rogue', role: 'admin' },
  });
  t.equal(rogue.statusCode, 201);
  t.match(await verify(), { ok: true });
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, 'delete from audit_log where seq = (select max(seq) from audit_log)');
  t.match(
    await verify(),
    { ok: false, recordsWithoutTrail: 1, problem: /no audit entry for their current version/ },
    'the rogue client has no trail',
  );
});

t.test('a cut tail that removed a municipality’s creation or a licence’s deletion is found', async (t) => {
  const { database, app, admin, officer, est, verify } = await registry(t);
  const m = await app.inject({
    method: 'POST',
    url: '/v1/municipalities',
    headers: admin.auth,
    payload: { code: 'GM0997', name: 'Ergens' },
  });
  t.equal(m.statusCode, 201, m.body);
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, 'delete from audit_log where seq = (select max(seq) from audit_log)');
  t.match(await verify(), { ok: false, recordsWithoutTrail: 1 }, 'a municipality without its entry');
  await asSuperuser(database, "delete from municipalities where code = 'GM0997'"); // hide it too: now the trail is merely shorter

  // An establishment without actions: deleting its licence re-derives nothing, so the delete entry is the last.
  const bare = json(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  t.ok(est.id);
  const lic = json(
    await app.inject({ method: 'POST', url: `/v1/establishments/${bare.id}/licences`, headers: officer.auth, payload: sample.licence() }),
  );
  const del = await app.inject({
    method: 'DELETE',
    url: `/v1/establishments/${bare.id}/licences/${lic.id}`,
    headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'entered by mistake' },
  });
  t.equal(del.statusCode, 204, del.body);
  t.match(await verify(), { ok: true });
  await asSuperuser(database, 'delete from audit_log where seq = (select max(seq) from audit_log)');
  t.match(
    await verify(),
    { ok: false, entriesWithoutRecord: 1, problem: /no row and no delete entry/ },
    'a deleted licence without its delete entry',
  );
});

t.test('signed checkpoints: served with the public key, and the untouched chain verifies against them', async (t) => {
  const { app, key, checkpoint, verify, cli } = await registry(t);
  const c = await checkpoint();
  t.equal(c.keyId, key.keyId);
  const list = await app.inject({ url: '/v1/audit-trail/checkpoints' });
  t.equal(list.statusCode, 200, 'public, without a token');
  t.same(json<{ items: Checkpoint[] }>(list).items.at(-1), c);
  const pub = json<{ pem: string; jwk: Record<string, string>; keyId: string }>(await app.inject({ url: '/v1/audit-trail/public-key' }));
  t.equal(pub.keyId, key.keyId);
  t.ok(checkpointSignedBy(c, publicKeyFrom(pub.pem)), 'verifies with the PEM');
  t.ok(checkpointSignedBy(c, publicKeyFrom(JSON.stringify(pub.jwk))), 'and with the JWK');
  t.notOk(checkpointSignedBy({ ...c, seq: c.seq + 1 }, key.publicKey), 'a changed statement does not verify');
  t.match(await verify(), { ok: true, checkpointsChecked: 1 });
  t.equal((await cli()).code, 0);
});

t.test('a chain rewritten with recomputed hashes up to a checkpoint is found, citing the checkpoint', async (t) => {
  const { database, checkpoint, verify, cli } = await registry(t);
  const c = await checkpoint();
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  // Rewrite entry 3 and recompute every hash from there, as an attacker who knows the formula would.
  const rows = await database.owner.select().from(auditLog).where(gte(auditLog.seq, 3)).orderBy(asc(auditLog.seq));
  let prev = (await database.owner.select({ hash: auditLog.hash }).from(auditLog).where(sql`seq = 2`))[0]?.hash as string;
  for (const row of rows) {
    const changed = row.seq === 3 ? { ...row, reason: 'quietly rewritten' } : row;
    const content = contentHash(changed);
    const hash = chainHash(row.seq, prev, content);
    await database.owner.execute(
      sql`update audit_log set reason = ${changed.reason}, content_hash = ${content}, prev_hash = ${prev}, hash = ${hash} where seq = ${row.seq}`,
    );
    prev = hash;
  }
  const report = await verify();
  t.match(report, { ok: false, firstBrokenSeq: c.seq, problem: new RegExp(`checkpoint ${c.id}.*rewritten`) });
  const run = await cli();
  t.equal(run.code, 1);
  t.match(run.out, /rewritten/);
});

t.test(
  'a destruction forged to cover an altered entry is found: a destroy entry is about a destroyable record, and lists its entries only',
  async (t) => {
    const { database, checkpoint, verify, cli } = await registry(t);
    await checkpoint();
    await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
    // Under the checkpoint: the establishment's create entry, its author changed and its payload blanked (so
    // its content hash can no longer be recomputed, and its link in the chain still holds).
    const [target] = await database.owner.select().from(auditLog).where(sql`object_type = 'establishment' and action = 'create'`);
    if (!target) throw new Error('no establishment entry');
    await database.owner.execute(
      sql`update audit_log set "before" = null, "after" = null, reason = null, client_role = 'admin' where seq = ${target.seq}`,
    );
    const altered = { ...target, clientRole: 'admin' };
    /** Appends a destroy entry listing the altered one, with the kept-fields hash of what it now holds and every hash recomputed. */
    const forgeDestruction = async (objectType: string, objectId: string) => {
      const [head] = await database.owner.select().from(auditLog).orderBy(desc(auditLog.seq)).limit(1);
      if (!head) throw new Error('no head');
      const row = forgedDestruction(head, altered, objectType, objectId);
      await database.owner.insert(auditLog).values(row);
      return row.seq;
    };

    const aboutClient = await forgeDestruction('api_client', randomUUID());
    t.match(await verify(), { ok: false, problem: /a destroy entry about a api_client, which is never destroyed/ });
    t.equal((await cli()).code, 1);
    await database.owner.execute(sql`delete from audit_log where seq = ${aboutClient}`);

    await forgeDestruction('establishment', randomUUID());
    t.match(await verify(), { ok: false, problem: new RegExp(`lists entry ${target.seq}, which is about another record`) });
    t.equal((await cli()).code, 1);
  },
);

t.test('a trail cut after a checkpoint is found, citing the checkpoint', async (t) => {
  const { database, checkpoint, verify } = await registry(t);
  const c = await checkpoint();
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, `delete from audit_log where seq >= ${c.seq - 1}`);
  t.match(await verify(), { ok: false, firstBrokenSeq: c.seq, problem: new RegExp(`checkpoint ${c.id}.*cut off`) });
});

t.test('a checkpoint signed by another key is refused', async (t) => {
  const { database, checkpoint, verify } = await registry(t);
  await checkpoint();
  const forged = signCheckpoint(newKey(), { seq: 1, headHash: 'f'.repeat(64) });
  await database.owner.execute(
    sql`insert into audit_checkpoints (id, seq, head_hash, signed_at, key_id, signature)
        values (${forged.id}, ${forged.seq}, ${forged.headHash}, ${forged.signedAt}, ${forged.keyId}, ${forged.signature})`,
  );
  t.match(await verify(), { ok: false, problem: /not signed by this service's audit key/ });
  await t.rejects(asSuperuser(database, 'delete from audit_checkpoints'), /append-only/, 'checkpoints are append-only');
});

t.test('a checkpoint whose time was made no time is reported broken (exit 1), not "could not run"', async (t) => {
  const { database, checkpoint, verify, cli } = await registry(t);
  const c = await checkpoint();
  await asSuperuser(database, 'alter table audit_checkpoints disable trigger user');
  await asSuperuser(database, `update audit_checkpoints set signed_at = 'infinity' where id = '${c.id}'`);
  t.match(await verify(), { ok: false, firstBrokenSeq: c.seq, problem: /not signed by this service's audit key/ });
  const run = await cli();
  t.equal(run.code, 1, run.out);
});

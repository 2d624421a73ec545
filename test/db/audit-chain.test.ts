import { asc, eq } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { auditLog, auditPending } from '../../src/db/schema.js';
import { chainHash, contentHash, entryHashV1, GENESIS_HASH } from '../../src/services/audit.js';
import { asSuperuser } from '../support/audit.js';
import { build, json, sample } from '../support/helper.js';

/** A registry with a few changes, for the tampering tests. */
async function withHistory(t: Test) {
  const ctx = await build(t);
  const officer = await ctx.client('officer', 'GM0363');
  const admin = await ctx.client('admin');
  const est = json(
    await ctx.app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  for (const decisionDate of ['2019-01-10', '2019-02-10', '2019-03-10']) {
    const res = await ctx.app.inject({
      method: 'POST',
      url: '/v1/enforcement-actions',
      headers: officer.auth,
      payload: sample.action(est.id as string, { decisionDate }),
    });
    t.equal(res.statusCode, 201, res.body);
  }
  const verify = async () => {
    const res = await ctx.app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth });
    t.equal(res.statusCode, 200, res.body);
    return json<{
      ok: boolean;
      entriesChecked: number;
      firstBrokenSeq: number | null;
      problem: string | null;
      lastSeq: number;
      recordsWithoutTrail: number;
    }>(res);
  };
  const cli = async () => {
    const out: string[] = [];
    const code = await runAuditVerify(ctx.database, (l) => out.push(l));
    return { code, out: out.join('') };
  };
  return { ...ctx, verify, cli };
}

t.test('the database refuses to change or remove audit entries', async (t) => {
  const { database, verify } = await withHistory(t);
  await t.rejects(asSuperuser(database, "update audit_log set reason = 'x' where seq = 1"), /append-only/);
  await t.rejects(asSuperuser(database, 'delete from audit_log where seq = 1'), /append-only/);
  await t.rejects(asSuperuser(database, 'truncate audit_log'), /append-only/);
  t.match(await verify(), { ok: true, entriesChecked: 6, firstBrokenSeq: null, lastSeq: 6, recordsWithoutTrail: 0 });
});

t.test('an entry edited in the database is found by the endpoint and the CLI', async (t) => {
  const { database, verify, cli } = await withHistory(t);
  t.equal((await cli()).code, 0);
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, `update audit_log set after = jsonb_set(after, '{fine,amountCents}', '1') where seq = 4`);
  const report = await verify();
  t.match(report, { ok: false, firstBrokenSeq: 4, entriesChecked: 3, problem: /content does not match/ });
  const run = await cli();
  t.equal(run.code, 1);
  t.match(run.out, /BROKEN at seq 4/);
});

t.test('an entry whose hash was replaced as well is still found', async (t) => {
  const { database, verify } = await withHistory(t);
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, "update audit_log set reason = 'quietly', hash = repeat('a', 64) where seq = 3");
  t.match(await verify(), { ok: false, firstBrokenSeq: 3 });
});

t.test('an entry deleted from the middle or the end of the trail is found', async (t) => {
  const { database, verify, cli } = await withHistory(t);
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, 'delete from audit_log where seq = 6');
  const tail = await verify();
  t.match(tail, { ok: false, entriesChecked: 5, firstBrokenSeq: null, lastSeq: 5, recordsWithoutTrail: 1 }, 'a cut-off tail');
  t.equal((await cli()).code, 1);
  await asSuperuser(database, 'delete from audit_log where seq = 2');
  t.match(await verify(), { ok: false, firstBrokenSeq: 2, problem: /entry 2 is missing/ });
});

t.test('a head noted earlier catches a cut-off tail that leaves no other trace', async (t) => {
  const { app, client, database, cli } = await withHistory(t);
  const admin = await client('admin');
  const noted = json<{ lastSeq: number; headHash: string; ok: boolean }>(
    await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth }),
  );
  t.equal(noted.ok, true);
  const anchored = `/v1/audit-trail/verification?anchorSeq=${noted.lastSeq}&anchorHash=${noted.headHash}`;
  t.match(json(await app.inject({ url: anchored, headers: admin.auth })), { ok: true });

  // The last entry is an API client's creation: no establishment or action row points to it.
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, `delete from audit_log where seq = ${noted.lastSeq}`);
  t.match(
    json(await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth })),
    { ok: true, recordsWithoutTrail: 0 },
    'without the anchor the shorter chain looks fine',
  );
  t.match(json(await app.inject({ url: anchored, headers: admin.auth })), {
    ok: false,
    firstBrokenSeq: noted.lastSeq,
    problem: /cut off/,
  });
  const out: string[] = [];
  t.equal(await runAuditVerify(database, (l) => out.push(l), { seq: noted.lastSeq, hash: noted.headHash }), 1);
  t.equal((await cli()).code, 0, 'the CLI without an anchor cannot know either');

  const rewritten = await app.inject({
    url: `/v1/audit-trail/verification?anchorSeq=2&anchorHash=${'b'.repeat(64)}`,
    headers: admin.auth,
  });
  t.match(json(rewritten), { ok: false, firstBrokenSeq: 2, problem: /rewritten/ });
  const half = await app.inject({ url: '/v1/audit-trail/verification?anchorSeq=2', headers: admin.auth });
  t.equal(half.statusCode, 400);
  t.match(json(half), { invalidParams: [{ name: 'anchorHash' }] });
  const badHash = await app.inject({ url: '/v1/audit-trail/verification?anchorSeq=0&anchorHash=xyz', headers: admin.auth });
  t.equal(badHash.statusCode, 400);
  t.equal(json<{ invalidParams: unknown[] }>(badHash).invalidParams.length, 2);
});

/** Rewrites the chain as if entries `formatOne` had been written before migration 0008, re-linking every later entry. */
async function rechain(database: Parameters<typeof asSuperuser>[0], formatOne: (seq: number) => boolean) {
  const rows = await database.db.select().from(auditLog).orderBy(asc(auditLog.seq));
  let prevHash = GENESIS_HASH;
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  for (const row of rows) {
    const v1 = formatOne(row.seq);
    const hash = v1 ? entryHashV1({ ...row, prevHash }) : chainHash(row.seq, prevHash, contentHash(row));
    await database.db
      .update(auditLog)
      .set({ prevHash, hash, contentHash: v1 ? null : contentHash(row) })
      .where(eq(auditLog.seq, row.seq));
    prevHash = hash;
  }
}

t.test('the database chains each entry with the formula the verifier checks', async (t) => {
  const { database, verify } = await withHistory(t);
  const rows = await database.db.select().from(auditLog).orderBy(asc(auditLog.seq));
  t.ok(rows.length >= 6);
  let prevHash = GENESIS_HASH;
  for (const row of rows) {
    t.equal(row.prevHash, prevHash, `entry ${row.seq} links to its predecessor`);
    t.equal(row.contentHash, contentHash(row), `entry ${row.seq}: the service's content hash`);
    t.equal(row.hash, chainHash(row.seq, prevHash, row.contentHash as string), `entry ${row.seq}: hash of seq:prevHash:contentHash`);
    prevHash = row.hash;
  }
  t.equal((await database.db.select().from(auditPending)).length, 0, 'nothing is left pending after commit');
  t.match(await verify(), { ok: true });
});

t.test('entries of the first chain format still verify, but only before the second format', async (t) => {
  const { database, verify } = await withHistory(t);
  await rechain(database, (seq) => seq <= 3);
  t.match(await verify(), { ok: true, firstBrokenSeq: null }, 'format 1 for entries 1–3, format 2 after');
  await rechain(database, (seq) => seq <= 3 || seq === 5);
  t.match(await verify(), { ok: false, firstBrokenSeq: 5, problem: /format-1 entry follows a format-2 entry/ }, 'a downgrade is found');
});

t.test('a format-1 entry whose content was edited is found', async (t) => {
  const { database, verify } = await withHistory(t);
  await rechain(database, () => true);
  t.match(await verify(), { ok: true });
  await asSuperuser(database, "update audit_log set reason = 'quietly' where seq = 2");
  t.match(await verify(), { ok: false, firstBrokenSeq: 2, problem: /content does not match its hash/ });
});

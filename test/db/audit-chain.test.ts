import t from 'tap';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { asSuperuser, withHistory } from '../support/audit.js';
import { json } from '../support/helper.js';

// Tampering with the audit trail in the database, and how the endpoint and the CLI find it.
// The chain's formula and its two formats are in audit-chain-format.test.ts.

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

  // The last entry is an API client's creation: since issue 11 its live row without an entry is found
  // even without the anchor (it used to verify as ok: a rogue admin's token kept working unnoticed).
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, `delete from audit_log where seq = ${noted.lastSeq}`);
  t.match(
    json(await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth })),
    { ok: false, recordsWithoutTrail: 1 },
    'without the anchor the API client without its creation entry is found',
  );
  t.match(json(await app.inject({ url: anchored, headers: admin.auth })), {
    ok: false,
    firstBrokenSeq: noted.lastSeq,
    problem: /cut off/,
  });
  const out: string[] = [];
  t.equal(await runAuditVerify(database, (l) => out.push(l), { seq: noted.lastSeq, hash: noted.headHash }), 1);
  t.equal((await cli()).code, 1, 'and by the CLI without an anchor');

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

t.test('an entry whose version was made no number is reported broken (exit 1), not "could not run"', async (t) => {
  const { app, client, database, cli } = await withHistory(t);
  const admin = await client('admin');
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, `update audit_log set after = jsonb_set(after, '{version}', '"one"') where seq = 4`);
  const res = await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth });
  t.equal(res.statusCode, 200, res.body);
  t.match(json(res), { ok: false, firstBrokenSeq: 4, problem: /content does not match/ });
  const run = await cli();
  t.equal(run.code, 1, run.out);
  t.match(run.out, /BROKEN at seq 4/);
});

t.test('an entry put in below seq 1 is found, not skipped by the walk', async (t) => {
  const { database, verify, cli } = await withHistory(t);
  // A forged deletion of an action at seq 0, inserted by someone with the database's superuser: the
  // walk started above seq 0 and called the trail intact.
  await asSuperuser(
    database,
    `insert into audit_log (seq, id, occurred_at, client_id, client_role, action, object_type, object_id, municipality_code,
       "before", "after", reason, request_id, prev_hash, hash, content_hash)
     select 0, gen_random_uuid(), occurred_at, client_id, client_role, 'delete', object_type, object_id, municipality_code,
       "after", null, 'forged', null, repeat('0', 64), repeat('0', 64), repeat('0', 64)
     from audit_log where object_type = 'enforcement_action' order by seq limit 1`,
  );
  t.match(await verify(), { ok: false, firstBrokenSeq: 0, problem: /outside the chain/ });
  const run = await cli();
  t.equal(run.code, 1, run.out);
});

t.test('an entry whose time was made no time is reported broken (exit 1), not "could not run"', async (t) => {
  const { database, verify, cli } = await withHistory(t);
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, "update audit_log set occurred_at = 'infinity' where seq = 4");
  t.match(await verify(), { ok: false, firstBrokenSeq: 4, entriesChecked: 3 });
  const run = await cli();
  t.equal(run.code, 1, run.out);
  t.match(run.out, /BROKEN at seq 4/);
});

import t, { type Test } from 'tap';
import { runAuditVerify } from '../src/cli/audit-verify.js';
import { build, json, sample } from './helper.js';
import { asSuperuser } from './helpers/audit.js';

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

t.test('concurrent writers leave one contiguous, valid chain', async (t) => {
  const { app, client, database } = await build(t);
  const admin = await client('admin');
  const officers = await Promise.all(['GM0363', 'GM0599', 'GM0518'].map((m) => client('officer', m)));
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) => {
      const o = officers[i % 3] as (typeof officers)[number];
      const code = ['GM0363', 'GM0599', 'GM0518'][i % 3] as string;
      return app.inject({
        method: 'POST',
        url: '/v1/establishments',
        headers: o.auth,
        payload: sample.establishment(code, { name: `Parallel ${i}` }),
      });
    }),
  );
  t.same(
    results.map((r) => r.statusCode),
    Array(30).fill(201),
  );
  const seqs = await asSuperuser<{ seq: string | number }>(database, 'select seq from audit_log order by seq');
  t.same(
    seqs.map((r) => Number(r.seq)),
    Array.from({ length: seqs.length }, (_, i) => i + 1),
    'no gaps, no duplicates',
  );
  const report = json(await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth }));
  t.match(report, { ok: true, entriesChecked: seqs.length, firstBrokenSeq: null });
  t.equal(seqs.length, 4 + 30, 'four clients and thirty establishments');
});

t.test('a change whose audit entry cannot be written does not happen', async (t) => {
  const { app, client, database } = await build(t);
  const officer = await client('officer', 'GM0363');
  await asSuperuser(
    database,
    "alter table audit_log add constraint test_refuses_entry check (reason is null or reason <> 'audit must fail')",
  );
  const res = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: { ...officer.auth, 'x-audit-reason': 'audit must fail' },
    payload: sample.establishment('GM0363', { name: 'Never Stored' }),
  });
  t.equal(res.statusCode, 500);
  t.match(res.headers['content-type'], /application\/problem\+json/);
  const rows = await asSuperuser(database, "select id from establishments where name = 'Never Stored'");
  t.equal(rows.length, 0, 'the establishment was rolled back with its entry');
  const ok = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: { ...officer.auth, 'x-audit-reason': 'fine' },
    payload: sample.establishment('GM0363', { name: 'Stored' }),
  });
  t.equal(ok.statusCode, 201);
});

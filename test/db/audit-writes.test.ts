import t from 'tap';
import { asSuperuser } from '../support/audit.js';
import { build, json, sample } from '../support/helper.js';

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

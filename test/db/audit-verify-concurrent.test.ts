import t from 'tap';
import { build, json, sample } from '../support/helper.js';

// A report's lastSeq and headHash are noted outside the registry and passed back later as an anchor
// (docs/audit-trail.md). While others write, the walk and the look-up of the head used to see
// different heads (on PostgreSQL): lastSeq named a newer entry than headHash, and that anchor then
// reported a rewrite that never happened.
t.test('the lastSeq and headHash of a report taken while records are written verify as an anchor', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const est = json(await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }));
  let writing = true;
  const writer = async () => {
    while (writing) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/enforcement-actions',
        headers: officer.auth,
        payload: sample.action(est.id as string, { decisionDate: '2019-01-10' }),
      });
      t.equal(res.statusCode, 201);
    }
  };
  const writers = [writer(), writer()];
  const reports: { ok: boolean; lastSeq: number; headHash: string }[] = [];
  for (let i = 0; i < 40; i++) {
    reports.push(json(await app.inject({ url: '/v1/audit-trail/verification', headers: admin.auth })));
    // Let the writers in between: PGlite's one connection would otherwise serve this loop alone.
    await new Promise((r) => setTimeout(r, 5));
  }
  writing = false;
  await Promise.all(writers);
  t.ok(new Set(reports.map((r) => r.lastSeq)).size > 1, 'the reports saw different heads: records were written between them');
  const refused: string[] = [];
  for (const r of reports) {
    t.equal(r.ok, true);
    const url = `/v1/audit-trail/verification?anchorSeq=${r.lastSeq}&anchorHash=${r.headHash}`;
    const again = json<{ ok: boolean; problem: string | null }>(await app.inject({ url, headers: admin.auth }));
    if (!again.ok) refused.push(`${r.lastSeq}: ${again.problem}`);
  }
  t.same(refused, [], 'every noted head still verifies');
});

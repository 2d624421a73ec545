import t from 'tap';
import { verifyAuditChain } from '../../src/infrastructure/audit/chain.js';
import { auditLog } from '../../src/infrastructure/db/schema.js';
import { build, sample } from '../support/helper.js';

// appendAudit writes to audit_pending and the chain is extended at commit by a deferred trigger; concurrent
// writers must still produce one unbroken chain, each entry once.
t.test('concurrent writes append one unbroken audit chain', async (t) => {
  const { app, database, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const est = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() });
  t.equal(est.statusCode, 201);
  const before = (await database.owner.select({ seq: auditLog.seq }).from(auditLog)).length;
  const N = 12;
  const results = await Promise.all(
    Array.from({ length: N }, () =>
      app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(est.json().id) }),
    ),
  );
  t.same(
    results.map((r) => r.statusCode),
    Array(N).fill(201),
  );
  const report = await verifyAuditChain(database.owner);
  t.equal(report.ok, true, report.problem ?? 'chain holds');
  t.equal(report.entriesChecked, before + N, 'one entry per create, none lost or doubled');
});

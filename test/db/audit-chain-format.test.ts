import { asc } from 'drizzle-orm';
import t from 'tap';
import { chainHash, contentHash, GENESIS_HASH } from '../../src/infrastructure/audit/chain.js';
import { auditLog, auditPending } from '../../src/infrastructure/db/schema.js';
import { asSuperuser, rechain, withHistory } from '../support/audit.js';

// The audit chain's formula, and entries of the first chain format (before migration 0008).
// Tampering and how it is found are in audit-chain.test.ts.

t.test('the database chains each entry with the formula the verifier checks', async (t) => {
  const { database, verify } = await withHistory(t);
  const rows = await database.owner.select().from(auditLog).orderBy(asc(auditLog.seq));
  t.ok(rows.length >= 6);
  let prevHash = GENESIS_HASH;
  for (const row of rows) {
    t.equal(row.prevHash, prevHash, `entry ${row.seq} links to its predecessor`);
    t.equal(row.contentHash, contentHash(row), `entry ${row.seq}: the service's content hash`);
    t.equal(row.hash, chainHash(row.seq, prevHash, row.contentHash as string), `entry ${row.seq}: hash of seq:prevHash:contentHash`);
    prevHash = row.hash;
  }
  t.equal((await database.owner.select().from(auditPending)).length, 0, 'nothing is left pending after commit');
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
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  await asSuperuser(database, "update audit_log set reason = 'quietly' where seq = 2");
  t.match(await verify(), { ok: false, firstBrokenSeq: 2, problem: /content does not match its hash/ });
});

import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { asc, eq, sql } from 'drizzle-orm';
import type { Test } from 'tap';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { chainHash, contentHash, entryHashV1, GENESIS_HASH, keptFieldsHash } from '../../src/infrastructure/audit/chain.js';
import type { Database, Db } from '../../src/infrastructure/db/client.js';
import { auditLog } from '../../src/infrastructure/db/schema.js';

type AuditRow = typeof auditLog.$inferSelect;

import { build, json, sample } from './helper.js';

/**
 * Runs SQL as the test's connection user, a superuser (postgres) on both databases: the way an
 * attacker with database access would tamper, bypassing the service.
 */
export async function asSuperuser<T = Record<string, unknown>>(database: Database & { owner?: Db }, query: string): Promise<T[]> {
  const result = await (database.owner ?? database.db).execute(sql.raw(query)).catch((err: Error & { cause?: unknown }) => {
    throw err.cause instanceof Error ? err.cause : err; // the database's own message, not drizzle's wrapper
  });
  return ((result as unknown as { rows: T[] }).rows ?? []) as T[];
}

/**
 * Rewrites the chain as if the entries `formatOne` picks had been written before migration 0008 (no
 * content hash; the hash covers the content), re-linking every later entry. The append-only trigger
 * is on again afterwards.
 */
export async function rechain(database: Database & { owner: Db }, formatOne: (seq: number) => boolean) {
  const rows = await database.owner.select().from(auditLog).orderBy(asc(auditLog.seq));
  let prevHash = GENESIS_HASH;
  await asSuperuser(database, 'alter table audit_log disable trigger audit_log_append_only');
  for (const row of rows) {
    const v1 = formatOne(row.seq);
    const hash = v1 ? entryHashV1({ ...row, prevHash }) : chainHash(row.seq, prevHash, contentHash(row));
    await database.owner
      .update(auditLog)
      .set({ prevHash, hash, contentHash: v1 ? null : contentHash(row) })
      .where(eq(auditLog.seq, row.seq));
    prevHash = hash;
  }
  await asSuperuser(database, 'alter table audit_log enable trigger audit_log_append_only');
}

/** A pino destination that keeps every line, for asserting on the service log. */
export function captureLog() {
  const lines: string[] = [];
  let partial = '';
  const stream = new Writable({
    write(chunk, _enc, done) {
      partial += chunk.toString();
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      lines.push(...parts.filter((l) => l !== ''));
      done();
    },
  });
  return { stream, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** A registry with a few changes, for the tampering tests. */
export async function withHistory(t: Test) {
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

/**
 * A `destroy` entry forged after `head` by someone who knows the formulas: it lists `covered` (blanked,
 * as it now is) with the kept-fields hash of what it holds, about `objectType` / `objectId`, with its
 * content hash and chain hash recomputed. Returns the row to insert.
 */
export function forgedDestruction(head: AuditRow, covered: AuditRow, objectType: string, objectId: string) {
  const kept = keptFieldsHash({ ...covered, before: null, after: null, reason: null });
  const row = {
    ...head,
    seq: head.seq + 1,
    id: randomUUID(),
    action: 'destroy',
    objectType,
    objectId,
    before: null,
    reason: null,
    after: { auditEntries: [covered.seq], keptFieldsHashes: { [covered.seq]: kept } },
    prevHash: head.hash,
  };
  const content = contentHash(row);
  return { ...row, contentHash: content, hash: chainHash(row.seq, head.hash, content) };
}

/**
 * A `redact` entry forged after `head`: it claims `fields` of `covered` were redacted, with the content
 * hash `covered` gives as it now is, about its record, hashes recomputed. Returns the row to insert.
 */
export function forgedRedaction(head: AuditRow, covered: AuditRow, fields: string[]) {
  const row = {
    ...head,
    seq: head.seq + 1,
    id: randomUUID(),
    action: 'redact',
    objectType: covered.objectType,
    objectId: covered.objectId,
    before: null,
    reason: 'forged',
    after: { redactedEntries: [{ seq: covered.seq, fields, contentHash: contentHash(covered) }] },
    prevHash: head.hash,
  };
  const content = contentHash(row);
  return { ...row, contentHash: content, hash: chainHash(row.seq, head.hash, content) };
}

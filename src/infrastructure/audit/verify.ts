import { eq, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import { type ChainReport, verifyAuditChain } from './chain.js';

export interface AuditVerification extends ChainReport {
  lastSeq: number | null;
  headHash: string | null;
  recordsWithoutTrail: number;
  verifiedAt: string;
}

/** An entry noted from an earlier verification (lastSeq and headHash): it must still be there, unchanged. */
export interface AuditAnchor {
  seq: number;
  hash: string;
}

/**
 * Establishments, licences and actions whose current state has no audit entry: the latest
 * version must appear in some entry's `after` (for a tombstone: a delete entry). A trail whose
 * tail was cut off, or a record changed behind the service's back, shows up here. Run it in a
 * transaction whose tenant scope is all municipalities, or it sees no records (row-level security).
 */
async function countRecordsWithoutTrail(q: Queryable): Promise<number> {
  const result = await q.execute(sql`
    select
      (select count(*)::int from establishments e where not exists (
         select 1 from audit_log l where l.object_type = 'establishment' and l.object_id = e.id::text
           and (case when e.deleted_at is null then (l.after ->> 'version')::int = e.version else l.action = 'delete' end)))
    + (select count(*)::int from licences c where not exists (
         select 1 from audit_log l where l.object_type = 'licence' and l.object_id = c.id::text
           and (l.after ->> 'version')::int = c.version))
    + (select count(*)::int from enforcement_actions a where not exists (
         select 1 from audit_log l where l.object_type = 'enforcement_action' and l.object_id = a.id::text
           and (case when a.deleted_at is null then (l.after ->> 'version')::int = a.version else l.action = 'delete' end)))
    as n`);
  const rows = (Array.isArray(result) ? result : (result as { rows: { n: number }[] }).rows) as { n: number }[];
  return Number(rows[0]?.n ?? 0);
}

/** The chain walk plus the tail checks; used by the admin endpoint and `npm run audit:verify`. */
export async function verifyDatabase(q: Queryable, anchor?: AuditAnchor): Promise<AuditVerification> {
  const chain = await verifyAuditChain(q);
  const [last] = await q.select({ seq: auditLog.seq }).from(auditLog).orderBy(sql`${auditLog.seq} desc`).limit(1);
  const [head] = chain.entriesChecked
    ? await q.select({ hash: auditLog.hash }).from(auditLog).where(eq(auditLog.seq, chain.entriesChecked))
    : [];
  const recordsWithoutTrail = await countRecordsWithoutTrail(q);
  const report: AuditVerification = {
    ...chain,
    lastSeq: last?.seq ?? null,
    headHash: head?.hash ?? null,
    recordsWithoutTrail,
    verifiedAt: new Date().toISOString(),
  };
  if (report.ok && anchor) {
    const [noted] = await q.select({ hash: auditLog.hash }).from(auditLog).where(eq(auditLog.seq, anchor.seq));
    if (!noted || noted.hash !== anchor.hash) {
      report.ok = false;
      report.firstBrokenSeq = anchor.seq;
      report.problem = noted
        ? `entry ${anchor.seq} no longer has the hash noted earlier: the trail was rewritten from there on`
        : `entry ${anchor.seq}, noted earlier, is gone: the end of the trail was cut off`;
      return report;
    }
  }
  if (report.ok && recordsWithoutTrail > 0) {
    report.ok = false;
    report.problem = `${recordsWithoutTrail} record(s) have no audit entry for their current version: the end of the trail may have been cut off, or records were changed outside the service`;
  }
  return report;
}

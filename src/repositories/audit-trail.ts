import { and, asc, count, eq, gte, lte, or, type SQL, sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { Database, Queryable } from '../db/client.js';
import { auditLog, enforcementActions, establishments } from '../db/schema.js';
import { notFound } from '../lib/problem.js';
import type { AuditEntry } from '../schemas/audit-trail.js';
import type { AuditAction, AuditObjectType } from '../services/audit.js';
import { type ChainReport, verifyAuditChain } from '../services/audit.js';
import { inTransaction, type Role, type Scope } from '../services/context.js';
import type { PageRequest } from './shared.js';

type Row = typeof auditLog.$inferSelect;
export type AuditEntryView = z.infer<typeof AuditEntry>;

export interface AuditTrailFilters {
  clientId?: string | undefined;
  objectType?: AuditObjectType | undefined;
  objectId?: string | undefined;
  action?: AuditAction | undefined;
  municipalityCode?: string | undefined;
  occurredFrom?: string | undefined;
  occurredUntil?: string | undefined;
}

type Snapshot = Record<string, unknown> | null;

/** Top-level fields whose values differ between two snapshots (compared as canonical JSON). */
export function changedFields(before: Snapshot, after: Snapshot): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => JSON.stringify(before?.[k] ?? null) !== JSON.stringify(after?.[k] ?? null)).sort();
}

export function toAuditEntry(r: Row): AuditEntryView {
  const before = (r.before ?? null) as Snapshot;
  const after = (r.after ?? null) as Snapshot;
  return {
    seq: r.seq,
    id: r.id,
    occurredAt: r.occurredAt.toISOString(),
    clientId: r.clientId,
    clientRole: r.clientRole as AuditEntryView['clientRole'],
    action: r.action as AuditEntryView['action'],
    objectType: r.objectType as AuditEntryView['objectType'],
    objectId: r.objectId,
    municipalityCode: r.municipalityCode,
    before,
    after,
    changedFields: changedFields(before, after),
    reason: r.reason,
    requestId: r.requestId,
    hash: r.hash,
    contentHash: r.contentHash,
    prevHash: r.prevHash,
  };
}

/** The establishment a licence entry belongs to, from its snapshots (licences are deleted outright). */
const licenceEstablishmentId = sql`coalesce(${auditLog.after} ->> 'establishmentId', ${auditLog.before} ->> 'establishmentId')`;

export interface AuditVerification extends ChainReport {
  lastSeq: number | null;
  headHash: string | null;
  recordsWithoutTrail: number;
  verifiedAt: string;
}

/**
 * Establishments, licences and actions whose current state has no audit entry: the latest
 * version must appear in some entry's `after` (for a tombstone: a delete entry). A trail whose
 * tail was cut off, or a record changed behind the service's back, shows up here.
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

/**
 * Reading the audit trail (audittrail). Per-object trails follow the object's own access rules
 * and stay readable after the object was deleted (its tombstone still names its municipality).
 */
export function createAuditTrailRepository(database: Database) {
  const { db } = database;

  async function page(q: Queryable, where: SQL | undefined, p: PageRequest) {
    const [rows, totals] = await Promise.all([
      q
        .select()
        .from(auditLog)
        .where(where)
        .orderBy(asc(auditLog.seq))
        .limit(p.pageSize)
        .offset((p.page - 1) * p.pageSize),
      q.select({ n: count() }).from(auditLog).where(where),
    ]);
    return { items: rows.map(toAuditEntry), totalItems: totals[0]?.n ?? 0 };
  }

  /** The trail of one enforcement action, live or deleted; 404 outside the caller's municipality. */
  async function forEnforcementAction(scope: Scope & { role: Role }, id: string, p: PageRequest) {
    return inTransaction(db, scope, async (tx) => {
      const [found] = await tx
        .select({ id: enforcementActions.id })
        .from(enforcementActions)
        .where(
          and(
            eq(enforcementActions.id, id),
            scope.municipalityCode ? eq(enforcementActions.municipalityCode, scope.municipalityCode) : undefined,
          ),
        );
      if (!found) throw notFound(`Enforcement action ${id}`);
      return page(tx, and(eq(auditLog.objectType, 'enforcement_action'), eq(auditLog.objectId, id)), p);
    });
  }

  /** The trail of one establishment and of its licences, live or deleted; 404 outside the caller's municipality. */
  async function forEstablishment(scope: Scope & { role: Role }, id: string, p: PageRequest) {
    return inTransaction(db, scope, async (tx) => {
      const [found] = await tx
        .select({ id: establishments.id })
        .from(establishments)
        .where(
          and(eq(establishments.id, id), scope.municipalityCode ? eq(establishments.municipalityCode, scope.municipalityCode) : undefined),
        );
      if (!found) throw notFound(`Establishment ${id}`);
      const where = or(
        and(eq(auditLog.objectType, 'establishment'), eq(auditLog.objectId, id)),
        and(eq(auditLog.objectType, 'licence'), sql`${licenceEstablishmentId} = ${id}`),
      );
      return page(tx, where, p);
    });
  }

  /** The whole trail, filtered (admins). */
  async function list(f: AuditTrailFilters, p: PageRequest) {
    const where = and(
      f.clientId ? eq(auditLog.clientId, f.clientId) : undefined,
      f.objectType ? eq(auditLog.objectType, f.objectType) : undefined,
      f.objectId ? eq(auditLog.objectId, f.objectId) : undefined,
      f.action ? eq(auditLog.action, f.action) : undefined,
      f.municipalityCode ? eq(auditLog.municipalityCode, f.municipalityCode) : undefined,
      f.occurredFrom ? gte(auditLog.occurredAt, new Date(f.occurredFrom)) : undefined,
      f.occurredUntil ? lte(auditLog.occurredAt, new Date(f.occurredUntil)) : undefined,
    );
    return page(database.readDb, where, p);
  }

  /** Walks the hash chain and cross-checks the records (and a noted head, if given) against it. */
  async function verify(anchor?: AuditAnchor): Promise<AuditVerification> {
    return verifyDatabase(db, anchor);
  }

  return { forEnforcementAction, forEstablishment, list, verify };
}

/** An entry noted from an earlier verification (lastSeq and headHash): it must still be there, unchanged. */
export interface AuditAnchor {
  seq: number;
  hash: string;
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

export type AuditTrailRepository = ReturnType<typeof createAuditTrailRepository>;

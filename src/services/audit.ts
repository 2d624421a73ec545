import { createHash, randomUUID } from 'node:crypto';
import canonicalize from 'canonicalize';
import { asc, gt, sql } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import type { Actor } from './context.js';

export type AuditObjectType = 'establishment' | 'licence' | 'enforcement_action' | 'municipality' | 'api_client';
export type AuditAction = 'create' | 'update' | 'delete' | 'rederive';

export interface AuditEvent {
  action: AuditAction;
  objectType: AuditObjectType;
  objectId: string;
  municipalityCode: string | null;
  before: unknown;
  after: unknown;
}

export const GENESIS_HASH = '0'.repeat(64);
/** Serialises appends so that concurrent writers cannot fork the chain. */
const AUDIT_CHAIN_LOCK = 7_240_001;

type AuditRow = typeof auditLog.$inferSelect;

/** The hash of an entry: SHA-256 over the RFC 8785 canonical JSON of its content and the previous hash. */
export function entryHash(e: Omit<AuditRow, 'hash'>): string {
  const content = {
    seq: e.seq,
    id: e.id,
    occurredAt: e.occurredAt.toISOString(),
    clientId: e.clientId,
    clientRole: e.clientRole,
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    municipalityCode: e.municipalityCode,
    before: e.before ?? null,
    after: e.after ?? null,
    reason: e.reason,
    requestId: e.requestId,
    prevHash: e.prevHash,
  };
  return createHash('sha256')
    .update(canonicalize(content) ?? '')
    .digest('hex');
}

/**
 * Appends entries to the trail inside the caller's transaction: if the change rolls back, so do
 * its entries, and a change whose entry cannot be written fails with it.
 */
export async function appendAudit(tx: Tx, actor: Actor, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  // One round trip: takes the chain's advisory lock, then reads the head with a snapshot taken
  // after the lock (migrations/0002_audit_chain_head.sql explains why a plain SELECT cannot).
  const head = await tx.execute<{ seq: string | number; hash: string }>(sql`select seq, hash from audit_chain_head(${AUDIT_CHAIN_LOCK})`);
  const last = (head as unknown as { rows?: { seq: string | number; hash: string }[] }).rows?.[0];
  let seq = last ? Number(last.seq) : 0;
  let prevHash = last?.hash ?? GENESIS_HASH;
  const occurredAt = new Date();
  const rows: AuditRow[] = events.map((e) => {
    seq += 1;
    const row = {
      seq,
      id: randomUUID(),
      occurredAt,
      clientId: actor.clientId,
      clientRole: actor.role,
      action: e.action,
      objectType: e.objectType,
      objectId: e.objectId,
      municipalityCode: e.municipalityCode,
      before: (e.before ?? null) as unknown,
      after: (e.after ?? null) as unknown,
      reason: actor.reason,
      requestId: actor.requestId,
      prevHash,
    };
    const hash = entryHash(row);
    prevHash = hash;
    return { ...row, hash };
  });
  await tx.insert(auditLog).values(rows);
}

export interface ChainReport {
  ok: boolean;
  entriesChecked: number;
  firstBrokenSeq: number | null;
  problem: string | null;
}

/** Walks the whole chain in order and reports the first entry that does not hold. */
export async function verifyAuditChain(db: Queryable, batchSize = 1000): Promise<ChainReport> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const batch = await db
      .select()
      .from(auditLog)
      .where(gt(auditLog.seq, expectedSeq - 1))
      .orderBy(asc(auditLog.seq))
      .limit(batchSize);
    if (batch.length === 0) break;
    for (const row of batch) {
      const broken = (problem: string): ChainReport => ({ ok: false, entriesChecked: checked, firstBrokenSeq: row.seq, problem });
      if (row.seq !== expectedSeq) {
        return { ok: false, entriesChecked: checked, firstBrokenSeq: expectedSeq, problem: `entry ${expectedSeq} is missing` };
      }
      if (row.prevHash !== prevHash) return broken('prevHash does not match the previous entry’s hash');
      if (entryHash(row) !== row.hash) return broken('content does not match its hash');
      prevHash = row.hash;
      expectedSeq += 1;
      checked += 1;
    }
  }
  return { ok: true, entriesChecked: checked, firstBrokenSeq: null, problem: null };
}

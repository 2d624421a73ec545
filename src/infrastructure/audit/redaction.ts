import { eq, sql } from 'drizzle-orm';
import type { Queryable, Tx } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import { arrayParam } from '../repositories/rows.js';
import { contentHash } from './chain.js';

export type AuditEntryRow = typeof auditLog.$inferSelect;

/**
 * One audit entry by its seq, or null. Not locked: the service's role may not (it has no UPDATE on
 * audit_log); registry_redact_entry() locks the entry as it changes it.
 */
export async function entryAt(q: Queryable, seq: number): Promise<AuditEntryRow | null> {
  const [row] = await q.select().from(auditLog).where(eq(auditLog.seq, seq));
  return row ?? null;
}

/**
 * Puts the fixed text of a redaction (REDACTED_TEXT) in place of each named text of one entry, through the
 * database's one controlled path (registry_redact_entry(), migration 0025), and answers the content
 * hash the entry has since: its `redact` entry records it for the verifier.
 */
export async function redactEntry(tx: Tx, seq: number, fields: readonly string[]): Promise<string> {
  await tx.execute(sql`select registry_redact_entry(${seq}::bigint, ${arrayParam(fields)})`);
  const row = await entryAt(tx, seq);
  if (!row) throw new Error(`audit entry ${seq} is gone`);
  return contentHash(row);
}

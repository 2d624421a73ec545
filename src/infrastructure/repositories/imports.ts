import { and, asc, eq, gte, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { importRows, imports } from '../db/schema-imports.js';
import { inScope, type TenantScope } from '../db/tenant.js';
import { insertRow, selectOne } from './rows.js';

export type ImportRow = typeof imports.$inferSelect;
export type ImportValues = typeof imports.$inferInsert;
export type ImportRecordRow = typeof importRows.$inferSelect;

export const insertImport = (q: Queryable, values: ImportValues) => insertRow(q, imports, values);

export async function insertImportRows(q: Queryable, rows: (typeof importRows.$inferInsert)[]): Promise<void> {
  if (rows.length > 0) await q.insert(importRows).values(rows);
}

export const findImport = (q: Queryable, scope: TenantScope, id: string, forUpdate = false) =>
  selectOne(q, imports, and(eq(imports.id, id), inScope(imports.municipalityCode, scope)), forUpdate);

export async function updateImport(q: Queryable, id: string, values: Partial<ImportValues>): Promise<ImportRow> {
  const [row] = await q
    .update(imports)
    .set({ ...values, updatedAt: new Date() })
    .where(eq(imports.id, id))
    .returning();
  return row as ImportRow;
}

/**
 * Deletes a job's stored file (its decoded records) once the job has ended: they are needed only to
 * run or resume it, and a copy kept would outlive the records' own retention and deletion.
 */
export async function deleteImportRows(q: Queryable, importId: string): Promise<void> {
  await q.delete(importRows).where(eq(importRows.importId, importId));
}

/** The file's records from `fromOrd` on, in file order. */
export function importRowsFrom(q: Queryable, importId: string, fromOrd: number, limit: number) {
  return q
    .select()
    .from(importRows)
    .where(and(eq(importRows.importId, importId), gte(importRows.ord, fromOrd)))
    .orderBy(asc(importRows.ord))
    .limit(limit);
}

/** Updates a job only while `owner` holds its lease; null when another instance took it over. */
export async function updateOwnedImport(q: Queryable, id: string, owner: string, values: Partial<ImportValues>): Promise<ImportRow | null> {
  const [row] = await q
    .update(imports)
    .set({ ...values, updatedAt: new Date() })
    .where(and(eq(imports.id, id), eq(imports.leaseOwner, owner)))
    .returning();
  return row ?? null;
}

/**
 * Renews the lease of a job this instance is validating, with the pass's progress; null when the job
 * is no longer this instance's, or no longer validating (a renewal that arrives late changes nothing).
 */
export async function renewValidation(
  q: Queryable,
  id: string,
  owner: string,
  leaseUntil: Date,
  rowsDone: number,
): Promise<ImportRow | null> {
  const [row] = await q
    .update(imports)
    .set({ leaseUntil, rowsDone, updatedAt: new Date() })
    .where(and(eq(imports.id, id), eq(imports.leaseOwner, owner), eq(imports.phase, 'validating')))
    .returning();
  return row ?? null;
}

/**
 * Claims the oldest job that waits (queued), or that runs under a lease that expired (its instance
 * stopped): running under this instance's lease from now on. One statement, SKIP LOCKED, so two
 * instances never claim the same job.
 */
export async function claimImport(q: Queryable, owner: string, leaseMs: number): Promise<ImportRow | null> {
  const result = await q.execute(sql`
    update imports set state = 'running', lease_owner = ${owner}, lease_until = now() + ${`${leaseMs} milliseconds`}::interval,
      updated_at = now()
    where id = (
      select id from imports
      where state = 'queued' or (state = 'running' and (lease_until is null or lease_until < now()))
      order by created_at limit 1 for update skip locked)
    returning id`);
  const id = (result as unknown as { rows: { id: string }[] }).rows[0]?.id;
  return id ? findImport(q, { kind: 'all' }, id) : null;
}

/** A graceful stop: this instance's claims end now, so another instance (or the next start) resumes at once. */
export async function releaseLeases(q: Queryable, owner: string): Promise<void> {
  await q.execute(sql`update imports set lease_until = now() - interval '1 second' where lease_owner = ${owner} and state = 'running'`);
}

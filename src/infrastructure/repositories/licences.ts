import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { licences } from '../db/schema.js';
import { inScope, type TenantScope } from '../db/tenant.js';
import { insertRow, type PageRequest, selectPage, updateRow } from './rows.js';

export type LicenceRow = typeof licences.$inferSelect;
export type LicenceValues = typeof licences.$inferInsert;

/** The establishment's licences in scope, oldest first. */
export function listLicences(q: Queryable, scope: TenantScope, establishmentId: string, page: PageRequest) {
  const where = and(eq(licences.establishmentId, establishmentId), inScope(licences.municipalityCode, scope));
  return selectPage(q, licences, where, [asc(licences.validFrom), asc(licences.id)], page);
}

/** One licence of the establishment, in scope, or null; `forUpdate` locks it. */
export async function findLicence(q: Queryable, scope: TenantScope, establishmentId: string, licenceId: string, forUpdate = false) {
  const query = q
    .select()
    .from(licences)
    .where(and(eq(licences.id, licenceId), eq(licences.establishmentId, establishmentId), inScope(licences.municipalityCode, scope)));
  const [row] = forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

/** Every licence of the establishment (its licence history), except `exceptId` when given. */
export function licencesOf(q: Queryable, establishmentId: string, exceptId?: string): Promise<LicenceRow[]> {
  return q
    .select()
    .from(licences)
    .where(and(eq(licences.establishmentId, establishmentId), exceptId ? ne(licences.id, exceptId) : undefined));
}

/** The licences of these establishments, in one query. */
export function licencesOfEstablishments(q: Queryable, establishmentIds: readonly string[]): Promise<LicenceRow[]> {
  if (establishmentIds.length === 0) return Promise.resolve([]);
  return q
    .select()
    .from(licences)
    .where(inArray(licences.establishmentId, [...establishmentIds]));
}

export const insertLicence = (q: Queryable, values: LicenceValues): Promise<LicenceRow> => insertRow(q, licences, values);

export const updateLicence = (q: Queryable, id: string, values: Partial<LicenceValues>): Promise<LicenceRow> =>
  updateRow(q, licences, licences.id, id, values);

/** Licences are deleted outright; their audit trail keeps them. */
export async function deleteLicence(q: Queryable, id: string): Promise<void> {
  await q.delete(licences).where(eq(licences.id, id));
}

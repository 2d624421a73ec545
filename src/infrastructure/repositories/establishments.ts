import { and, asc, eq, isNull, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { enforcementActions, establishments, licences } from '../db/schema.js';
import { inScope, type TenantScope } from '../db/tenant.js';
import { type PageRequest, selectPage } from './pages.js';

export type EstablishmentRow = typeof establishments.$inferSelect;
export type EstablishmentValues = typeof establishments.$inferInsert;

export interface EstablishmentFilters {
  municipalityCode?: string | undefined;
  kind?: string | undefined;
  name?: string | undefined;
  postalCode?: string | undefined;
}

const live = (scope: TenantScope, id?: string): SQL | undefined =>
  and(isNull(establishments.deletedAt), inScope(establishments.municipalityCode, scope), id ? eq(establishments.id, id) : undefined);

/** A live establishment in scope, or null; `forUpdate` locks it until the transaction ends. */
export async function findEstablishment(q: Queryable, scope: TenantScope, id: string, forUpdate = false) {
  const query = q.select().from(establishments).where(live(scope, id));
  const [row] = forUpdate ? await query.for('update') : await query;
  return row ?? null;
}

/** Any establishment in scope, live or a tombstone (its audit trail stays readable). */
export async function findEstablishmentEver(q: Queryable, scope: TenantScope, id: string) {
  const [row] = await q
    .select({ id: establishments.id })
    .from(establishments)
    .where(and(eq(establishments.id, id), inScope(establishments.municipalityCode, scope)));
  return row ?? null;
}

export function listEstablishments(q: Queryable, scope: TenantScope, f: EstablishmentFilters, page: PageRequest) {
  const t = establishments;
  const where = and(
    live(scope),
    f.municipalityCode ? eq(t.municipalityCode, f.municipalityCode) : undefined,
    f.kind ? eq(t.kind, f.kind) : undefined,
    f.postalCode ? eq(t.postalCode, f.postalCode) : undefined,
    f.name ? sql`${t.name} ilike ${`%${f.name.replace(/[\\%_]/g, '\\$&')}%`}` : undefined,
  );
  return selectPage(q, t, where, [asc(t.municipalityCode), asc(t.name), asc(t.id)], page);
}

export async function insertEstablishment(q: Queryable, values: EstablishmentValues): Promise<EstablishmentRow> {
  const [row] = await q.insert(establishments).values(values).returning();
  return row as EstablishmentRow;
}

export async function updateEstablishment(q: Queryable, id: string, values: Partial<EstablishmentValues>): Promise<EstablishmentRow> {
  const [row] = await q.update(establishments).set(values).where(eq(establishments.id, id)).returning();
  return row as EstablishmentRow;
}

/** How many live actions and licences still refer to the establishment. */
export async function countReferences(q: Queryable, id: string): Promise<{ actions: number; licences: number }> {
  const [refs] = await q
    .select({
      actions: sql<number>`(select count(*)::int from ${enforcementActions} where ${enforcementActions.establishmentId} = ${id} and ${enforcementActions.deletedAt} is null)`,
      licences: sql<number>`(select count(*)::int from ${licences} where ${licences.establishmentId} = ${id})`,
    })
    .from(sql`(select 1) as one`);
  return { actions: refs?.actions ?? 0, licences: refs?.licences ?? 0 };
}

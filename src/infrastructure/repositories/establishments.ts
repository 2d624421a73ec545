import { and, asc, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { enforcementActions, establishments, licences } from '../db/schema.js';
import type { TenantScope } from '../db/tenant.js';
import { equalsWhereSet, type Filters, insertRow, type PageRequest, selectPage, tenantRecords, updateRow } from './rows.js';

/** The filters that match the column of the same name exactly (`name`: a part of the name, in any case). */
const exactFilters = ['municipalityCode', 'kind', 'postalCode', 'externalReference'] as const;

export type EstablishmentFilters = Filters<(typeof exactFilters)[number] | 'name'>;

export type EstablishmentRow = typeof establishments.$inferSelect;
export type EstablishmentValues = typeof establishments.$inferInsert;

const records = tenantRecords(establishments);
const live = records.live;

/** A live establishment in scope, or null; `forUpdate` locks it until the transaction ends. */
export const findEstablishment = records.find;

/** The live establishments in scope with these ids, locked for update. */
export const findEstablishments = records.findMany;

/** Any establishment in scope, live or a tombstone (its audit trail stays readable). */
export const findEstablishmentEver = records.findEver;

export function listEstablishments(q: Queryable, scope: TenantScope, f: EstablishmentFilters, page: PageRequest) {
  const t = establishments;
  const where = and(
    live(scope),
    ...equalsWhereSet(t, f, exactFilters),
    f.name ? sql`${t.name} ilike ${`%${f.name.replace(/[\\%_]/g, '\\$&')}%`}` : undefined,
  );
  return selectPage(q, t, where, [asc(t.municipalityCode), asc(t.name), asc(t.id)], page);
}

export const insertEstablishment = (q: Queryable, values: EstablishmentValues): Promise<EstablishmentRow> =>
  insertRow(q, establishments, values);

export const updateEstablishment = (q: Queryable, id: string, values: Partial<EstablishmentValues>): Promise<EstablishmentRow> =>
  updateRow(q, establishments, establishments.id, id, values);

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

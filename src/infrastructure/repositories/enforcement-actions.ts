import { and, arrayContains, asc, desc, eq, gte, isNull, lte } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { enforcementActions } from '../db/schema.js';
import type { TenantScope } from '../db/tenant.js';
import { equalsWhereSet, type Filters, insertRow, insertRows, type PageRequest, selectPage, tenantRecords, updateRow } from './rows.js';

/** The filters that match the column of the same name exactly (`zaakUrl`, `besluitUrl`: the linked ZGW zaak or besluit). */
const exactFilters = ['municipalityCode', 'establishmentId', 'measure', 'licenceStatus', 'stage', 'zaakUrl', 'besluitUrl'] as const;

export type EnforcementActionFilters = Filters<(typeof exactFilters)[number] | 'ground' | 'decisionDateFrom' | 'decisionDateTo'>;

export type EnforcementActionRow = typeof enforcementActions.$inferSelect;
export type EnforcementActionValues = typeof enforcementActions.$inferInsert;

const t = enforcementActions;

const records = tenantRecords(t);
const live = records.live;

/** A live action in scope, or null; `forUpdate` locks it until the transaction ends. */
export const findEnforcementAction = records.find;

/** Any action in scope, live or a tombstone (its audit trail stays readable). */
export const findEnforcementActionEver = records.findEver;

/** Newest decision first, then by id. `total` may answer the count from elsewhere (the rollups). */
export function listEnforcementActions(
  q: Queryable,
  scope: TenantScope,
  f: EnforcementActionFilters,
  page: PageRequest,
  total?: () => Promise<number | null>,
) {
  const where = and(
    live(scope),
    ...equalsWhereSet(t, f, exactFilters),
    f.ground ? arrayContains(t.grounds, [f.ground]) : undefined,
    f.decisionDateFrom ? gte(t.decisionDate, f.decisionDateFrom) : undefined,
    f.decisionDateTo ? lte(t.decisionDate, f.decisionDateTo) : undefined,
  );
  return selectPage(q, t, where, [desc(t.decisionDate), asc(t.id)], page, total);
}

/** The establishment's live actions, locked: their licence status is about to be re-derived. */
export function lockLiveActionsOf(q: Queryable, establishmentId: string) {
  return q
    .select()
    .from(t)
    .where(and(eq(t.establishmentId, establishmentId), isNull(t.deletedAt)))
    .for('update');
}

export const insertEnforcementAction = (q: Queryable, values: EnforcementActionValues): Promise<EnforcementActionRow> =>
  insertRow(q, t, values);

/** Inserts many actions in few statements and returns them as stored, in the order given. */
export const insertEnforcementActions = (q: Queryable, values: EnforcementActionValues[]): Promise<EnforcementActionRow[]> =>
  insertRows(q, t, values);

export const updateEnforcementAction = (
  q: Queryable,
  id: string,
  values: Partial<EnforcementActionValues>,
): Promise<EnforcementActionRow> => updateRow(q, t, t.id, id, values);

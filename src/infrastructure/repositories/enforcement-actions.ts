import { and, arrayContains, asc, desc, eq, gte, isNull, lte } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { enforcementActions } from '../db/schema.js';
import { inScope, scopeValue, type TenantScope } from '../db/tenant.js';
import { type Filters, insertRow, insertRows, type PageRequest, selectPage, tenantRecords, updateRow, type WhereShape } from './rows.js';

/** The filters that match the column of the same name exactly (`zaakUrl`, `besluitUrl`: the linked ZGW zaak or besluit). */
const exactFilters = [
  'municipalityCode',
  'establishmentId',
  'measure',
  'licenceStatus',
  'stage',
  'zaakUrl',
  'besluitUrl',
  'externalReference',
] as const;

export type EnforcementActionFilters = Filters<(typeof exactFilters)[number] | 'ground' | 'decisionDateFrom' | 'decisionDateTo'>;

export type EnforcementActionRow = typeof enforcementActions.$inferSelect;
export type EnforcementActionValues = typeof enforcementActions.$inferInsert;

const t = enforcementActions;

const records = tenantRecords(t);

/** A live action in scope, or null; `forUpdate` locks it until the transaction ends. */
export const findEnforcementAction = records.find;

/** Any action in scope, live or a tombstone (its audit trail stays readable). */
export const findEnforcementActionEver = records.findEver;

/**
 * Newest decision first, then by id. `total` may answer the count from elsewhere (the rollups). The
 * condition is shaped (WhereShape): the filters set, with their values as placeholders.
 */
export function listEnforcementActions(
  q: Queryable,
  scope: TenantScope,
  f: EnforcementActionFilters,
  page: PageRequest,
  total?: () => Promise<number | null>,
) {
  const set = (k: keyof EnforcementActionFilters) => Boolean(f[k]);
  const exact = exactFilters.filter(set);
  const where: WhereShape = {
    shape: ['list', scope.kind, ...exact, ...(['ground', 'decisionDateFrom', 'decisionDateTo'] as const).filter(set)].join(':'),
    build: (bind) =>
      and(
        isNull(t.deletedAt),
        inScope(t.municipalityCode, scope, bind),
        ...exact.map((k) => eq(t[k], bind(k))),
        f.ground ? arrayContains(t.grounds, bind('ground')) : undefined,
        f.decisionDateFrom ? gte(t.decisionDate, bind('decisionDateFrom')) : undefined,
        f.decisionDateTo ? lte(t.decisionDate, bind('decisionDateTo')) : undefined,
      ),
    values: { ...f, scope: scopeValue(scope), ground: f.ground ? [f.ground] : null },
  };
  return selectPage(q, t, where, [desc(t.decisionDate), asc(t.id)], page, total);
}

/**
 * The establishment's live actions, locked: their licence status is about to be re-derived. Locked
 * in a fixed order (their ids), not in whatever order a plan reads them; a writer that locks actions
 * in another order (an import batch, in file order) can still meet this one in a deadlock, and the
 * server then ends one of the two, which is run again (retryOnConflict, or the import resumes).
 */
export function lockLiveActionsOf(q: Queryable, establishmentId: string) {
  return q
    .select()
    .from(t)
    .where(and(eq(t.establishmentId, establishmentId), isNull(t.deletedAt)))
    .orderBy(asc(t.id))
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

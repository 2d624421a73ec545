import { and, asc, eq, gte, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import { inScope, type TenantScope } from '../db/tenant.js';
import { equalsWhereSet, type Filters, type PageRequest, selectPage } from './rows.js';

export type AuditRow = typeof auditLog.$inferSelect;

/** The filters that match the column of the same name exactly (`actorId`: a token's subject, or the declared user_id). */
const exactFilters = ['clientId', 'actorId', 'objectType', 'objectId', 'action', 'municipalityCode'] as const;

export type AuditTrailFilters = Filters<(typeof exactFilters)[number] | 'occurredFrom' | 'occurredUntil'>;

/** The establishment a licence entry belongs to, from its snapshots (licences are deleted outright). */
const licenceEstablishmentId = sql`coalesce(${auditLog.after} ->> 'establishmentId', ${auditLog.before} ->> 'establishmentId')`;

const pageOf = (q: Queryable, where: SQL | undefined, page: PageRequest) => selectPage(q, auditLog, where, [asc(auditLog.seq)], page);

/** The entries about one record in scope, oldest first. */
export const trailOf = (q: Queryable, scope: TenantScope, objectType: string, objectId: string, page: PageRequest) =>
  pageOf(q, and(eq(auditLog.objectType, objectType), eq(auditLog.objectId, objectId), inScope(auditLog.municipalityCode, scope)), page);

/**
 * The entries about one establishment and about its licences, deleted ones included. The object types
 * are written into the statement, not sent as values: a generic plan of the prepared statement could
 * not use the licences' partial index (migration 0002) for a value, and read the whole trail (74–89 ms
 * at 327 000 entries against 0.2 ms, measured by a review on 6 December 2026).
 */
export const trailOfEstablishment = (q: Queryable, scope: TenantScope, id: string, page: PageRequest) =>
  pageOf(
    q,
    and(
      or(
        and(sql`${auditLog.objectType} = 'establishment'`, eq(auditLog.objectId, id)),
        and(sql`${auditLog.objectType} = 'licence'`, sql`${licenceEstablishmentId} = ${id}`),
      ),
      inScope(auditLog.municipalityCode, scope),
    ),
    page,
  );

/** The whole trail, filtered. */
export const searchTrail = (q: Queryable, f: AuditTrailFilters, page: PageRequest) =>
  pageOf(
    q,
    and(
      ...equalsWhereSet(auditLog, f, exactFilters),
      f.occurredFrom ? gte(auditLog.occurredAt, new Date(f.occurredFrom)) : undefined,
      f.occurredUntil ? lte(auditLog.occurredAt, new Date(f.occurredUntil)) : undefined,
    ),
    page,
  );

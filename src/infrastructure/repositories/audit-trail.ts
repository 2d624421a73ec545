import { and, asc, eq, gte, lte, or, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import { type PageRequest, selectPage } from './rows.js';

export type AuditRow = typeof auditLog.$inferSelect;

export interface AuditTrailFilters {
  clientId?: string | undefined;
  /** The acting person's id (a token's subject, or the declared user_id). */
  actorId?: string | undefined;
  objectType?: string | undefined;
  objectId?: string | undefined;
  action?: string | undefined;
  municipalityCode?: string | undefined;
  occurredFrom?: string | undefined;
  occurredUntil?: string | undefined;
}

/** The establishment a licence entry belongs to, from its snapshots (licences are deleted outright). */
const licenceEstablishmentId = sql`coalesce(${auditLog.after} ->> 'establishmentId', ${auditLog.before} ->> 'establishmentId')`;

const pageOf = (q: Queryable, where: SQL | undefined, page: PageRequest) => selectPage(q, auditLog, where, [asc(auditLog.seq)], page);

/** The entries about one record, oldest first. */
export const trailOf = (q: Queryable, objectType: string, objectId: string, page: PageRequest) =>
  pageOf(q, and(eq(auditLog.objectType, objectType), eq(auditLog.objectId, objectId)), page);

/** The entries about one establishment and about its licences, deleted ones included. */
export const trailOfEstablishment = (q: Queryable, id: string, page: PageRequest) =>
  pageOf(
    q,
    or(
      and(eq(auditLog.objectType, 'establishment'), eq(auditLog.objectId, id)),
      and(eq(auditLog.objectType, 'licence'), sql`${licenceEstablishmentId} = ${id}`),
    ),
    page,
  );

/** The whole trail, filtered. */
export const searchTrail = (q: Queryable, f: AuditTrailFilters, page: PageRequest) =>
  pageOf(
    q,
    and(
      f.clientId ? eq(auditLog.clientId, f.clientId) : undefined,
      f.actorId ? eq(auditLog.actorId, f.actorId) : undefined,
      f.objectType ? eq(auditLog.objectType, f.objectType) : undefined,
      f.objectId ? eq(auditLog.objectId, f.objectId) : undefined,
      f.action ? eq(auditLog.action, f.action) : undefined,
      f.municipalityCode ? eq(auditLog.municipalityCode, f.municipalityCode) : undefined,
      f.occurredFrom ? gte(auditLog.occurredAt, new Date(f.occurredFrom)) : undefined,
      f.occurredUntil ? lte(auditLog.occurredAt, new Date(f.occurredUntil)) : undefined,
    ),
    page,
  );

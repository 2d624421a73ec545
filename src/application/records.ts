import { sanctionColumns } from '../domain/enforcement-actions.js';
import type { LicencePeriod } from '../domain/licences.js';
import type {
  ApiClient,
  AuditEntry,
  EnforcementAction,
  EnforcementActionInput,
  Establishment,
  EstablishmentInput,
  Licence,
  LicenceInput,
  Municipality,
  Snapshot,
} from '../domain/records.js';
import type { ApiClientRow } from '../infrastructure/repositories/api-clients.js';
import type { AuditRow } from '../infrastructure/repositories/audit-trail.js';
import type { EnforcementActionRow } from '../infrastructure/repositories/enforcement-actions.js';
import type { EstablishmentRow } from '../infrastructure/repositories/establishments.js';
import type { LicenceRow } from '../infrastructure/repositories/licences.js';
import type { MunicipalityRow } from '../infrastructure/repositories/municipalities.js';

/** Stored rows as the API shows them, and API input as stored columns: the one place each mapping lives. */

export const toEstablishment = (r: EstablishmentRow): Establishment => ({
  id: r.id,
  municipalityCode: r.municipalityCode,
  name: r.name,
  kind: r.kind as Establishment['kind'],
  address: {
    street: r.street,
    houseNumber: r.houseNumber,
    houseNumberAddition: r.houseNumberAddition,
    postalCode: r.postalCode,
    city: r.city,
  },
  kvkNumber: r.kvkNumber,
  bagId: r.bagId,
  externalReference: r.externalReference,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});

export const establishmentColumns = (i: EstablishmentInput) => ({
  municipalityCode: i.municipalityCode,
  name: i.name,
  kind: i.kind,
  street: i.address.street,
  houseNumber: i.address.houseNumber,
  houseNumberAddition: i.address.houseNumberAddition ?? null,
  postalCode: i.address.postalCode,
  city: i.address.city,
  kvkNumber: i.kvkNumber ?? null,
  bagId: i.bagId ?? null,
  externalReference: i.externalReference ?? null,
});

/** A licence's content as stored columns. */
export const licenceColumns = (i: LicenceInput) => ({
  licenceNumber: i.licenceNumber,
  validFrom: i.validFrom,
  validUntil: i.validUntil ?? null,
  statusHistory: i.statusHistory,
  externalReference: i.externalReference ?? null,
});

/** A stored licence as the domain's licence rules read it. */
export const toLicencePeriod = (r: LicenceRow): LicencePeriod => ({
  licenceNumber: r.licenceNumber,
  validFrom: r.validFrom,
  validUntil: r.validUntil,
  statusHistory: r.statusHistory as LicencePeriod['statusHistory'],
});

export function toLicence(r: LicenceRow): Licence {
  const history = r.statusHistory as Licence['statusHistory'];
  const latest = history[history.length - 1] as Licence['statusHistory'][number];
  return {
    id: r.id,
    establishmentId: r.establishmentId,
    licenceNumber: r.licenceNumber,
    validFrom: r.validFrom,
    validUntil: r.validUntil,
    status: latest.status,
    statusDate: latest.effectiveDate,
    statusHistory: history,
    externalReference: r.externalReference,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
    version: r.version,
  };
}

export const toEnforcementAction = (r: EnforcementActionRow): EnforcementAction => ({
  id: r.id,
  establishmentId: r.establishmentId,
  municipalityCode: r.municipalityCode,
  licenceStatus: r.licenceStatus as EnforcementAction['licenceStatus'],
  measure: r.measure as EnforcementAction['measure'],
  grounds: r.grounds as EnforcementAction['grounds'],
  stage: r.stage as EnforcementAction['stage'],
  decisionDate: r.decisionDate,
  fine: r.fineAmountCents === null ? null : { amountCents: r.fineAmountCents },
  penalty:
    r.penaltyAmountCents === null
      ? null
      : {
          amountCents: r.penaltyAmountCents,
          unit: r.penaltyUnit as NonNullable<EnforcementAction['penalty']>['unit'],
          maximumCents: r.penaltyMaximumCents as number,
          complianceDeadline: r.penaltyComplianceDeadline as string,
          forfeitedCents: r.penaltyForfeitedCents ?? 0,
        },
  closure: r.closureStartDate === null ? null : { startDate: r.closureStartDate, endDate: r.closureEndDate },
  legalBasis: r.legalBasis,
  caseReference: r.caseReference,
  zaakUrl: r.zaakUrl,
  besluitUrl: r.besluitUrl,
  externalReference: r.externalReference,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});

export const enforcementActionColumns = (i: EnforcementActionInput) => ({
  measure: i.measure,
  grounds: i.grounds,
  stage: i.stage,
  decisionDate: i.decisionDate,
  ...sanctionColumns(i),
  legalBasis: i.legalBasis ?? null,
  caseReference: i.caseReference ?? null,
  zaakUrl: i.zaakUrl ?? null,
  besluitUrl: i.besluitUrl ?? null,
  externalReference: i.externalReference ?? null,
});

export const toMunicipality = (r: MunicipalityRow): Municipality => ({
  code: r.code,
  name: r.name,
  programmes: r.programmes as Municipality['programmes'],
  firstYear: r.firstYear,
  lastYear: r.lastYear,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});

export const toApiClient = (r: ApiClientRow): ApiClient => ({
  id: r.id,
  name: r.name,
  role: r.role as ApiClient['role'],
  municipalityCode: r.municipalityCode,
  createdAt: r.createdAt.toISOString(),
  revokedAt: r.revokedAt ? r.revokedAt.toISOString() : null,
  version: r.version,
});

/** Top-level fields whose values differ between two snapshots (compared as canonical JSON). */
export function changedFields(before: Snapshot, after: Snapshot): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => JSON.stringify(before?.[k] ?? null) !== JSON.stringify(after?.[k] ?? null)).sort();
}

export function toAuditEntry(r: AuditRow): AuditEntry {
  const before = (r.before ?? null) as Snapshot;
  const after = (r.after ?? null) as Snapshot;
  return {
    seq: r.seq,
    id: r.id,
    occurredAt: r.occurredAt.toISOString(),
    clientId: r.clientId,
    clientRole: r.clientRole as AuditEntry['clientRole'],
    action: r.action as AuditEntry['action'],
    objectType: r.objectType as AuditEntry['objectType'],
    objectId: r.objectId,
    municipalityCode: r.municipalityCode,
    before,
    after,
    changedFields: changedFields(before, after),
    reason: r.reason,
    requestId: r.requestId,
    actor: r.actorId === null ? null : { id: r.actorId, name: r.actorName, verified: r.actorVerified ?? false },
    hash: r.hash,
    contentHash: r.contentHash,
    prevHash: r.prevHash,
  };
}

/**
 * A record's path under /v1: a licence lies under its establishment. One answer for the events' `dataref`
 * (notifications/outbox.ts) and a 409's Location (commands/run.ts).
 */
export function recordPath(type: 'establishment' | 'licence' | 'enforcement_action', id: string, establishmentId: string | null): string {
  if (type === 'establishment') return `/establishments/${id}`;
  if (type === 'licence') return `/establishments/${establishmentId}/licences/${id}`;
  return `/enforcement-actions/${id}`;
}

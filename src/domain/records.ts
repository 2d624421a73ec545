import type {
  AuditAction,
  AuditObjectType,
  EstablishmentKind,
  Ground,
  LicenceStatusAtDecision,
  LicenceStatusName,
  Measure,
  PenaltyUnit,
  Programme,
  Role,
  StageName,
} from './codes.js';

/**
 * The registry's records as commands and queries hand them out, and as they are sent in. The zod
 * schemas in src/http/schemas describe the same shapes on the wire (with their documentation); the
 * compiler checks that the two agree wherever a route hands one to the other.
 */

export interface AddressInput {
  street: string;
  houseNumber: number;
  houseNumberAddition?: string | null | undefined;
  postalCode: string;
  city: string;
}

export interface EstablishmentInput {
  municipalityCode: string;
  name: string;
  kind: EstablishmentKind;
  address: AddressInput;
  kvkNumber?: string | null | undefined;
  bagId?: string | null | undefined;
  externalReference?: string | null | undefined;
}

export interface Establishment extends Omit<EstablishmentInput, 'address' | 'kvkNumber' | 'bagId' | 'externalReference'> {
  id: string;
  address: AddressInput & { houseNumberAddition: string | null };
  kvkNumber: string | null;
  bagId: string | null;
  externalReference: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface StatusChange {
  status: LicenceStatusName;
  effectiveDate: string;
}

export interface LicenceInput {
  licenceNumber: string;
  validFrom: string;
  validUntil?: string | null | undefined;
  statusHistory: StatusChange[];
  externalReference?: string | null | undefined;
}

export interface Licence {
  id: string;
  establishmentId: string;
  licenceNumber: string;
  validFrom: string;
  validUntil: string | null;
  status: LicenceStatusName;
  statusDate: string;
  statusHistory: StatusChange[];
  externalReference: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface PenaltyInput {
  amountCents: number;
  unit: PenaltyUnit;
  maximumCents: number;
  complianceDeadline: string;
  forfeitedCents?: number | undefined;
}

export interface ClosureInput {
  startDate: string;
  endDate?: string | null | undefined;
}

export interface EnforcementActionInput {
  establishmentId: string;
  measure: Measure;
  grounds: Ground[];
  stage: StageName;
  decisionDate: string;
  fine?: { amountCents: number } | null | undefined;
  penalty?: PenaltyInput | null | undefined;
  closure?: ClosureInput | null | undefined;
  legalBasis?: string | null | undefined;
  caseReference?: string | null | undefined;
  zaakUrl?: string | null | undefined;
  besluitUrl?: string | null | undefined;
  externalReference?: string | null | undefined;
}

export interface EnforcementAction {
  id: string;
  establishmentId: string;
  municipalityCode: string;
  licenceStatus: LicenceStatusAtDecision;
  measure: Measure;
  grounds: Ground[];
  stage: StageName;
  decisionDate: string;
  fine: { amountCents: number } | null;
  penalty: (Required<Omit<PenaltyInput, 'forfeitedCents'>> & { forfeitedCents: number }) | null;
  closure: { startDate: string; endDate: string | null } | null;
  legalBasis: string | null;
  caseReference: string | null;
  zaakUrl: string | null;
  besluitUrl: string | null;
  externalReference: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface MunicipalityInput {
  code: string;
  name: string;
  programmes: Programme[];
  firstYear?: number | null | undefined;
  lastYear?: number | null | undefined;
}

export interface Municipality extends Omit<MunicipalityInput, 'firstYear' | 'lastYear'> {
  firstYear: number | null;
  lastYear: number | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface ApiClientInput {
  name: string;
  role: Role;
  municipalityCode?: string | null | undefined;
}

export interface ApiClient {
  id: string;
  name: string;
  role: Role;
  municipalityCode: string | null;
  createdAt: string;
  revokedAt: string | null;
  version: number;
}

export type Snapshot = Record<string, unknown> | null;

export interface AuditEntry {
  seq: number;
  id: string;
  occurredAt: string;
  clientId: string | null;
  clientRole: Role | 'system';
  action: AuditAction;
  objectType: AuditObjectType;
  objectId: string;
  municipalityCode: string | null;
  before: Snapshot;
  after: Snapshot;
  changedFields: string[];
  reason: string | null;
  requestId: string | null;
  actor: { id: string; name: string | null; verified: boolean } | null;
  hash: string;
  contentHash: string | null;
  prevHash: string;
}

/** A page of a collection, before the HTTP layer adds its links. */
export interface Page<T> {
  items: T[];
  totalItems: number;
}

export interface PageRequest {
  page: number;
  pageSize: number;
}

import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  check,
  date,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { actingPerson, changed, tombstone, ts } from './schema-columns.js';

/** A record of one municipality: the tenant column (row-level security). */
export const belongsToMunicipality = () => ({
  municipalityCode: text('municipality_code')
    .notNull()
    .references(() => municipalities.code),
});

/**
 * A record of one establishment, and so of its municipality: the foreign key is the pair (see
 * `sameMunicipalityAsEstablishment`), so the database itself refuses a row whose municipality is not
 * its establishment's. Row-level security cannot: a foreign key's check does not pass through it.
 */
const belongsToEstablishment = () => ({
  establishmentId: uuid('establishment_id').notNull(),
  ...belongsToMunicipality(),
});

/** The foreign key of a record of one establishment: (establishment, municipality) → that establishment's pair. */
const sameMunicipalityAsEstablishment = (name: string, t: { establishmentId: AnyPgColumn; municipalityCode: AnyPgColumn }) =>
  foreignKey({
    name,
    columns: [t.establishmentId, t.municipalityCode],
    foreignColumns: [establishments.id, establishments.municipalityCode],
  });

/** Gemeenten, keyed by CBS code (GM + 4 digits). */
export const municipalities = pgTable(
  'municipalities',
  {
    code: text('code').primaryKey(),
    name: text('name').notNull(),
    programmes: text('programmes').array().notNull().default(sql`'{}'::text[]`),
    /**
     * The calendar years the municipality exists: from 1 January of the first (formed, e.g. by a merger)
     * to 31 December of the last (merged away); null is open. The statistics count its years only (migration 0027).
     */
    firstYear: integer('first_year'),
    lastYear: integer('last_year'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    check('municipalities_code_format', sql`${t.code} ~ '^GM[0-9]{4}$'`),
    check('municipalities_first_year', sql`${t.firstYear} between 1900 and 2200`),
    check('municipalities_last_year', sql`${t.lastYear} between 1900 and 2200`),
    check('municipalities_years_in_order', sql`${t.firstYear} <= ${t.lastYear}`),
  ],
);

/** API clients: who may call the service. Only a hash of the token is stored. */
export const apiClients = pgTable(
  'api_clients',
  {
    id: uuid('id').primaryKey(),
    name: text('name').notNull(),
    role: text('role').notNull(),
    municipalityCode: text('municipality_code').references(() => municipalities.code),
    tokenHash: text('token_hash').notNull(),
    createdAt: ts('created_at').notNull(),
    createdBy: uuid('created_by'),
    revokedAt: ts('revoked_at'),
    version: integer('version').notNull().default(1),
  },
  (t) => [
    uniqueIndex('api_clients_token_hash_key').on(t.tokenHash),
    check('api_clients_role', sql`${t.role} in ('officer', 'analyst', 'admin')`),
    check('api_clients_officer_has_municipality', sql`(${t.role} = 'officer') = (${t.municipalityCode} is not null)`),
  ],
);

/** Seksinrichtingen. Deleted ones stay as tombstones (deleted_at set). */
export const establishments = pgTable(
  'establishments',
  {
    id: uuid('id').primaryKey(),
    ...belongsToMunicipality(),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    street: text('street').notNull(),
    houseNumber: integer('house_number').notNull(),
    houseNumberAddition: text('house_number_addition'),
    postalCode: text('postal_code').notNull(),
    city: text('city').notNull(),
    kvkNumber: text('kvk_number'),
    bagId: text('bag_id'),
    /** The municipality's own reference (import/export); unique per municipality among live records. */
    externalReference: text('external_reference'),
    ...changed(),
    ...tombstone(),
  },
  (t) => [
    index('establishments_municipality_name_idx').on(t.municipalityCode, t.name, t.id),
    index('establishments_export_idx').on(t.municipalityCode, t.id),
    // What a licence's or an action's (establishment, municipality) foreign key refers to.
    uniqueIndex('establishments_id_municipality_key').on(t.id, t.municipalityCode),
    uniqueIndex('establishments_external_reference_key')
      .on(t.municipalityCode, t.externalReference)
      .where(sql`external_reference is not null and deleted_at is null`),
  ],
);

/** Exploitatievergunningen, with their status history as [{status, effectiveDate}]. */
export const licences = pgTable(
  'licences',
  {
    id: uuid('id').primaryKey(),
    ...belongsToEstablishment(),
    licenceNumber: text('licence_number').notNull(),
    validFrom: date('valid_from', { mode: 'string' }).notNull(),
    validUntil: date('valid_until', { mode: 'string' }),
    statusHistory: jsonb('status_history').$type<{ status: string; effectiveDate: string }[]>().notNull(),
    /** The municipality's own reference (import/export); unique per municipality. */
    externalReference: text('external_reference'),
    ...changed(),
  },
  (t) => [
    uniqueIndex('licences_establishment_number_key').on(t.establishmentId, t.licenceNumber),
    uniqueIndex('licences_external_reference_key').on(t.municipalityCode, t.externalReference).where(sql`external_reference is not null`),
    index('licences_establishment_idx').on(t.establishmentId, t.validFrom),
    index('licences_export_idx').on(t.municipalityCode, t.id),
    sameMunicipalityAsEstablishment('licences_establishment_municipality_fk', t),
  ],
);

/** Bestuurlijke handhavingsmaatregelen. Deleted ones stay as tombstones. */
export const enforcementActions = pgTable(
  'enforcement_actions',
  {
    id: uuid('id').primaryKey(),
    ...belongsToEstablishment(),
    licenceStatus: text('licence_status').notNull(),
    measure: text('measure').notNull(),
    grounds: text('grounds').array().notNull(),
    stage: text('stage').notNull(),
    decisionDate: date('decision_date', { mode: 'string' }).notNull(),
    fineAmountCents: bigint('fine_amount_cents', { mode: 'number' }),
    penaltyAmountCents: bigint('penalty_amount_cents', { mode: 'number' }),
    penaltyUnit: text('penalty_unit'),
    penaltyMaximumCents: bigint('penalty_maximum_cents', { mode: 'number' }),
    penaltyComplianceDeadline: date('penalty_compliance_deadline', { mode: 'string' }),
    penaltyForfeitedCents: bigint('penalty_forfeited_cents', { mode: 'number' }),
    closureStartDate: date('closure_start_date', { mode: 'string' }),
    closureEndDate: date('closure_end_date', { mode: 'string' }),
    legalBasis: text('legal_basis'),
    caseReference: text('case_reference'),
    /** The zaak in a Zaken API (ZGW) this decision belongs to: an absolute URL. */
    zaakUrl: text('zaak_url'),
    /** The besluit in a Besluiten API (ZGW) that records this decision: an absolute URL. */
    besluitUrl: text('besluit_url'),
    /** The municipality's own reference (import/export); unique per municipality among live records. */
    externalReference: text('external_reference'),
    ...changed(),
    ...tombstone(),
  },
  (t) => [
    uniqueIndex('enforcement_actions_external_reference_key')
      .on(t.municipalityCode, t.externalReference)
      .where(sql`external_reference is not null and deleted_at is null`),
    check('enforcement_actions_licence_status', sql`${t.licenceStatus} in ('licensed', 'unlicensed')`),
    index('enforcement_actions_municipality_date_idx').on(t.municipalityCode, t.decisionDate, t.id),
    index('enforcement_actions_establishment_idx').on(t.establishmentId),
    index('enforcement_actions_decision_date_idx').on(t.decisionDate),
    index('enforcement_actions_zaak_url_idx').on(t.zaakUrl),
    index('enforcement_actions_besluit_url_idx').on(t.besluitUrl),
    // An export's keyset walk (municipality, id > last): each page read in order, never sorted (migration 0018).
    index('enforcement_actions_export_idx').on(t.municipalityCode, t.id),
    sameMunicipalityAsEstablishment('enforcement_actions_establishment_municipality_fk', t),
  ],
);

/** What an audit entry records (its content), in audit_log and, until commit, in audit_pending. */
const auditEntryContent = () => ({
  id: uuid('id').notNull(),
  occurredAt: ts('occurred_at').notNull(),
  clientId: uuid('client_id'),
  clientRole: text('client_role').notNull(),
  action: text('action').notNull(),
  objectType: text('object_type').notNull(),
  objectId: text('object_id').notNull(),
  municipalityCode: text('municipality_code'),
  before: jsonb('before'),
  after: jsonb('after'),
  reason: text('reason'),
  requestId: text('request_id'),
  ...actingPerson(),
});

/**
 * The audit trail: append-only, hash-chained. Each row's hash covers its content and the previous
 * row's hash, so an edited or removed row breaks the chain. Entries are chained at commit by the
 * database (migrations/0008_audit_chained_at_commit.sql); src/infrastructure/audit/chain.ts has the
 * formulas.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    seq: bigint('seq', { mode: 'number' }).primaryKey(),
    ...auditEntryContent(),
    prevHash: text('prev_hash').notNull(),
    hash: text('hash').notNull(),
    /** SHA-256 of the entry's canonical content (chain format 2); null for entries of format 1. */
    contentHash: text('content_hash'),
  },
  (t) => [
    uniqueIndex('audit_log_id_key').on(t.id),
    index('audit_log_object_idx').on(t.objectType, t.objectId, t.seq),
    index('audit_log_client_idx').on(t.clientId, t.seq),
    index('audit_log_actor_idx').on(t.actorId, t.seq),
    // The destroyed licences of an establishment (their `destroy` entries): until when its licence
    // history is no longer whole (src/infrastructure/repositories/retention.ts, destroyedLicencesUntil).
    index('audit_log_destroyed_licences_idx')
      .on(sql`(${t.after} ->> 'establishmentId')`)
      .where(sql`${t.action} = 'destroy' and ${t.objectType} = 'licence'`),
  ],
);

/**
 * Entries written in an open transaction, not chained yet. A deferred trigger moves each into
 * audit_log at commit, under the chain lock, so no transaction holds that lock while the service
 * works: the table is empty outside a transaction.
 */
export const auditPending = pgTable('audit_pending', {
  ...auditEntryContent(),
  id: uuid('id').primaryKey(),
  contentHash: text('content_hash').notNull(),
});

/**
 * Signed checkpoints of the audit chain (signed tree heads, as in Certificate Transparency): the
 * service signs the chain head (seq, hash, time) with its Ed25519 key; verification checks the
 * chain against every one. Append-only, like audit_log (migration 0011).
 */
export const auditCheckpoints = pgTable(
  'audit_checkpoints',
  {
    id: uuid('id').primaryKey(),
    /** The head's seq (0 for an empty chain). */
    seq: bigint('seq', { mode: 'number' }).notNull(),
    /** The hash of entry `seq` (64 zeros for an empty chain). */
    headHash: text('head_hash').notNull(),
    signedAt: ts('signed_at').notNull(),
    /** SHA-256 (hex) of the public key's DER (SPKI) encoding. */
    keyId: text('key_id').notNull(),
    /** Ed25519 signature (base64url) over the checkpoint's canonical statement. */
    signature: text('signature').notNull(),
  },
  (t) => [index('audit_checkpoints_seq_idx').on(t.seq, t.signedAt)],
);

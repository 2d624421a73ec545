/**
 * The code lists of the contract, in one place: the zod schemas (and so the OpenAPI document) and the
 * statistics both use these, so a new measure or ground is added once.
 */
export const LICENCE_STATUSES = ['licensed', 'unlicensed'] as const;
export const MEASURES = [
  'closure',
  'administrative_fine',
  'penalty_order',
  'administrative_coercion',
  'warning',
  'licence_suspension',
  'licence_revocation',
] as const;
export const GROUNDS = [
  'no_manager_present',
  'licence_condition_breach',
  'hygiene',
  'worker_without_valid_id',
  'unlicensed_operation',
  'underage_worker',
  'trafficking_indicators',
  'other',
] as const;
export const STAGES = ['intended', 'decided', 'objection', 'appeal', 'final', 'withdrawn', 'annulled'] as const;
export const ESTABLISHMENT_KINDS = [
  'window_brothel',
  'club',
  'private_house',
  'escort_agency',
  'massage_parlour',
  'home_based',
  'other',
] as const;
export const LICENCE_RECORD_STATUSES = ['granted', 'suspended', 'revoked', 'expired'] as const;
export const PENALTY_UNITS = ['once', 'per_day', 'per_week', 'per_violation'] as const;
export const PROGRAMMES = ['LPP'] as const;

/** Who may do what: officers (one municipality), analysts (figures only), admins. */
export const ROLES = ['officer', 'analyst', 'admin'] as const;
/** The audit trail's kinds of change and of record. */
export const AUDIT_ACTIONS = ['create', 'update', 'delete', 'rederive', 'destroy', 'redact'] as const;
export const AUDIT_OBJECT_TYPES = [
  'establishment',
  'licence',
  'enforcement_action',
  'municipality',
  'api_client',
  'subscription',
  'reporting_attestation',
  'statistics_release',
  'open_data_release',
  'import',
] as const;

export type Role = (typeof ROLES)[number];
export type Measure = (typeof MEASURES)[number];
export type Ground = (typeof GROUNDS)[number];
export type StageName = (typeof STAGES)[number];
export type LicenceStatusAtDecision = (typeof LICENCE_STATUSES)[number];
export type EstablishmentKind = (typeof ESTABLISHMENT_KINDS)[number];
export type LicenceStatusName = (typeof LICENCE_RECORD_STATUSES)[number];
export type PenaltyUnit = (typeof PENALTY_UNITS)[number];
export type Programme = (typeof PROGRAMMES)[number];
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
export type AuditObjectType = (typeof AUDIT_OBJECT_TYPES)[number];

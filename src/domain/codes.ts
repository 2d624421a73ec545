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

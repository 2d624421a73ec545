import { isIsoDate } from '../lib/dates.js';
import type { StageName } from './codes.js';
import type { InvalidParam } from './errors.js';
import type { EnforcementActionInput } from './records.js';

export type { StageName };

/**
 * The lifecycle of a decision (fase). Any stage may be recorded at creation (records are often
 * entered after the fact); afterwards a stage moves only along these edges. Nothing leaves
 * withdrawn or annulled; final can still be annulled (e.g. after herziening).
 */
export const STAGE_TRANSITIONS: Readonly<Record<StageName, readonly StageName[]>> = {
  intended: ['decided', 'withdrawn'],
  decided: ['objection', 'appeal', 'final', 'withdrawn', 'annulled'],
  objection: ['decided', 'appeal', 'final', 'withdrawn', 'annulled'],
  appeal: ['final', 'withdrawn', 'annulled'],
  final: ['annulled'],
  withdrawn: [],
  annulled: [],
};

/** Stages counted in statistics by default (docs/statistics.md, the counting rule). */
export const COUNTED_STAGES: readonly StageName[] = ['decided', 'objection', 'appeal', 'final'];

const PART_FOR_MEASURE = {
  fine: 'administrative_fine',
  penalty: 'penalty_order',
  closure: 'closure',
} as const;

const isCents = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The cross-field rules of an enforcement action; every broken rule is reported. Each rule looks
 * only at fields of the right shape, so it can also run on a body whose other fields are invalid:
 * then the schema's issues and these are listed together (see EnforcementActionInput).
 */
export function checkEnforcementAction(input: object, today: string): InvalidParam[] {
  const a = input as Record<string, unknown>;
  const issues: InvalidParam[] = [];
  if (isIsoDate(a.decisionDate) && a.decisionDate > today) {
    issues.push({ name: 'decisionDate', code: 'in_future', reason: `the decision date is after today (${today})` });
  }
  const seen = new Set<unknown>();
  if (Array.isArray(a.grounds)) {
    a.grounds.forEach((g, i) => {
      if (typeof g === 'string' && seen.has(g))
        issues.push({ name: `grounds.${i}`, code: 'duplicate', reason: 'this ground is already listed' });
      seen.add(g);
    });
  }
  if (typeof a.measure === 'string') {
    for (const [part, measure] of Object.entries(PART_FOR_MEASURE) as [keyof typeof PART_FOR_MEASURE, string][]) {
      const present = a[part] !== undefined && a[part] !== null;
      if (a.measure === measure && !present) {
        issues.push({ name: part, code: 'required_for_measure', reason: `${part} is required for measure ${measure}` });
      } else if (a.measure !== measure && present) {
        issues.push({ name: part, code: 'not_allowed_for_measure', reason: `${part} is only allowed for measure ${measure}` });
      }
    }
  }
  if (isObject(a.penalty)) {
    const p = a.penalty;
    if (isCents(p.maximumCents) && isCents(p.amountCents) && p.maximumCents < p.amountCents) {
      issues.push({ name: 'penalty.maximumCents', code: 'below_amount', reason: 'the maximum is less than the amount' });
    }
    if (isCents(p.forfeitedCents) && isCents(p.maximumCents) && p.forfeitedCents > p.maximumCents) {
      issues.push({ name: 'penalty.forfeitedCents', code: 'above_maximum', reason: 'more is forfeited than the maximum' });
    }
    if (isIsoDate(p.complianceDeadline) && isIsoDate(a.decisionDate) && p.complianceDeadline < a.decisionDate) {
      issues.push({
        name: 'penalty.complianceDeadline',
        code: 'before_decision_date',
        reason: 'the compliance deadline (begunstigingstermijn) ends before the decision date',
      });
    }
  }
  if (isObject(a.closure) && isIsoDate(a.closure.endDate) && isIsoDate(a.closure.startDate) && a.closure.endDate < a.closure.startDate) {
    issues.push({ name: 'closure.endDate', code: 'before_start_date', reason: 'the closure ends before it starts' });
  }
  if (a.measure === 'warning' && (a.stage === 'objection' || a.stage === 'appeal')) {
    issues.push({ name: 'stage', code: 'not_appealable', reason: 'a warning is not a decision open to objection or appeal' });
  }
  return issues;
}

/** Rules that compare a replacement with the stored action. */
export function checkActionChange(before: { stage: StageName; establishmentId: string }, after: EnforcementActionInput): InvalidParam[] {
  const issues: InvalidParam[] = [];
  if (after.establishmentId !== before.establishmentId) {
    issues.push({ name: 'establishmentId', code: 'immutable', reason: 'an action cannot move to another establishment' });
  }
  if (after.stage !== before.stage && !STAGE_TRANSITIONS[before.stage].includes(after.stage)) {
    const allowed = STAGE_TRANSITIONS[before.stage];
    issues.push({
      name: 'stage',
      code: 'transition_not_allowed',
      reason: `stage cannot move from ${before.stage} to ${after.stage}${allowed.length ? ` (allowed: ${allowed.join(', ')})` : ''}`,
    });
  }
  return issues;
}

/**
 * An action's fine, penalty order and closure as flat columns, null where it has none: how the
 * table holds them and how the import and export files carry them.
 */
export const sanctionColumns = (a: Pick<EnforcementActionInput, 'fine' | 'penalty' | 'closure'>) => ({
  fineAmountCents: a.fine?.amountCents ?? null,
  penaltyAmountCents: a.penalty?.amountCents ?? null,
  penaltyUnit: a.penalty?.unit ?? null,
  penaltyMaximumCents: a.penalty?.maximumCents ?? null,
  penaltyComplianceDeadline: a.penalty?.complianceDeadline ?? null,
  penaltyForfeitedCents: a.penalty ? (a.penalty.forfeitedCents ?? 0) : null,
  closureStartDate: a.closure?.startDate ?? null,
  closureEndDate: a.closure?.endDate ?? null,
});

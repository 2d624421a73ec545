/**
 * Retention and destruction under the Archiefwet. A municipality's selection list (selectielijst)
 * sets how long each kind of record is kept; the operator puts those periods into configuration
 * (RETENTION_*_YEARS, RETENTION_SELECTION_LIST) and `npm run retention:destroy` destroys what is past them.
 */

import { isIsoDate, todayInNetherlands } from '../lib/dates.js';

export type RetainedRecordType = 'enforcement_action' | 'licence' | 'establishment';

export interface RetentionRule {
  recordType: RetainedRecordType;
  years: number;
  /** The date the period runs from, as the selection list words it for this register. */
  runsFrom: string;
  /** The selection list (and category) the period comes from. */
  selectionList: string;
}

/** What each record type's period runs from. */
export const RUNS_FROM: Record<RetainedRecordType, string> = {
  enforcement_action: 'decisionDate (an action with objection or appeal pending is kept)',
  licence: 'validUntil (a licence without an end date is kept; one deleted without an end date: the day it was deleted)',
  establishment: 'its last change, once it has no licences or actions left',
};

export interface RetentionSettings {
  enforcementActionYears?: number | undefined;
  licenceYears?: number | undefined;
  establishmentYears?: number | undefined;
  selectionList: string;
}

/** The rules configured, one per record type that has a period (a type without one is kept). */
export function retentionRules(s: RetentionSettings): RetentionRule[] {
  const rule = (recordType: RetainedRecordType, years: number | undefined): RetentionRule[] =>
    years ? [{ recordType, years, runsFrom: RUNS_FROM[recordType], selectionList: s.selectionList }] : [];
  return [
    ...rule('enforcement_action', s.enforcementActionYears),
    ...rule('licence', s.licenceYears),
    ...rule('establishment', s.establishmentYears),
  ];
}

/** The last day a record's period may have run from to be destroyed on `today`: `years` whole years before it. */
export function cutOffDate(today: string, years: number): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y - years, m - 1, d));
  // 29 February minus whole years lands on 1 March in a common year: keep 28 February instead.
  if (date.getUTCMonth() !== m - 1) date.setUTCDate(0);
  return date.toISOString().slice(0, 10);
}

/** Stages in which an action is still contested: kept whatever its age. */
export const STAGES_KEPT = ['objection', 'appeal'] as const;

/**
 * Why the day a run destroys as of is refused, or null: it must be a real date, and not after today
 * in the Netherlands. A later one destroys records before their period has run (2030-05-02 took an
 * action of 2019 years early), and a date like 2026-13-45 rolled over into another day.
 */
export function refusedAsOf(day: string, today: string = todayInNetherlands()): string | null {
  if (!isIsoDate(day)) return `${day} is not a date (YYYY-MM-DD)`;
  if (day > today) return `${day} is after today (${today}): a destruction as of a later day destroys records before their period has run`;
  return null;
}

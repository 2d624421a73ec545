import { dayBefore, isIsoDate } from '../lib/dates.js';
import { LICENCE_RECORD_STATUSES, type LicenceStatusName } from './codes.js';
import { Conflict, type InvalidParam } from './errors.js';
import type { StatusChange } from './records.js';

export type { LicenceStatusName, StatusChange };
export interface LicencePeriod {
  licenceNumber: string;
  validFrom: string;
  validUntil: string | null;
  statusHistory: StatusChange[];
}

const TERMINAL: ReadonlySet<LicenceStatusName> = new Set(['revoked', 'expired']);

const STATUSES: ReadonlySet<unknown> = new Set(LICENCE_RECORD_STATUSES);
const isChange = (v: unknown): v is StatusChange =>
  typeof v === 'object' && v !== null && STATUSES.has((v as StatusChange).status) && isIsoDate((v as StatusChange).effectiveDate);

/**
 * Rules on one licence on its own; every broken rule is reported. Each rule looks only at fields
 * of the right shape, so it can run alongside the schema's issues too (see LicenceInput).
 */
export function checkLicence(licence: object): InvalidParam[] {
  const input = licence as { validFrom?: unknown; validUntil?: unknown; statusHistory?: unknown };
  const issues: InvalidParam[] = [];
  const endsBeforeItStarts = isIsoDate(input.validUntil) && isIsoDate(input.validFrom) && input.validUntil < input.validFrom;
  if (endsBeforeItStarts) {
    issues.push({ name: 'validUntil', code: 'before_valid_from', reason: 'validUntil is before validFrom' });
  }
  const h = Array.isArray(input.statusHistory) ? input.statusHistory : [];
  if (isChange(h[0]) && h[0].status !== 'granted') {
    issues.push({
      name: 'statusHistory.0.status',
      code: 'first_status_not_granted',
      reason: 'a licence’s history begins with granted',
    });
  }
  // Granted before it starts is usual (a decision in December for January); granted after it ended is
  // a licence never in force that reads as granted: a mistyped year, which would count its actions unlicensed.
  // (Unless validUntil is before validFrom: before_valid_from says what is wrong then.)
  const first = h[0];
  if (
    isChange(first) &&
    first.status === 'granted' &&
    isIsoDate(input.validUntil) &&
    !endsBeforeItStarts &&
    first.effectiveDate > input.validUntil
  ) {
    issues.push({
      name: 'statusHistory.0.effectiveDate',
      code: 'after_valid_until',
      reason: 'the licence is granted after its last day (validUntil): it would never be in force',
    });
  }
  for (let i = 1; i < h.length; i++) {
    const prev = h[i - 1];
    const cur = h[i];
    if (!isChange(prev) || !isChange(cur)) continue;
    if (cur.effectiveDate <= prev.effectiveDate) {
      issues.push({
        name: `statusHistory.${i}.effectiveDate`,
        code: 'not_chronological',
        reason: 'each status change must take effect after the one before it',
      });
    }
    if (TERMINAL.has(prev.status)) {
      issues.push({
        name: `statusHistory.${i}.status`,
        code: 'status_after_terminal',
        reason: `nothing can follow ${prev.status}`,
      });
    } else if (cur.status === prev.status) {
      issues.push({
        name: `statusHistory.${i}.status`,
        code: 'status_unchanged',
        reason: `the status is already ${cur.status}`,
      });
    }
  }
  return issues;
}

/** The last day on which the licence could be in force: validUntil, or the day before it was revoked or expired. */
export function effectiveEnd(l: Pick<LicencePeriod, 'validUntil' | 'statusHistory'>): string | null {
  const terminal = l.statusHistory.find((c) => TERMINAL.has(c.status));
  const endByStatus = terminal ? dayBefore(terminal.effectiveDate) : null;
  if (l.validUntil === null) return endByStatus;
  if (endByStatus === null) return l.validUntil;
  return endByStatus < l.validUntil ? endByStatus : l.validUntil;
}

/** Two licences of one establishment may not be in force on the same day. */
export function overlaps(a: LicencePeriod, b: LicencePeriod): boolean {
  const aEnd = effectiveEnd(a);
  const bEnd = effectiveEnd(b);
  const aStartsBeforeBEnds = bEnd === null || a.validFrom <= bEnd;
  const bStartsBeforeAEnds = aEnd === null || b.validFrom <= aEnd;
  return aStartsBeforeBEnds && bStartsBeforeAEnds;
}

/**
 * Was a licence in force on `date`? Yes when the date lies in its validity period and the latest
 * status change on or before that date is `granted`.
 */
export function inForceOn(l: LicencePeriod, date: string): boolean {
  if (date < l.validFrom) return false;
  if (l.validUntil !== null && date > l.validUntil) return false;
  let current: LicenceStatusName | null = null;
  for (const c of l.statusHistory) {
    if (c.effectiveDate <= date) current = c.status;
    else break;
  }
  return current === 'granted';
}

/** The licence status of an establishment on a decision date: the rule behind `licenceStatus`. */
export function licenceStatusOn(licences: readonly LicencePeriod[], date: string): 'licensed' | 'unlicensed' {
  return licences.some((l) => inForceOn(l, date)) ? 'licensed' : 'unlicensed';
}

/**
 * The licence history of an establishment is whole only after the last day a destroyed licence of it
 * was in force (`destroyedUntil`; null or undefined: none was destroyed). On or before that day the
 * licence an action rested on may be gone: an action's licence status cannot be derived there, and a
 * licence in force then cannot be checked against the one licence at a time. So the registry refuses
 * rather than derive from half a history; actions recorded before the destruction keep their status.
 */
export function licenceHistoryDestroyed(
  what: 'action' | 'licence',
  date: string,
  destroyedUntil: string | null | undefined,
): Conflict | null {
  if (!destroyedUntil || date > destroyedUntil) return null;
  const gone = `A licence of this establishment in force until ${destroyedUntil} was destroyed under the Archiefwet`;
  return new Conflict(
    'licence-history-destroyed',
    what === 'action'
      ? `${gone}: the licence status on ${date} can no longer be derived, so no action can be recorded on or moved to that day.`
      : `${gone}: a licence in force from ${date} can no longer be added, changed in its days or removed, since the one licence at a time cannot be checked against it, nor the actions of those days derived again.`,
  );
}

import { randomUUID } from 'node:crypto';
import { existsIn, type MunicipalityYears } from '../../domain/municipalities.js';
import { eventFor, STATISTICS_EVENT_TYPES } from '../../domain/notifications.js';
import type { Tx } from '../../infrastructure/db/client.js';
import { insertOutboxEvents, type OutboxEventValues } from '../../infrastructure/repositories/notifications.js';
import { YEAR_FLOOR, yearInNetherlands } from '../../lib/dates.js';
import type { Change, CommitHook } from '../commands/run.js';
import { recordPath } from '../records.js';

export interface EventSource {
  /** The CloudEvents `source`: a stable URN for this registry (NOTIFICATIONS_SOURCE). */
  source: string;
  /** The public base URL of the API, ending in /v1: `dataref` is the record's URL under it. */
  publicBaseUrl: string;
}

/**
 * The schemas of `data` in the OpenAPI document (src/http/schemas/events.ts), named by each event's
 * `dataschema`. Their descriptions say what the profile asks of a random `id`: that it is one.
 */
export const RECORD_DATA_SCHEMA = 'RecordEventData';
export const STATISTICS_DATA_SCHEMA = 'StatisticsEventData';

const idOf = (v: unknown, key: string): string | undefined => {
  const value = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : undefined;
};

/** The record's path under /v1 (a record event's change is about an establishment, a licence or an action). */
const pathOf = (c: Change): string =>
  recordPath(
    c.objectType as Parameters<typeof recordPath>[0],
    c.objectId,
    idOf(c.after, 'establishmentId') ?? idOf(c.before, 'establishmentId') ?? null,
  );

/** A municipality's years as its audit entry shows them (an entry from before migration 0027 has none: open). */
const yearsOf = (v: unknown): MunicipalityYears => {
  const year = (k: string) => {
    const y = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : null;
    return typeof y === 'number' ? y : null;
  };
  return { firstYear: year('firstYear'), lastYear: year('lastYear') };
};

/**
 * The CloudEvents (1.0, NL GOV profile) that a transaction's changes announce: one per change to an
 * establishment, licence or enforcement action (a licence status re-derivation included), and one
 * `statistics.changed` per municipality and year whose enforcement actions or reporting attestation changed, or which
 * came into or left the municipality's years. `data` holds
 * identifiers, the municipality code and the kind of change, never the record's content: a
 * receiver fetches `dataref` with its own token, so tenancy stays the API's job.
 */
export function eventsOf(changes: readonly Change[], from: EventSource, now = new Date()): OutboxEventValues[] {
  const time = now.toISOString();
  const out: OutboxEventValues[] = [];
  const years = new Map<string, { municipalityCode: string; year: number }>();
  const cloudEvent = (type: string, subject: string, municipalityCode: string | null, dataref: string, data: object) => {
    const id = randomUUID();
    const dataschema = `${from.publicBaseUrl}/openapi.json#/components/schemas/${type === STATISTICS_EVENT_TYPES[0] ? STATISTICS_DATA_SCHEMA : RECORD_DATA_SCHEMA}`;
    out.push({
      id,
      type,
      subject,
      municipalityCode,
      occurredAt: now,
      event: {
        specversion: '1.0',
        id,
        source: from.source,
        type,
        subject,
        time,
        dataref,
        datacontenttype: 'application/json',
        dataschema,
        data,
      },
    });
  };
  for (const c of changes) {
    // An attestation made or withdrawn changes the municipality-year's reporting status, which its
    // statistics show (a 0 not reported or attested: status, and ValueAttribute in observations).
    if (c.objectType === 'reporting_attestation' && c.municipalityCode) {
      for (const v of [c.before, c.after]) {
        const year = v && typeof v === 'object' ? (v as Record<string, unknown>).year : undefined;
        if (typeof year === 'number') years.set(`${c.municipalityCode}-${year}`, { municipalityCode: c.municipalityCode, year });
      }
    }
    // A municipality's years changed: each year up to this one that came into or left its scope (its
    // municipality-year is counted, or no longer: the dataref of one that left answers 400 outside_municipality_years).
    if (c.objectType === 'municipality' && c.action === 'update' && c.municipalityCode) {
      const was = yearsOf(c.before);
      const is = yearsOf(c.after);
      for (let year = YEAR_FLOOR; year <= yearInNetherlands(now); year++) {
        if (existsIn(was, year) !== existsIn(is, year))
          years.set(`${c.municipalityCode}-${year}`, { municipalityCode: c.municipalityCode, year });
      }
    }
    // A destroy entry names when the record was deleted, if it was before: that deletion was announced then.
    const kind = eventFor(c.objectType, c.action, idOf(c.after, 'deletedAt') !== undefined);
    if (!kind) continue;
    const establishmentId =
      c.objectType === 'establishment' ? undefined : (idOf(c.after, 'establishmentId') ?? idOf(c.before, 'establishmentId'));
    cloudEvent(kind.type, c.objectId, c.municipalityCode, `${from.publicBaseUrl}${pathOf(c)}`, {
      id: c.objectId,
      ...(establishmentId ? { establishmentId } : {}),
      municipalityCode: c.municipalityCode,
      change: kind.change,
    });
    if (c.objectType === 'enforcement_action' && c.municipalityCode) {
      for (const v of [c.before, c.after]) {
        const date = idOf(v, 'decisionDate');
        if (date)
          years.set(`${c.municipalityCode}-${date.slice(0, 4)}`, { municipalityCode: c.municipalityCode, year: Number(date.slice(0, 4)) });
      }
    }
  }
  for (const [subject, { municipalityCode, year }] of years) {
    const dataref = `${from.publicBaseUrl}/statistics/enforcement-actions?yearFrom=${year}&yearTo=${year}&municipalityCode=${municipalityCode}`;
    cloudEvent(STATISTICS_EVENT_TYPES[0], subject, municipalityCode, dataref, {
      year,
      municipalityCode,
      change: 'statistics_changed',
    });
  }
  return out;
}

/** The outbox as a CommitHook: every command's events are written in the command's own transaction. */
export const outboxHook =
  (from: EventSource): CommitHook =>
  (tx: Tx, _ctx, changes) =>
    insertOutboxEvents(tx, eventsOf(changes, from));

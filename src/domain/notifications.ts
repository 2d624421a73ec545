import { parseHttpDate } from '../lib/dates.js';
import { hostOf, isLoopback, neverCalled, type PrivateNetworks, refusedInternal, refusedLoopbackName } from '../lib/networks.js';
import type { AuditAction, AuditObjectType, Role } from './codes.js';
import type { InvalidParam } from './errors.js';

/**
 * Notifications: which events the registry announces (CloudEvents, NL GOV profile), who may
 * subscribe to which, and the pure rules of delivery (callback URLs, backoff).
 */

/** Reverse-DNS prefix of every event type (NL GOV profile for CloudEvents: `type`). */
const P = 'nl.overheid.handhavingsregister' as const;

/** Events about one record: their data holds identifiers and a municipality code, never the record's content. */
export const RECORD_EVENT_TYPES = [
  `${P}.establishment.created`,
  `${P}.establishment.changed`,
  `${P}.establishment.deleted`,
  `${P}.licence.created`,
  `${P}.licence.changed`,
  `${P}.licence.deleted`,
  `${P}.enforcement-action.created`,
  `${P}.enforcement-action.changed`,
  `${P}.enforcement-action.deleted`,
  `${P}.enforcement-action.licence-status-rederived`,
] as const;

/** Events about figures, not records: the only ones an analyst may subscribe to. */
export const STATISTICS_EVENT_TYPES = [`${P}.statistics.changed`] as const;

export const EVENT_TYPES = [...RECORD_EVENT_TYPES, ...STATISTICS_EVENT_TYPES] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The kind of change, as `data.change` states it. */
export type ChangeKind = 'created' | 'changed' | 'deleted' | 'licence_status_rederived' | 'statistics_changed';

const KIND_OF: Partial<Record<AuditObjectType, string>> = {
  establishment: 'establishment',
  licence: 'licence',
  enforcement_action: 'enforcement-action',
};
const CHANGE_OF: Partial<Record<AuditAction, ChangeKind>> = {
  create: 'created',
  update: 'changed',
  delete: 'deleted',
  rederive: 'licence_status_rederived',
  // Destruction after the retention period (Archiefwet): for a receiver the record is gone (unless it was already).
  destroy: 'deleted',
  // redact: personal data removed from audit entries (src/domain/personal-data.ts); the record itself is unchanged.
};

/**
 * The event a change to a record announces, or null: for records that announce nothing (API clients,
 * municipalities), for a change no event type names, for a redaction of their audit entries, and for the destruction of a record that was deleted before (`deletedBefore`: a
 * tombstone, a licence deleted outright), whose receivers had its `deleted` event when it was deleted.
 */
export function eventFor(
  objectType: AuditObjectType,
  action: AuditAction,
  deletedBefore = false,
): { type: EventType; change: ChangeKind } | null {
  const kind = KIND_OF[objectType];
  const change = CHANGE_OF[action];
  if (!kind || !change || (action === 'destroy' && deletedBefore)) return null;
  const suffix = action === 'rederive' ? 'licence-status-rederived' : change;
  const type = EVENT_TYPES.find((t) => t === `${P}.${kind}.${suffix}`);
  // Only the types the registry announces (a re-derivation is an enforcement action's alone).
  return type ? { type, change } : null;
}

export const SUBSCRIPTION_STATUSES = ['active', 'disabled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];
export const DELIVERY_OUTCOMES = ['succeeded', 'failed'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

export interface SubscriptionInput {
  callbackUrl: string;
  eventTypes: EventType[];
  municipalityCode?: string | null | undefined;
  description?: string | null | undefined;
  status?: SubscriptionStatus | undefined;
}

export interface Subscription {
  id: string;
  callbackUrl: string;
  eventTypes: EventType[];
  municipalityCode: string | null;
  description: string | null;
  status: SubscriptionStatus;
  disabledAt: string | null;
  disabledReason: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface DeliveryAttempt {
  id: string;
  eventId: string;
  eventType: string;
  subject: string;
  attempt: number;
  outcome: DeliveryOutcome;
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  responseExcerpt: string | null;
  attemptedAt: string;
}

/** Hosts (lower case) that may be called over plain http: loopback for tests and local development. */
export type PlainHttpHosts = readonly string[];

/**
 * A callback URL's problems: https only (http for listed hosts), no credentials, no fragment, no port
 * 0, no IP literal the sender never calls (link-local, metadata, unspecified, multicast), none in a
 * private network (or loopback) the operator does not allow, and loopback (`localhost` too) only for a
 * listed host. A host name is checked
 * on what it resolves to, at every connection (src/infrastructure/webhooks.ts).
 */
export function checkCallbackUrl(value: string, plainHttpHosts: PlainHttpHosts, privateNetworks: PrivateNetworks): InvalidParam[] {
  const bad = (code: string, reason: string): InvalidParam[] => [{ name: 'callbackUrl', code, reason }];
  // The URL parser drops spaces around a URL; the URL is kept as sent, so what is kept is what is called.
  if (/^ | $/.test(value)) return bad('surrounding_space', 'must not begin or end with a space');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return bad('invalid_url', 'must be an absolute URL');
  }
  const host = hostOf(url);
  if (url.protocol === 'http:' && !plainHttpHosts.includes(host)) {
    return bad('https_required', 'must use https (plain http only for the hosts NOTIFICATIONS_HTTP_HOSTS lists)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return bad('https_required', 'must use https');
  if (url.username || url.password) return bad('credentials_in_url', 'must not hold a user name or password');
  // An empty fragment (`…/hook#`) leaves url.hash '' but is kept in the URL: refused all the same.
  if (url.hash || url.href.includes('#')) return bad('fragment_in_url', 'must not have a fragment');
  // Port 0 is no port to Node: the call would go to the scheme's default port instead.
  if (url.port === '0') return bad('invalid_port', 'must not be port 0');
  const never = neverCalled(host);
  if (never) return bad('address_refused', `is a ${never}, which this registry never calls`);
  const privateRefused = () =>
    bad('private_network_refused', 'is an address in a private network this registry may not call (NOTIFICATIONS_PRIVATE_NETWORKS)');
  if (refusedInternal(host, privateNetworks)) return privateRefused();
  // As the sender judges it before it connects (refusedTarget in src/infrastructure/webhooks.ts): loopback only for a listed host,
  if (isLoopback(host) && !plainHttpHosts.includes(host)) {
    return bad('loopback_refused', 'is a loopback address, which this registry calls only for the hosts NOTIFICATIONS_HTTP_HOSTS lists');
  }
  // and localhost only where the setting lets it reach the addresses it resolves to.
  if (refusedLoopbackName(host, privateNetworks)) return privateRefused();
  return [];
}

/** An analyst's subscription (whoever makes or replaces it) has events without record content only: statistics. */
export function checkAnalystEventTypes(eventTypes: readonly string[]): InvalidParam[] {
  return eventTypes.flatMap((type, i) =>
    (STATISTICS_EVENT_TYPES as readonly string[]).includes(type)
      ? []
      : [
          {
            name: `eventTypes.${i}`,
            code: 'not_for_analysts',
            reason: 'analysts may subscribe only to events without record content (statistics)',
          },
        ],
  );
}

/** Who may subscribe to what: analysts to figures only; officers for their own municipality only. */
export function checkSubscription(
  input: SubscriptionInput,
  subscriber: { role: Role | 'system'; municipalityCode: string | null },
  plainHttpHosts: PlainHttpHosts,
  privateNetworks: PrivateNetworks,
): InvalidParam[] {
  const issues = checkCallbackUrl(input.callbackUrl, plainHttpHosts, privateNetworks);
  if (subscriber.role === 'analyst') issues.push(...checkAnalystEventTypes(input.eventTypes));
  if (subscriber.role === 'officer' && input.municipalityCode && input.municipalityCode !== subscriber.municipalityCode) {
    issues.push({
      name: 'municipalityCode',
      code: 'not_your_municipality',
      reason: 'an officer subscribes for their own municipality only',
    });
  }
  return issues;
}

/**
 * The CloudEvents `sequence` of an event (the Sequence extension): its place in the outbox, as 19
 * digits with leading zeros, so that comparing two as strings orders them as numbers (any bigint fits).
 * A change to a record holds the record's row lock until it commits, and its events are written after
 * the change, so of two events about one record the higher sequence is the later change. Events about different records
 * get theirs in the order their transactions wrote them, which need not be the order they committed in.
 */
export function sequenceOf(outboxSeq: number): string {
  return String(outboxSeq).padStart(19, '0');
}

/**
 * The wait before the next attempt after `attempts` failed ones: exponential from `baseMs`, at most
 * `maxMs`, with "full jitter" in its upper half, so that many failed deliveries do not retry in step.
 */
export function backoffMs(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(30, Math.max(0, attempts - 1)));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

/**
 * How long a receiver asked the sender to wait (the Retry-After of its 429 or 503: RFC 9110 §10.2.3,
 * delay-seconds or an HTTP-date), in ms from `now`; null when it did not ask, or not legibly. CloudEvents'
 * HTTP webhook spec (§2.2, adopted by the NL GOV profile) has the sender observe it.
 */
export function retryAfterMs(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Math.min(Number(text), 2 ** 31) * 1000;
  const at = parseHttpDate(text, now);
  return at === null ? null : Math.max(0, at - now);
}

/**
 * When a failed attempt is tried next, in ms from now: the backoff, or longer when the receiver asked
 * for it (429 or 503 with Retry-After), but not past the end of the give-up period (`leftMs` from now)
 * beyond the backoff: the attempt made then is the last if it fails too.
 */
export function nextRetryMs(backoff: number, askedMs: number | null, leftMs: number): number {
  return Math.max(backoff, Math.min(askedMs ?? 0, leftMs));
}

/** A receiver's 410 Gone: it asks for no more deliveries (CloudEvents HTTP webhook §2.2, Standard Webhooks). */
export const GONE = 410;

import { z } from 'zod';
import { DELIVERY_OUTCOMES, EVENT_TYPES, SUBSCRIPTION_STATUSES } from '../../domain/notifications.js';
import {
  codeList,
  Id,
  MunicipalityCode,
  oneLine,
  Pagination,
  prose,
  Timestamp,
  timestampInput,
  Version,
  withoutPersonalDataInLink,
} from './common.js';
import { pageOf, READ_ONLY_RULE, readOnlyMembers } from './records.js';

export const EventType = codeList(
  'EventType',
  EVENT_TYPES,
  'A CloudEvents type (NL GOV profile, reverse-DNS): a record created, changed or deleted, an enforcement action’s licence status re-derived, or the statistics of a municipality and year changed. Analysts may subscribe to statistics.changed only. See docs/notifications.md.',
);

export const SubscriptionStatus = codeList(
  'SubscriptionStatus',
  SUBSCRIPTION_STATUSES,
  'active: events are delivered. disabled: they wait (set by a client, or by the registry after deliveries kept failing); set active again to re-enable.',
);

export const SubscriptionWrite = z
  .strictObject({
    callbackUrl: withoutPersonalDataInLink(oneLine().max(2000)).meta({
      description:
        'Where events are POSTed (CloudEvents structured mode). https; plain http only to a host the operator lists in NOTIFICATIONS_HTTP_HOSTS. Redirects are not followed. No personal data in its path or query (an e-mail address, a mobile number or a BSN is refused).',
    }),
    eventTypes: z
      .array(EventType)
      .min(1)
      .max(EVENT_TYPES.length)
      .refine((a) => new Set(a).size === a.length, { message: 'must not repeat an event type', params: { rule: 'duplicate' } })
      .meta({ description: 'The event types to deliver, each once.', uniqueItems: true }),
    municipalityCode: MunicipalityCode.nullable().optional().meta({
      description: 'Only events of this municipality. Officers: always their own (the default). Admins and analysts: omit for all.',
    }),
    description: prose(0, 200)
      .nullable()
      .optional()
      .meta({ description: 'What the subscription is for. No personal data (an e-mail address, a mobile number or a BSN is refused).' }),
    status: SubscriptionStatus.optional().meta({
      description:
        'Left out: active on a create; on a PUT, the status it has (a subscription the registry disabled stays disabled). Setting a disabled subscription active re-enables it.',
    }),
  })
  .meta({ id: 'SubscriptionWrite' });

/** What a subscription's GET shows beyond what is written: a PUT may carry it back unchanged. */
const subscriptionReadOnly = readOnlyMembers({
  id: Id,
  disabledAt: Timestamp.nullable(),
  disabledReason: z.string().nullable(),
  previousSecretExpiresAt: Timestamp.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  version: Version,
});

/** The names of the read-only fields, for the route (src/http/routes/revisions.ts). */
export const SUBSCRIPTION_READ_ONLY = Object.keys(subscriptionReadOnly) as (keyof typeof subscriptionReadOnly)[];

export const SubscriptionReplace = SubscriptionWrite.extend(subscriptionReadOnly).meta({
  id: 'SubscriptionReplace',
  description: `A webhook subscription as sent to replace (PUT) it: the fields of a create. ${READ_ONLY_RULE}`,
});

export const Subscription = z
  .object({
    id: Id,
    callbackUrl: z.string(),
    eventTypes: z.array(EventType),
    municipalityCode: MunicipalityCode.nullable(),
    description: z.string().nullable(),
    status: SubscriptionStatus,
    disabledAt: Timestamp.nullable(),
    disabledReason: z.string().nullable(),
    previousSecretExpiresAt: Timestamp.nullable().meta({ description: 'Until then deliveries are signed with the previous secret too.' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Version,
  })
  .meta({ id: 'Subscription', description: 'A webhook subscription: which events go to which URL, signed with its secret.' });

export const SubscriptionWithSecret = Subscription.extend({
  secret: z.string().meta({
    description: 'The Standard Webhooks signing secret (whsec_…). Shown only in this response: store it safely.',
  }),
}).meta({ id: 'SubscriptionWithSecret' });

export const SubscriptionPage = pageOf(Subscription, 'SubscriptionPage');

export const SecretRotation = z
  .strictObject({
    previousSecretValidHours: z
      .number()
      .int()
      .min(0)
      .max(168)
      .default(24)
      .meta({ description: 'How long deliveries stay signed with the old secret too (0: not at all).' }),
  })
  .meta({ id: 'SecretRotation' });

export const Redelivery = z
  .strictObject({
    since: timestampInput().nullable().optional().meta({
      description:
        'Only deliveries made since then (a delivery is made when its event is fanned out, seconds after it happened), whenever they were given up; omit for every delivery that was given up.',
    }),
  })
  .meta({ id: 'Redelivery' });

export const RedeliveryResult = z
  .object({ redelivered: z.number().int().meta({ description: 'Deliveries that will be attempted again.' }) })
  .meta({ id: 'RedeliveryResult' });

export const DeliveryOutcome = codeList('DeliveryOutcome', DELIVERY_OUTCOMES, 'succeeded (a 2xx answer) or failed.');

export const DeliveryAttempt = z
  .object({
    id: Id,
    eventId: Id,
    eventType: z.string(),
    subject: z.string(),
    attempt: z.number().int().meta({ description: 'The attempt’s number for this event and subscription, from 1.' }),
    outcome: DeliveryOutcome,
    statusCode: z.number().int().nullable(),
    durationMs: z.number().int(),
    error: z.string().nullable(),
    responseExcerpt: z.string().nullable().meta({
      description: 'The first 200 printable characters of the answer, at most; null for an answer from a private-network address.',
    }),
    attemptedAt: Timestamp,
  })
  .meta({ id: 'DeliveryAttempt', description: 'One attempt to deliver one event.' });

export const DeliveryAttemptPage = pageOf(DeliveryAttempt, 'DeliveryAttemptPage');

export const DeliveryQuery = Pagination.extend({
  outcome: DeliveryOutcome.optional(),
  status: DeliveryOutcome.optional().meta({
    description: 'Deprecated: the former name of outcome, still accepted. Send outcome, the name of the field it filters on.',
    deprecated: true,
  }),
}).refine((q) => !q.status || !q.outcome || q.status === q.outcome, {
  message: 'status is the deprecated name of outcome: send one of them, not two different outcomes',
  params: { rule: 'duplicate' },
  path: ['status'],
});

import { z } from 'zod';
import { RECORD_DATA_SCHEMA, STATISTICS_DATA_SCHEMA } from '../../application/notifications/outbox.js';
import { Id, MunicipalityCode, Timestamp } from './common.js';
import { EventType } from './subscriptions.js';

/**
 * What a subscription's receiver gets: the CloudEvent (1.0, NL GOV profile) the dispatcher POSTs to
 * its callbackUrl, described in the document as createSubscription's callback (plugins/openapi.ts), so
 * that a receiver can be generated and checked like a client. Built by `eventsOf()` in
 * src/application/notifications/outbox.ts; test/process/notifications.test.ts holds every delivered
 * event to this description. Loose objects: a receiver must accept attributes added later.
 */

/** What the NL GOV profile asks an event's `dataschema` to say of a random `id`. */
const ID_LIMITS =
  'The event’s `id` beside it is a random UUID, made when the change was written: it has no relation to the change or the record beyond this event, cannot be looked up, and serves only to de-duplicate (by source and id).';

const RecordEventData = z
  .looseObject({
    id: Id.meta({ description: 'The record’s id (the event’s subject).' }),
    establishmentId: Id.optional().meta({ description: 'A licence’s or an enforcement action’s establishment.' }),
    municipalityCode: MunicipalityCode,
    change: z.enum(['created', 'changed', 'deleted', 'licence_status_rederived']).meta({
      description:
        'What happened to the record; `deleted` also for a record destroyed past its retention period (Archiefwet) that was not deleted before.',
    }),
  })
  .meta({
    id: RECORD_DATA_SCHEMA,
    description: `The data of an event about one record: identifiers only, never its content. ${ID_LIMITS}`,
  });

const StatisticsEventData = z
  .looseObject({
    year: z.int().min(1).max(9999).meta({ description: 'The year (of the decision date) whose figures changed.' }),
    municipalityCode: MunicipalityCode,
    change: z.enum(['statistics_changed']),
  })
  .meta({
    id: STATISTICS_DATA_SCHEMA,
    description: `The data of statistics.changed: the municipality and year whose figures (or reporting status) changed. ${ID_LIMITS}`,
  });

export const RegistryEvent = z
  .looseObject({
    specversion: z.enum(['1.0']).meta({ description: 'CloudEvents 1.0.' }),
    id: Id.meta({
      description:
        'A random UUID made when the change was written: the same on every attempt, redelivery and subscription (also sent as webhook-id). De-duplicate by source and id; it names no record and cannot be looked up.',
    }),
    source: z.string().min(1).meta({
      description: 'The registry that sent it: NOTIFICATIONS_SOURCE, a URN (or an https URL).',
      example: 'urn:nld:enforcement-registry',
    }),
    type: EventType,
    subject: z.string().min(1).meta({
      description: 'The record’s id, or for statistics.changed the municipality and year (`GM0363-2019`).',
      example: '9c027a9d-5e2f-4f0a-a0a4-2a4e1c0d1b11',
    }),
    time: Timestamp.meta({
      description: 'When the change’s events were written, in its transaction just before it committed (the service’s clock).',
    }),
    sequence: z
      .string()
      .regex(/^[0-9]{19}$/)
      .meta({
        description:
          'The CloudEvents Sequence extension: the event’s place in the outbox, 19 digits, so that strings compare as numbers. Of two events about one record, the higher is the later change; numbers may be skipped.',
        example: '0000000000000000042',
      }),
    dataref: z.url().meta({ description: 'Where to fetch the record (or the figures), with your own token.' }),
    datacontenttype: z.enum(['application/json']),
    dataschema: z.url().optional().meta({
      description:
        'The schema of `data`: this document’s `RecordEventData` or `StatisticsEventData` (under `PUBLIC_BASE_URL`), which also says what the random `id` is not. Sent since API-Version 1.2.0; an event written before has none.',
      example: 'https://handhavingsregister.example.nl/v1/openapi.json#/components/schemas/RecordEventData',
    }),
    data: z.union([RecordEventData, StatisticsEventData]),
  })
  .meta({
    id: 'RegistryEvent',
    description:
      'A CloudEvent (1.0, NL GOV profile for CloudEvents) in structured mode, as POSTed to a subscription’s callbackUrl. See docs/notifications.md.',
  });

const header = (name: string, description: string, example: string) => ({
  name,
  in: 'header',
  required: true,
  description,
  schema: { type: 'string', example },
});

/** createSubscription's callback in the document: the request the dispatcher makes, and what each answer does. */
export const eventDelivery = {
  '{$request.body#/callbackUrl}': {
    post: {
      operationId: 'receiveRegistryEvent',
      summary: 'An event delivered to the subscription’s callbackUrl',
      description:
        'One event per request, signed as Standard Webhooks prescribes (verify the signature over the body’s bytes before parsing it). At least once, in order per subject; see docs/notifications.md for retries, giving up and redelivery.',
      parameters: [
        header('webhook-id', 'The event’s id: the de-duplication key.', '0b7c1f8e-4bb5-4cf4-9d0e-6a1c1b0f3f6e'),
        header(
          'webhook-timestamp',
          'When this attempt was made, in seconds since 1970 (UTC); refuse one more than five minutes off.',
          '1764621948',
        ),
        header(
          'webhook-signature',
          '`v1,` and the base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` with the subscription’s secret (the base64 after `whsec_`); two, separated by a space, while a rotated secret overlaps: accept either.',
          'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
        ),
      ],
      requestBody: {
        required: true,
        content: { 'application/cloudevents+json': { schema: { $ref: '#/components/schemas/RegistryEvent' } } },
      },
      responses: {
        '2XX': { description: 'Delivered: any 2xx (202 Accepted when the receiver works on it afterwards).' },
        '400': {
          description:
            'The receiver refuses the request (as 401 for a signature it cannot verify): tried again like any other failure, since a rotated secret or a fixed receiver may accept it later.',
        },
        '410': { description: 'Gone: the receiver wants no more events. The delivery is given up and the subscription disabled at once.' },
        '429': {
          description:
            'Too many requests: tried again after the backoff, or after Retry-After (seconds or an HTTP date) when that is later, as far as the give-up period’s end.',
        },
        '503': { description: 'Unavailable: as 429.' },
        default: {
          description:
            'Any other answer (a redirect is not followed), or none in time: tried again with backoff; after NOTIFICATIONS_GIVE_UP_AFTER_MS of failures given up, and the subscription disabled.',
        },
      },
    },
  },
};

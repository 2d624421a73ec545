import { index, integer, jsonb, pgTable, primaryKey, text, uuid } from 'drizzle-orm/pg-core';
import { ts } from './schema-columns.js';

/**
 * Idempotency keys of POST requests (IETF httpapi Idempotency-Key draft), one per client and key.
 * The row is written in the same transaction as the record the request creates, so a retry either
 * finds both or neither. The response is replayed to retries until `expires_at`.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    clientId: uuid('client_id').notNull(),
    key: text('key').notNull(),
    /** SHA-256 of method, path and the canonical JSON body: the same key with another request is a 422. */
    fingerprint: text('fingerprint').notNull(),
    responseStatus: integer('response_status').notNull(),
    /** The response body exactly as sent (serialised JSON). */
    responseBody: text('response_body').notNull(),
    /** Headers that matter to a retry: Content-Type, Location, ETag. */
    responseHeaders: jsonb('response_headers').notNull(),
    /** Fields left out of the stored body because they may be shown only once (an API client's token). */
    withheld: text('withheld').array(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientId, t.key] }), index('idempotency_keys_expires_at_idx').on(t.expiresAt)],
);

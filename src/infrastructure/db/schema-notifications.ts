import { sql } from 'drizzle-orm';
import { bigint, bigserial, index, integer, jsonb, pgTable, smallint, text, uuid } from 'drizzle-orm/pg-core';
import { changed, partOf, ts } from './schema-columns.js';

/**
 * Notification subscriptions (webhooks): where to deliver which events. An officer's subscription
 * is bound to their municipality (`municipality_code`, also the row-level security column); an
 * admin's may leave it null (every municipality). The signing secrets are kept in plain form
 * because the dispatcher must sign with them; they never appear in the API after creation.
 */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: uuid('id').primaryKey(),
    callbackUrl: text('callback_url').notNull(),
    eventTypes: text('event_types').array().notNull(),
    municipalityCode: text('municipality_code'),
    description: text('description'),
    /** 'active' | 'disabled' */
    status: text('status').notNull(),
    disabledAt: ts('disabled_at'),
    disabledReason: text('disabled_reason'),
    /** The current Standard Webhooks secret (whsec_…), and the previous one while its overlap lasts. */
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: ts('previous_secret_expires_at'),
    ownerClientId: uuid('owner_client_id').notNull(),
    ownerRole: text('owner_role').notNull(),
    ...changed(),
  },
  (t) => [index('subscriptions_municipality_idx').on(t.municipalityCode)],
);

/**
 * The transactional outbox: one row per event, written by the command's own transaction (a
 * CommitHook), so an event exists if and only if its change committed. `seq` orders events;
 * `fanned_out_at` is set once the dispatcher has made its deliveries.
 */
export const outboxEvents = pgTable(
  'outbox_events',
  {
    seq: bigserial('seq', { mode: 'number' }).primaryKey(),
    id: uuid('id').notNull().unique(),
    type: text('type').notNull(),
    subject: text('subject').notNull(),
    municipalityCode: text('municipality_code'),
    occurredAt: ts('occurred_at').notNull(),
    /** The whole CloudEvent as sent (ids and codes only, never record content). */
    event: jsonb('event').notNull(),
    fannedOutAt: ts('fanned_out_at'),
  },
  (t) => [index('outbox_events_pending_idx').on(t.seq).where(sql`fanned_out_at is null`)],
);

/**
 * One event for one subscription: pending until delivered or given up. `lease_until` marks a claim
 * by one dispatcher (taken with FOR UPDATE SKIP LOCKED): a dispatcher that dies mid-delivery leaves
 * a lease that expires, and the delivery is attempted again.
 */
export const deliveries = pgTable(
  'deliveries',
  {
    id: uuid('id').primaryKey(),
    subscriptionId: partOf('subscription_id', () => subscriptions.id),
    eventSeq: bigint('event_seq', { mode: 'number' })
      .notNull()
      .references(() => outboxEvents.seq),
    subject: text('subject').notNull(),
    /** 'pending' | 'delivered' | 'abandoned' */
    status: text('status').notNull(),
    attempts: smallint('attempts').notNull().default(0),
    nextAttemptAt: ts('next_attempt_at').notNull(),
    leaseUntil: ts('lease_until'),
    leaseId: uuid('lease_id'),
    createdAt: ts('created_at').notNull(),
    /** When the give-up period of this delivery started: its creation, or the subscription's re-enabling. */
    dueSince: ts('due_since').notNull(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('deliveries_due_idx').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index('deliveries_subject_idx').on(t.subscriptionId, t.subject, t.eventSeq).where(sql`status = 'pending'`),
    // The prune (NOTIFICATIONS_KEEP_DAYS): finished deliveries oldest first, and whether an event is still referred to
    // (also what the foreign key looks up when an event is deleted).
    index('deliveries_finished_idx').on(t.finishedAt).where(sql`status <> 'pending'`),
    index('deliveries_event_seq_idx').on(t.eventSeq),
  ],
);

/** The delivery log: one row per attempt, with a small excerpt of the response at most. */
export const deliveryAttempts = pgTable(
  'delivery_attempts',
  {
    id: uuid('id').primaryKey(),
    deliveryId: partOf('delivery_id', () => deliveries.id),
    subscriptionId: uuid('subscription_id').notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    subject: text('subject').notNull(),
    attempt: smallint('attempt').notNull(),
    /** 'succeeded' | 'failed' */
    outcome: text('outcome').notNull(),
    statusCode: smallint('status_code'),
    durationMs: integer('duration_ms').notNull(),
    error: text('error'),
    responseExcerpt: text('response_excerpt'),
    attemptedAt: ts('attempted_at').notNull(),
  },
  (t) => [
    index('delivery_attempts_subscription_idx').on(t.subscriptionId, t.attemptedAt),
    // What ON DELETE CASCADE looks up when a delivery is pruned.
    index('delivery_attempts_delivery_idx').on(t.deliveryId),
  ],
);

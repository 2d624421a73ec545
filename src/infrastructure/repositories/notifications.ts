import { and, desc, eq, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../db/client.js';
import { deliveryAttempts, outboxEvents, subscriptions } from '../db/schema-notifications.js';
import { inScope, type TenantScope } from '../db/tenant.js';
import { appendRows, arrayParam, insertRow, type PageRequest, rawRows, selectOne, selectPage, updateRow } from './rows.js';

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type SubscriptionValues = typeof subscriptions.$inferInsert;
export type OutboxEventValues = typeof outboxEvents.$inferInsert;

// ── subscriptions ────────────────────────────────────────────────────────────────────────────────

/** Officers see their municipality's subscriptions, analysts their own, admins all (row-level security holds the first). */
const visible = (scope: TenantScope, ownerClientId: string | null): SQL | undefined =>
  and(inScope(subscriptions.municipalityCode, scope), ownerClientId ? eq(subscriptions.ownerClientId, ownerClientId) : undefined);

/**
 * How every reason the dispatcher disables a subscription with begins (a client's pause does not):
 * what tells a given-up subscription from a paused one, for the registry_subscriptions_given_up metric.
 */
export const GIVEN_UP_REASON = 'deliveries ';

/** Subscriptions the dispatcher disabled (their reason begins with GIVEN_UP_REASON). */
export const givenUp = sql`status = 'disabled' and starts_with(disabled_reason, ${GIVEN_UP_REASON})`;

export const findSubscription = (q: Queryable, scope: TenantScope, ownerClientId: string | null, id: string, forUpdate = false) =>
  selectOne(q, subscriptions, and(visible(scope, ownerClientId), eq(subscriptions.id, id)), forUpdate);

export const listSubscriptions = (q: Queryable, scope: TenantScope, ownerClientId: string | null, page: PageRequest) =>
  selectPage(q, subscriptions, visible(scope, ownerClientId), [subscriptions.createdAt, subscriptions.id], page);

/** Every active subscription's id and callback URL (system scope: the start-up check of the callback settings). */
export const activeCallbacks = (q: Queryable) =>
  q
    .select({ id: subscriptions.id, callbackUrl: subscriptions.callbackUrl })
    .from(subscriptions)
    .where(eq(subscriptions.status, 'active'))
    .orderBy(subscriptions.createdAt, subscriptions.id);

export const insertSubscription = (q: Queryable, values: SubscriptionValues) => insertRow(q, subscriptions, values);

export const updateSubscription = (q: Queryable, id: string, values: Partial<SubscriptionValues>) =>
  updateRow(q, subscriptions, subscriptions.id, id, values);

export async function deleteSubscription(q: Queryable, id: string): Promise<void> {
  await q.delete(subscriptions).where(eq(subscriptions.id, id));
}

/** The subscription `s` wants the event `e`: one of its types, for its municipality (or all). */
const wants = sql`e.type = any (s.event_types) and (s.municipality_code is null or s.municipality_code = e.municipality_code)`;

/**
 * A re-enabled subscription's waiting deliveries are due now, and their give-up period starts again,
 * with its attempts (and so its backoff) counted from the first.
 */
export async function restartPendingDeliveries(q: Queryable, subscriptionId: string): Promise<void> {
  await q.execute(
    sql`update deliveries set next_attempt_at = now(), due_since = now(), attempts = 0
        where subscription_id = ${subscriptionId} and status = 'pending'`,
  );
}

/**
 * After a change of a subscription's types or municipality: its waiting deliveries of events it no
 * longer wants are not sent (a receiver that refuses them would otherwise get it disabled over them).
 */
export async function dropUnwantedDeliveries(q: Queryable, subscriptionId: string): Promise<void> {
  // Set aside as abandoned, lease cleared: an attempt in flight is logged but moves it no more.
  await q.execute(
    sql`update deliveries d set status = 'abandoned', finished_at = now(), lease_until = null, lease_id = null
        from outbox_events e, subscriptions s
        where d.subscription_id = ${subscriptionId} and d.status = 'pending' and e.seq = d.event_seq
          and s.id = d.subscription_id and not (${wants})`,
  );
}

/**
 * Abandoned deliveries (since a moment) of events the subscription still wants become pending again,
 * due now, attempts counted afresh; returns how many.
 */
export async function redeliverAbandoned(q: Queryable, subscriptionId: string, since: Date | null): Promise<number> {
  const rows = await rawRows<{ id: string }>(
    q,
    sql`update deliveries set status = 'pending', next_attempt_at = now(), due_since = now(), attempts = 0, finished_at = null,
          lease_until = null, lease_id = null
        where subscription_id = ${subscriptionId} and status = 'abandoned'
          and (${since ? since.toISOString() : null}::timestamptz is null or created_at >= ${since ? since.toISOString() : null}::timestamptz)
          and exists (select 1 from outbox_events e join subscriptions s on s.id = deliveries.subscription_id
                      where e.seq = deliveries.event_seq and ${wants})
        returning id`,
  );
  return rows.length;
}

export function listDeliveryAttempts(q: Queryable, subscriptionId: string, outcome: string | undefined, page: PageRequest) {
  const where = and(eq(deliveryAttempts.subscriptionId, subscriptionId), outcome ? eq(deliveryAttempts.outcome, outcome) : undefined);
  return selectPage(q, deliveryAttempts, where, [desc(deliveryAttempts.attemptedAt), desc(deliveryAttempts.id)], page);
}

// ── the outbox ──────────────────────────────────────────────────────────────────────────────────

export async function insertOutboxEvents(q: Queryable, events: OutboxEventValues[]): Promise<void> {
  await appendRows(q, outboxEvents, events);
}

/**
 * The subscription `s`'s owner is not a revoked API client. An owner that is no API client at all is
 * an OpenID Connect client (its id derived from issuer and client, src/application/identity.ts): its
 * tokens are the identity provider's to stop, so its subscriptions deliver until an admin deletes them.
 */
const ownerNotRevoked = sql`not exists (select 1 from api_clients c where c.id = s.owner_client_id and c.revoked_at is not null)`;

/**
 * Which events a subscription gets: those that become visible after it was made. An event's
 * `occurred_at` is taken inside its transaction, which may commit well after (an import's batch, a
 * commit waiting for the audit chain), so one stamped before the subscription's `created_at` may still
 * become visible after the subscription's 201: it must not be missed. The fan-out sees a subscription only
 * once it has committed, so every event it then handles is one the subscription may get; events stamped
 * up to FAN_OUT_LOOKBACK before it are included, which no transaction of this service outlasts. Events
 * older than that, never sent out (no dispatcher ran), are not sent to a subscription made later.
 */
const FAN_OUT_LOOKBACK = sql.raw(`interval '1 hour'`);

/**
 * Makes the deliveries of the oldest events not yet fanned out: one per active subscription that
 * wants the event's type, for its municipality (or all), whose owner is not revoked and which was
 * made before the event became visible (FAN_OUT_LOOKBACK). One dispatcher at a time does this (a transaction-level advisory
 * lock), so deliveries are made in event order (one that commits after higher-numbered ones were handled
 * is handled in the next round); returns how many events it handled (0 when another dispatcher holds the lock).
 */
export async function fanOut(q: Queryable, limit: number): Promise<number> {
  const [lock] = await rawRows<{ ok: boolean }>(q, sql`select pg_try_advisory_xact_lock(7244013) as ok`);
  if (!lock?.ok) return 0;
  const events = await rawRows<{ seq: string | number }>(
    q,
    sql`select seq from outbox_events where fanned_out_at is null order by seq limit ${limit} for update`,
  );
  if (events.length === 0) return 0;
  // Exactly the events locked above, by their numbers (not "seq <= the highest"): each statement sees
  // the commits made before it, so an event numbered lower that commits meanwhile (numbers are not
  // commit order) would be marked done by the update without a delivery from the insert. It is the next round's.
  const seqs = sql`${arrayParam(events.map((e) => String(e.seq)))}::bigint[]`;
  await q.execute(sql`
    insert into deliveries (id, subscription_id, event_seq, subject, status, attempts, next_attempt_at, created_at, due_since)
    select gen_random_uuid(), s.id, e.seq, e.subject, 'pending', 0, now(), now(), now()
    from outbox_events e
    join subscriptions s on ${wants} and s.created_at <= e.occurred_at + ${FAN_OUT_LOOKBACK}
    where e.seq = any (${seqs})
      and ${ownerNotRevoked}
    order by e.seq`);
  await q.execute(sql`update outbox_events set fanned_out_at = now() where seq = any (${seqs})`);
  return events.length;
}

/** A delivery claimed by one dispatcher, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  leaseId: string;
  attempts: number;
  dueSince: Date;
  subscriptionId: string;
  callbackUrl: string;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  eventId: string;
  eventType: string;
  subject: string;
  /** The event's place in the outbox (`outbox_events.seq`). */
  eventSeq: number;
  event: unknown;
}

/**
 * Claims up to `limit` due deliveries for `leaseMs` (FOR UPDATE SKIP LOCKED: two dispatchers never
 * claim the same one), of subscriptions whose owner is not revoked: what was queued before a revocation
 * is not sent after it. Only the oldest pending delivery of each subscription and subject is due, so
 * one record's events never overtake each other; a delivery whose lease ran out (its dispatcher died)
 * is due again. A delivery's first claim sets `due_since`, from which NOTIFICATIONS_GIVE_UP_AFTER_MS counts.
 */
export async function claimDue(q: Queryable, limit: number, leaseMs: number, leaseId: string): Promise<ClaimedDelivery[]> {
  const rows = await rawRows<Record<string, unknown>>(
    q,
    sql`
    with due as (
      select d.id from deliveries d
      join subscriptions s on s.id = d.subscription_id and s.status = 'active'
      where d.status = 'pending' and d.next_attempt_at <= now() and (d.lease_until is null or d.lease_until < now())
        and ${ownerNotRevoked}
        and not exists (
          select 1 from deliveries e
          where e.subscription_id = d.subscription_id and e.subject = d.subject and e.status = 'pending' and e.event_seq < d.event_seq)
      order by d.event_seq
      limit ${limit}
      for update of d skip locked
    ), claimed as (
      -- A first attempt starts the give-up clock: a delivery that waited behind an earlier one of its
      -- subject (in order, as above) has not been failing while it waited.
      update deliveries d set lease_until = now() + make_interval(secs => ${leaseMs / 1000}), lease_id = ${leaseId},
             attempts = d.attempts + 1, due_since = case when d.attempts = 0 then now() else d.due_since end
      from due where d.id = due.id
      returning d.id, d.attempts, d.due_since, d.subscription_id, d.event_seq
    )
    select c.id, c.attempts, c.due_since, c.subscription_id, s.callback_url, s.secret, s.previous_secret, s.previous_secret_expires_at,
           e.id as event_id, e.type as event_type, e.subject, e.seq as event_seq, e.event
    from claimed c join subscriptions s on s.id = c.subscription_id join outbox_events e on e.seq = c.event_seq
    order by c.event_seq`,
  );
  const date = (v: unknown) => (v === null || v === undefined ? null : v instanceof Date ? v : new Date(String(v)));
  return rows.map((r) => ({
    id: String(r.id),
    leaseId,
    attempts: Number(r.attempts),
    dueSince: date(r.due_since) as Date,
    subscriptionId: String(r.subscription_id),
    callbackUrl: String(r.callback_url),
    secret: String(r.secret),
    previousSecret: (r.previous_secret as string | null) ?? null,
    previousSecretExpiresAt: date(r.previous_secret_expires_at),
    eventId: String(r.event_id),
    eventType: String(r.event_type),
    subject: String(r.subject),
    eventSeq: Number(r.event_seq),
    event: typeof r.event === 'string' ? JSON.parse(r.event) : r.event,
  }));
}

export type AttemptValues = typeof deliveryAttempts.$inferInsert;

/**
 * Records an attempt and moves its delivery on: delivered, due again at `nextAttemptAt`, or
 * abandoned (`nextAttemptAt` null). The delivery is locked first: one deleted meanwhile (with its
 * subscription) leaves nothing to record. Its state moves only while the lease is still this
 * dispatcher's; after a lease ran out another dispatcher owns it. A failure does not hold back a
 * delivery restarted while its call was under way (its subscription re-enabled: `attempts` no longer
 * the claimed one), nor give one up whose subscription its owner paused meanwhile: either is due again
 * (once the subscription is active), counted as the restart left it. Returns what became of it.
 */
export async function recordAttempt(
  q: Queryable,
  d: { id: string; leaseId: string; attempts: number },
  attempt: AttemptValues,
  next: { delivered: true } | { delivered: false; nextAttemptAt: Date | null },
): Promise<'not-held' | 'moved' | 'abandoned'> {
  const [row] = await rawRows<{ lease_id: string | null; attempts: number; subscription_status: string }>(
    q,
    sql`select d.lease_id, d.attempts, s.status as subscription_status
        from deliveries d join subscriptions s on s.id = d.subscription_id
        where d.id = ${d.id} for update of d`,
  );
  if (!row) return 'not-held';
  await q.insert(deliveryAttempts).values(attempt);
  if (row.lease_id !== d.leaseId) return 'not-held';
  const restarted = Number(row.attempts) !== d.attempts;
  const paused = row.subscription_status !== 'active';
  const waitsAgain = !next.delivered && (restarted || (paused && next.nextAttemptAt === null));
  const status = next.delivered ? 'delivered' : next.nextAttemptAt || waitsAgain ? 'pending' : 'abandoned';
  const nextAt = waitsAgain ? new Date().toISOString() : !next.delivered && next.nextAttemptAt ? next.nextAttemptAt.toISOString() : null;
  await q.execute(
    sql`update deliveries set status = ${status}, lease_until = null, lease_id = null,
          next_attempt_at = coalesce(${nextAt}::timestamptz, next_attempt_at),
          finished_at = case when ${status} = 'pending' then null else now() end
        where id = ${d.id}`,
  );
  return status === 'abandoned' ? 'abandoned' : 'moved';
}

/**
 * Gives a claimed delivery back unattempted (its call was cut by a shutdown): due again at once for any
 * dispatcher, instead of when the lease runs out. Only while this claim still holds it.
 */
export async function releaseDelivery(q: Queryable, d: { id: string; leaseId: string }): Promise<void> {
  // Not below 0: a delivery restarted during the call (attempts 0) stays at 0.
  await q.execute(sql`update deliveries set lease_until = null, lease_id = null, attempts = greatest(attempts - 1, 0)
    where id = ${d.id} and lease_id = ${d.leaseId}`);
}

/**
 * The undelivered work: events not yet fanned out plus pending deliveries of active subscriptions
 * whose owner is not revoked (what a revoked owner's subscription had queued is never sent), and the oldest one's age.
 */
export async function backlog(q: Queryable): Promise<{ backlog: number; oldestUndeliveredAgeSeconds: number | null }> {
  const [row] = await rawRows<{ n: string | number; oldest: unknown }>(
    q,
    sql`
    with waiting as (
      select occurred_at from outbox_events where fanned_out_at is null
      union all
      select e.occurred_at from deliveries d
        join subscriptions s on s.id = d.subscription_id and s.status = 'active'
        join outbox_events e on e.seq = d.event_seq
      where d.status = 'pending' and ${ownerNotRevoked})
    select count(*) as n, extract(epoch from now() - min(occurred_at))::float8 as oldest from waiting`,
  );
  const oldest = row?.oldest === null || row?.oldest === undefined ? null : Math.max(0, Math.round(Number(row.oldest)));
  return { backlog: Number(row?.n ?? 0), oldestUndeliveredAgeSeconds: oldest };
}

/**
 * Removes up to `limit` deliveries delivered or given up before `cutoff`, oldest first (their attempts
 * go with them: ON DELETE CASCADE); pending ones, a disabled subscription's too, stay. Rows another
 * transaction holds are skipped (SKIP LOCKED: two instances pruning at once take different rows and
 * cannot deadlock, and a redelivery under way keeps its row); the status test is repeated on the
 * DELETE, so a row made pending again is re-checked on its new version and kept.
 */
export async function pruneDeliveries(q: Queryable, cutoff: Date, limit: number): Promise<number> {
  const before = cutoff.toISOString();
  const rows = await rawRows<{ id: string }>(
    q,
    sql`delete from deliveries
        where id in (select id from deliveries where status <> 'pending' and finished_at < ${before}::timestamptz
                     order by finished_at limit ${limit} for update skip locked)
          and status <> 'pending' and finished_at < ${before}::timestamptz
        returning id`,
  );
  return rows.length;
}

/**
 * Looks at the `limit` events after `after` in event order and removes those fanned out before
 * `cutoff` that no delivery refers to any more (skipping rows another transaction holds, as above). A walk in steps by the primary key, so each step costs
 * its own events and their index look-ups, not a pass over both tables. `last` is where the next step
 * starts; `done` when the step reached the end or events too recent to go (the order of events is
 * roughly that of their fan-out), and the walk starts over at the next prune.
 */
export async function pruneEvents(
  q: Queryable,
  cutoff: Date,
  after: number,
  limit: number,
): Promise<{ removed: number; looked: number; last: number; done: boolean }> {
  const before = cutoff.toISOString();
  const [row] = await rawRows<{ removed: unknown; looked: unknown; last: unknown; recent: unknown }>(
    q,
    sql`with step as (
          select seq, fanned_out_at from outbox_events where seq > ${after} order by seq limit ${limit}
        ), doomed as (
          select o.seq from outbox_events o join step on step.seq = o.seq
          where o.fanned_out_at < ${before}::timestamptz
            and not exists (select 1 from deliveries d where d.event_seq = o.seq)
          for update of o skip locked
        ), gone as (
          delete from outbox_events o using doomed where o.seq = doomed.seq returning o.seq
        )
        select (select count(*) from gone) as removed, (select count(*) from step) as looked,
               (select max(seq) from step) as last,
               (select count(*) from step where fanned_out_at is null or fanned_out_at >= ${before}::timestamptz) as recent`,
  );
  const looked = Number(row?.looked ?? 0);
  return {
    removed: Number(row?.removed ?? 0),
    looked,
    last: row?.last === null || row?.last === undefined ? after : Number(row.last),
    done: looked < limit || Number(row?.recent ?? 0) > 0,
  };
}

import { randomUUID } from 'node:crypto';
import { backoffMs, GONE, nextRetryMs, retryAfterMs, sequenceOf } from '../../domain/notifications.js';
import type { Database, Tx } from '../../infrastructure/db/client.js';
import { withTenant } from '../../infrastructure/db/tenant.js';
import {
  backlog,
  type ClaimedDelivery,
  claimDue,
  fanOut,
  findSubscription,
  GIVEN_UP_REASON,
  pruneDeliveries,
  pruneEvents,
  recordAttempt,
  releaseDelivery,
} from '../../infrastructure/repositories/notifications.js';
import { createWebhookSender, type OutboundPolicy, signatures } from '../../infrastructure/webhooks.js';
import { type LoopLog, repeatedFailure } from '../../lib/repeated-failure.js';

export interface DispatcherOptions extends OutboundPolicy {
  /** How long the dispatcher sleeps when there is nothing to do. */
  pollMs: number;
  /** The first retry waits about this long; each next one twice as long (with jitter), at most an hour. */
  backoffBaseMs: number;
  /** A delivery failing for this long is given up, and its subscription disabled. */
  giveUpAfterMs: number;
  /** Deliveries sent at once by one dispatcher. */
  batchSize: number;
  /** How long finished deliveries (with their attempts) and fanned-out events are kept; 0 keeps them for good. */
  keepMs: number;
  /** Rows one prune step removes or looks at: finished deliveries, or events in the walk. */
  pruneBatch: number;
}

/** The minimal logger the dispatcher writes to (pino's shape). Never record content: ids, types, codes. */
/** The dispatcher's log (pino's methods). */
export type DispatchLog = LoopLog;

const BACKOFF_MAX_MS = 3_600_000;
const FAN_OUT_BATCH = 500;
/** A prune runs at start, then this long after the last one finished. */
const PRUNE_EVERY_MS = 3_600_000;
const ALL = { kind: 'all' } as const;

/**
 * Delivers the outbox: fans events out into deliveries, claims due deliveries under a lease (FOR
 * UPDATE SKIP LOCKED, so instances on one database never send one attempt twice), sends each as a
 * signed CloudEvent (up to batchSize at once, a new one claimed as soon as one is done), and records
 * each outcome as its answer comes: delivered, retried after a backoff with jitter, or
 * given up after `giveUpAfterMs` (the subscription is then disabled through `disable`). A process
 * killed mid-delivery leaves a lease that runs out; the delivery is then attempted again (at least
 * once: receivers de-duplicate by the event's `id`).
 */
export function createDispatcher(
  database: Database,
  options: DispatcherOptions,
  log: DispatchLog,
  disable: (tx: Tx, subscriptionId: string, reason: string) => Promise<void>,
) {
  const sender = createWebhookSender(options);
  // Longer than any one attempt can take, so a live dispatcher's lease never runs out under it.
  const leaseMs = 2 * (options.connectTimeoutMs + options.responseTimeoutMs) + 1000;
  let running = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let lastReported = 0;
  let nextPruneAt = 0;
  /** The prune under way: what it removed so far, and the event after which its walk goes on. */
  let pass = { deliveries: 0, events: 0, after: 0 };

  /** Sends one claimed delivery; returns what to record. */
  async function send(d: ClaimedDelivery) {
    // The stored event, with its place in the outbox: the same body on every attempt of every delivery.
    const body = JSON.stringify({ ...(d.event as object), sequence: sequenceOf(d.eventSeq) });
    const attemptedAt = new Date();
    const timestamp = Math.floor(attemptedAt.getTime() / 1000);
    const secrets = [d.secret];
    if (d.previousSecret && d.previousSecretExpiresAt && d.previousSecretExpiresAt.getTime() > Date.now()) secrets.push(d.previousSecret);
    const result = await sender.post(d.callbackUrl, body, {
      'content-type': 'application/cloudevents+json; charset=utf-8',
      'user-agent': 'enforcement-registry-webhooks/1',
      'webhook-id': d.eventId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signatures(secrets, d.eventId, timestamp, body),
    });
    if (result.aborted) return { d, aborted: true as const };
    const ok = result.error === null && result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
    const gone = result.statusCode === GONE;
    const now = Date.now();
    const leftMs = d.dueSince.getTime() + options.giveUpAfterMs - now;
    const givingUp = !ok && (gone || leftMs <= 0);
    const backoff = backoffMs(d.attempts, options.backoffBaseMs, BACKOFF_MAX_MS);
    const retryAt = givingUp ? null : new Date(now + nextRetryMs(backoff, retryAfterMs(result.retryAfter, now), leftMs));
    const next = ok ? ({ delivered: true } as const) : { delivered: false as const, nextAttemptAt: retryAt };
    const attempt = {
      id: randomUUID(),
      deliveryId: d.id,
      subscriptionId: d.subscriptionId,
      eventId: d.eventId,
      eventType: d.eventType,
      subject: d.subject,
      attempt: d.attempts,
      outcome: ok ? 'succeeded' : 'failed',
      statusCode: result.statusCode,
      durationMs: result.durationMs,
      error: result.error?.slice(0, 500) ?? null,
      responseExcerpt: result.excerpt,
      attemptedAt,
    };
    if (!ok) {
      const about = { subscriptionId: d.subscriptionId, eventId: d.eventId, type: d.eventType, attempt: d.attempts };
      log.warn({ ...about, statusCode: result.statusCode, error: result.error, givingUp }, 'webhook delivery failed');
    }
    // What follows `; last error:` is the receiver's answer, shown to the subscription's owner only (subscriptions.ts).
    const reason = gone
      ? `${GIVEN_UP_REASON}given up at once; last error: HTTP 410 Gone, the receiver asks for no more deliveries`
      : `${GIVEN_UP_REASON}failed for ${Math.round(options.giveUpAfterMs / 1000)} s; last error: ${result.error ?? `HTTP ${result.statusCode}`}`;
    return { d, aborted: false as const, attempt, next, givingUp, reason };
  }

  type Outcome = Awaited<ReturnType<typeof send>>;
  /** Deliveries this dispatcher is sending: at most batchSize at once. */
  const inFlight = new Set<Promise<void>>();
  /** Outcomes of finished calls, not yet recorded. */
  const finished: Outcome[] = [];

  /**
   * Claims as many due deliveries as there are free places and starts sending each; a call that ends
   * leaves its outcome in `finished` and wakes the loop, so a slow receiver holds up no other delivery.
   * Returns the sends started.
   */
  async function claimAndStart(): Promise<Promise<void>[]> {
    const free = options.batchSize - inFlight.size;
    if (free <= 0) return [];
    const claimed = await withTenant(database.db, ALL, (tx) => claimDue(tx, free, leaseMs, randomUUID()));
    return claimed.map((d) => {
      const sending: Promise<void> = send(d)
        .then(
          (o) => {
            finished.push(o);
          },
          // Nothing to record: the lease runs out and the delivery is attempted again.
          (err) => log.error({ err, deliveryId: d.id, eventId: d.eventId }, 'sending a webhook delivery failed'),
        )
        .finally(() => {
          inFlight.delete(sending);
          wake?.();
        });
      inFlight.add(sending);
      return sending;
    });
  }

  /**
   * Records the outcomes of the calls that ended since the last time, in one transaction, which also
   * disables the subscription of a delivery given up: the two commit together, so no subscription
   * stays active over a delivery it abandoned (its owner would never learn to redeliver). Not recorded
   * (the database away): their leases run out and the deliveries are attempted again (at least once).
   */
  async function recordFinished(): Promise<number> {
    const sent = finished.splice(0);
    if (sent.length === 0) return 0;
    const outcomes = sent.filter((o) => !o.aborted);
    const cut = sent.filter((o) => o.aborted);
    const givenUp = await withTenant(database.db, ALL, async (tx) => {
      // Calls a shutdown cut are no attempt of the receiver's: given back (the attempt not counted), due at once for the next dispatcher.
      for (const o of cut) await releaseDelivery(tx, o.d);
      // The subscriptions to disable are locked first, in one order, as a PUT locks its subscription
      // before its deliveries: no two transactions wait on each other.
      const disabling = [...new Set(outcomes.filter((o) => o.givingUp).map((o) => o.d.subscriptionId))].sort();
      for (const id of disabling) await findSubscription(tx, ALL, null, id, true);
      const disabled: typeof outcomes = [];
      for (const o of outcomes) {
        if ((await recordAttempt(tx, o.d, o.attempt, o.next)) !== 'abandoned') continue;
        await disable(tx, o.d.subscriptionId, o.reason.slice(0, 500));
        disabled.push(o);
      }
      return disabled;
    });
    for (const o of givenUp) {
      log.error({ subscriptionId: o.d.subscriptionId, eventId: o.d.eventId }, 'webhook delivery given up; subscription disabled');
    }
    return sent.length;
  }

  /**
   * Removes what was finished more than keepMs ago, one batch per round while a prune is due (at start,
   * then hourly): finished deliveries first, then a step of the walk over the events. Each instance
   * prunes; their deletes do not conflict. Returns the rows removed or looked at (0: nothing due).
   */
  async function prune(): Promise<number> {
    if (options.keepMs <= 0 || Date.now() < nextPruneAt) return 0;
    const cutoff = new Date(Date.now() - options.keepMs);
    try {
      return await pruneStep(cutoff);
    } catch (err) {
      // Deliveries come first: a prune that fails (a statement timeout, the database away) is tried again in an hour.
      log.warn({ err }, 'pruning notification deliveries failed; trying again in an hour');
      pass = { deliveries: 0, events: 0, after: 0 };
      nextPruneAt = Date.now() + PRUNE_EVERY_MS;
      return 0;
    }
  }

  async function pruneStep(cutoff: Date): Promise<number> {
    const deliveries = await withTenant(database.db, ALL, (tx) => pruneDeliveries(tx, cutoff, options.pruneBatch));
    pass.deliveries += deliveries;
    if (deliveries === options.pruneBatch) return deliveries; // the events wait until their deliveries are gone
    const events = await withTenant(database.db, ALL, (tx) => pruneEvents(tx, cutoff, pass.after, options.pruneBatch));
    pass.events += events.removed;
    pass.after = events.last;
    if (events.done) {
      if (pass.deliveries + pass.events > 0) {
        log.info(
          { deliveries: pass.deliveries, events: pass.events, before: cutoff.toISOString() },
          'pruned finished notification deliveries and events',
        );
      }
      pass = { deliveries: 0, events: 0, after: 0 };
      nextPruneAt = Date.now() + PRUNE_EVERY_MS;
    }
    return deliveries + events.looked;
  }

  /**
   * One round: fan out, claim due deliveries for the free places and start sending them, prune when due.
   * `waitForSends`: return once this round's deliveries are recorded (tick(), for tests and tools); the
   * running loop does not wait, so a receiver that is slow to answer holds up no other delivery.
   * Returns how much it did (0: nothing to do).
   */
  async function round(waitForSends: boolean): Promise<number> {
    const recorded = await recordFinished();
    const fanned = await withTenant(database.db, ALL, (tx) => fanOut(tx, FAN_OUT_BATCH));
    const started = await claimAndStart();
    if (waitForSends) {
      await Promise.all(started);
      await recordFinished();
    }
    if (fanned + started.length > 0 && Date.now() - lastReported > 10_000) {
      lastReported = Date.now();
      log.info(await stats(), 'notification backlog');
    }
    return recorded + fanned + started.length + (await prune());
  }

  const tick = () => round(true);

  const stats = () => withTenant(database.db, ALL, (tx) => backlog(tx));

  // Rounds that fail one after another (the database out): said once, then once a minute, the wait growing.
  const rounds = repeatedFailure(
    {
      first: 'notification dispatcher round failed; it tries again',
      still: 'notification dispatcher rounds still failing',
      again: 'notification dispatcher rounds work again',
    },
    options.pollMs,
  );

  async function run(): Promise<void> {
    while (running) {
      let worked = 0;
      let wait = options.pollMs;
      try {
        worked = await round(false);
        rounds.succeeded(log);
      } catch (err) {
        wait = rounds.failed(log, err);
      }
      // Nothing to do, or every place taken: wait for a place to free up, or pollMs at most (longer after failures).
      if ((worked === 0 || inFlight.size >= options.batchSize) && running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    }
    // Cut by stop(): given back before the loop ends.
    await Promise.all(inFlight);
    await recordFinished().catch((err) => log.error({ err }, 'recording the last webhook deliveries failed'));
  }

  return {
    tick,
    stats,
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    /**
     * Stops after the round under way. Its calls still waiting for an answer are cut, not waited for
     * (a receiver may take NOTIFICATIONS_RESPONSE_TIMEOUT_MS, longer than a shutdown's grace): their
     * deliveries are given back (the attempt not counted), due at once for the next dispatcher (a receiver may get one twice).
     */
    async stop() {
      running = false;
      wake?.();
      sender.abort();
      await loop;
      sender.close();
    },
  };
}

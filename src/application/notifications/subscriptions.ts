import { randomUUID } from 'node:crypto';
import { assertNoInvalidParams, Forbidden, NotFound, RuleViolation } from '../../domain/errors.js';
import {
  checkAnalystEventTypes,
  checkSubscription,
  type DeliveryAttempt,
  type DeliveryOutcome,
  type PlainHttpHosts,
  type Subscription,
  type SubscriptionInput,
} from '../../domain/notifications.js';
import type { Page, PageRequest } from '../../domain/records.js';
import type { Tx } from '../../infrastructure/db/client.js';
import {
  deleteSubscription,
  dropUnwantedDeliveries,
  findSubscription,
  insertSubscription,
  listDeliveryAttempts,
  listSubscriptions,
  redeliverAbandoned,
  restartPendingDeliveries,
  type SubscriptionRow,
  updateSubscription,
} from '../../infrastructure/repositories/notifications.js';
import { newWebhookSecret } from '../../infrastructure/webhooks.js';
import type { PrivateNetworks } from '../../lib/networks.js';
import { assertMunicipalityRegistered } from '../commands/establishments.js';
import { type CommandRunner, type Created, createdRecord, Revised, type Revision, revise, sameColumns, stamps } from '../commands/run.js';
import type { RequestContext } from '../context.js';
import type { Reader } from '../queries/read.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A subscription as the API shows it: never its secrets. */
export const toSubscription = (r: SubscriptionRow): Subscription => ({
  id: r.id,
  callbackUrl: r.callbackUrl,
  eventTypes: r.eventTypes as Subscription['eventTypes'],
  municipalityCode: r.municipalityCode,
  description: r.description,
  status: r.status as Subscription['status'],
  disabledAt: iso(r.disabledAt),
  disabledReason: r.disabledReason,
  previousSecretExpiresAt: iso(r.previousSecretExpiresAt),
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
  version: r.version,
});

/** Analysts see the subscriptions they made; officers their municipality's (by scope); admins all. */
const ownerFilter = (ctx: RequestContext) => (ctx.actor.role === 'analyst' ? ctx.actor.clientId : null);

export interface SubscriptionOptions {
  plainHttpHosts: PlainHttpHosts;
  privateNetworks: PrivateNetworks;
}

/** Webhook subscriptions: every write through the command runner (tenant, If-Match, audit). */
export function createSubscriptionCommands(runner: CommandRunner, options: SubscriptionOptions) {
  /** The rules of a subscription for this subscriber, each broken one an invalidParams entry. */
  const rules = (ctx: RequestContext, input: SubscriptionInput) =>
    checkSubscription(
      input,
      { role: ctx.actor.role, municipalityCode: ctx.municipalityCode },
      options.plainHttpHosts,
      options.privateNetworks,
    );
  const check = (ctx: RequestContext, input: SubscriptionInput) => assertNoInvalidParams(rules(ctx, input));
  /** An officer's subscription is always for their municipality. */
  const municipalityOf = (ctx: RequestContext, input: SubscriptionInput) => ctx.municipalityCode ?? input.municipalityCode ?? null;

  /**
   * Officers manage their municipality's subscriptions, the ones officers made; one an admin or an
   * analyst made for it they may see, not change (its callback, secret and deliveries are not theirs).
   */
  const assertMayChange = (ctx: RequestContext, current: SubscriptionRow) => {
    if (ctx.actor.role === 'officer' && current.ownerRole !== 'officer') {
      throw new Forbidden(`Subscription ${current.id} was made by an ${current.ownerRole}; an officer may not change it.`);
    }
  };

  /**
   * The municipality a replacement is for. An officer-made subscription stays for its municipality
   * whoever changes it: leaving municipalityCode out must not widen it to every municipality's events.
   */
  const replacementMunicipality = (ctx: RequestContext, input: SubscriptionInput, current: SubscriptionRow) => {
    // (One widened to every municipality before this rule may be given a municipality again.)
    if (current.ownerRole !== 'officer' || current.municipalityCode === null) return municipalityOf(ctx, input);
    if (input.municipalityCode && input.municipalityCode !== current.municipalityCode) {
      throw new RuleViolation([
        {
          name: 'municipalityCode',
          code: 'not_your_municipality',
          reason: `an officer's subscription is for ${current.municipalityCode} only`,
        },
      ]);
    }
    return current.municipalityCode;
  };

  function create(ctx: RequestContext, input: SubscriptionInput) {
    check(ctx, input);
    return runner.create(ctx, async (tx) => {
      const municipalityCode = municipalityOf(ctx, input);
      if (municipalityCode) await assertMunicipalityRegistered(tx, municipalityCode);
      const secret = newWebhookSecret();
      const row = await insertSubscription(tx, {
        id: randomUUID(),
        callbackUrl: input.callbackUrl,
        eventTypes: input.eventTypes,
        municipalityCode,
        description: input.description ?? null,
        status: input.status ?? 'active',
        disabledAt: input.status === 'disabled' ? new Date() : null,
        disabledReason: input.status === 'disabled' ? 'created disabled' : null,
        secret,
        ownerClientId: ctx.actor.clientId as string,
        ownerRole: ctx.actor.role,
        ...stamps(ctx),
      });
      const made = createdRecord('subscription', row.id, row.municipalityCode, toSubscription(row));
      return { ...made, value: { ...made.value, secret } };
    });
  }

  const common = (ctx: RequestContext, id: string, expectedVersion: number) => ({
    objectType: 'subscription' as const,
    objectId: id,
    what: `Subscription ${id}`,
    expectedVersion,
    load: (tx: Tx) => findSubscription(tx, ctx.scope, ownerFilter(ctx), id, true),
    check: (_tx: Tx, current: SubscriptionRow) => assertMayChange(ctx, current),
    view: toSubscription,
    municipalityCode: (r: SubscriptionRow) => r.municipalityCode,
  });
  const touched = (ctx: RequestContext, current: SubscriptionRow) => ({
    updatedAt: new Date(),
    updatedBy: ctx.actor.clientId as string,
    version: current.version + 1,
  });

  /**
   * Replaces callback, types, filter, description and status; setting status active again re-enables it (and restarts its waiting
   * deliveries). A replacement with what is stored changes nothing: no new version, no audit entry.
   */
  async function replace(
    ctx: RequestContext,
    id: string,
    expectedVersion: number,
    revision: Revision<Subscription, SubscriptionInput>,
  ): Promise<Subscription> {
    if (typeof revision !== 'function') check(ctx, revision);
    // Decided by the check (the revision worked out against the stored subscription), written by the write.
    let input = revision as SubscriptionInput;
    let municipalityCode: string | null = null;
    const content = (current: SubscriptionRow) => ({
      callbackUrl: input.callbackUrl,
      eventTypes: input.eventTypes,
      municipalityCode,
      description: input.description ?? null,
      status: input.status ?? current.status,
    });
    const updated = await runner.change(ctx, {
      ...common(ctx, id, expectedVersion),
      action: 'update',
      check: async (tx, current) => {
        assertMayChange(ctx, current);
        if (typeof revision === 'function') {
          // A representation as GET returned it: its read-only fields listed with the subscription's own rules.
          const revised = revise(revision, toSubscription(current));
          const [next, setAside] = revised instanceof Revised ? [revised.input, revised.issues] : [revised, []];
          input = next;
          assertNoInvalidParams([...setAside, ...rules(ctx, input)]);
        }
        // An analyst's subscription stays without record content whoever replaces it (an admin's own rules allow any event).
        if (current.ownerRole === 'analyst' && ctx.actor.role !== 'analyst')
          assertNoInvalidParams(checkAnalystEventTypes(input.eventTypes));
        municipalityCode = replacementMunicipality(ctx, input, current);
        if (municipalityCode) await assertMunicipalityRegistered(tx, municipalityCode);
      },
      unchanged: (current) => sameColumns(content(current), current),
      write: async (tx, current) => {
        const { status, ...rest } = content(current);
        const reenabled = current.status === 'disabled' && status === 'active';
        if (reenabled) await restartPendingDeliveries(tx, id);
        const row = await updateSubscription(tx, id, {
          ...rest,
          status,
          ...(status === 'active' ? { disabledAt: null, disabledReason: null } : {}),
          ...(status === 'disabled' && current.status === 'active'
            ? { disabledAt: new Date(), disabledReason: 'disabled by a client' }
            : {}),
          ...touched(ctx, current),
        });
        // The new filter applies to what is not delivered yet.
        await dropUnwantedDeliveries(tx, id);
        return row;
      },
    });
    return updated as Subscription;
  }

  async function remove(ctx: RequestContext, id: string, expectedVersion: number): Promise<void> {
    await runner.change(ctx, {
      ...common(ctx, id, expectedVersion),
      action: 'delete',
      write: async (tx) => {
        await deleteSubscription(tx, id);
        return null;
      },
    });
  }

  /**
   * A new signing secret, shown once. The previous one stays valid for `overlapHours`: deliveries
   * carry a signature with each, so a receiver can switch secrets without missing one. Run as a
   * create (`changeOnce`), so that a retry with the same Idempotency-Key rotates nothing again.
   */
  function rotateSecret(ctx: RequestContext, id: string, expectedVersion: number, overlapHours: number) {
    const secret = newWebhookSecret();
    return runner.changeOnce(
      ctx,
      {
        ...common(ctx, id, expectedVersion),
        action: 'update',
        write: (tx, current) =>
          updateSubscription(tx, id, {
            secret,
            previousSecret: overlapHours > 0 ? current.secret : null,
            previousSecretExpiresAt: overlapHours > 0 ? new Date(Date.now() + overlapHours * 3_600_000) : null,
            ...touched(ctx, current),
          }),
      },
      (updated) => ({ ...(updated as Subscription), secret }),
    );
  }

  /**
   * Deliveries that were given up (since a moment, or all) are attempted again, in order per subject.
   * Run as a create, so that an Idempotency-Key makes a retry answer the first response again.
   */
  async function redeliver(ctx: RequestContext, id: string, since: Date | null): Promise<Created<{ redelivered: number }>> {
    return runner.create(ctx, async (tx) => {
      const current = await findSubscription(tx, ctx.scope, ownerFilter(ctx), id, true);
      if (!current) throw new NotFound(`Subscription ${id}`);
      assertMayChange(ctx, current);
      const redelivered = await redeliverAbandoned(tx, id, since);
      const view = toSubscription(current);
      return {
        value: { redelivered },
        changes: [
          {
            action: 'update',
            objectType: 'subscription',
            objectId: id,
            municipalityCode: current.municipalityCode,
            before: view,
            after: { ...view, redelivery: { since: iso(since), deliveries: redelivered } },
          },
        ],
      };
    });
  }

  /** The dispatcher's own change: a subscription whose deliveries kept failing for the give-up period. */
  async function disable(ctx: RequestContext, id: string, reason: string): Promise<void> {
    await runner.run(ctx, async (tx) => {
      const current = await findSubscription(tx, ctx.scope, null, id, true);
      if (!current || current.status === 'disabled') return { value: undefined, changes: [] };
      const now = new Date();
      // updatedBy stays: it holds clients, and the service is none (its audit entry names it).
      const row = await updateSubscription(tx, id, {
        status: 'disabled',
        disabledAt: now,
        disabledReason: reason,
        updatedAt: now,
        version: current.version + 1,
      });
      return {
        value: undefined,
        changes: [
          {
            action: 'update',
            objectType: 'subscription',
            objectId: id,
            municipalityCode: row.municipalityCode,
            before: toSubscription(current),
            after: toSubscription(row),
          },
        ],
      };
    });
  }

  return { create, replace, remove, rotateSecret, redeliver, disable, rules };
}

const toAttempt = (r: Awaited<ReturnType<typeof listDeliveryAttempts>>['rows'][number]): DeliveryAttempt => ({
  id: r.id,
  eventId: r.eventId,
  eventType: r.eventType,
  subject: r.subject,
  attempt: r.attempt,
  outcome: r.outcome as DeliveryOutcome,
  statusCode: r.statusCode,
  durationMs: r.durationMs,
  error: r.error,
  responseExcerpt: r.responseExcerpt,
  attemptedAt: r.attemptedAt.toISOString(),
});

/**
 * A subscription as this caller sees it. An officer sees one an admin or analyst made for their
 * municipality, but not what its receiver answered (as with its delivery log): a reason the
 * dispatcher gave for disabling it keeps how long deliveries failed and drops the last error.
 */
const shownTo =
  (ctx: RequestContext) =>
  (r: SubscriptionRow): Subscription => {
    const shown = toSubscription(r);
    if (ctx.actor.role !== 'officer' || r.ownerRole === 'officer' || shown.disabledReason === null) return shown;
    return { ...shown, disabledReason: shown.disabledReason.replace(/; last error: [\s\S]*$/, '') };
  };

export function createSubscriptionQueries(read: Reader) {
  async function get(ctx: RequestContext, id: string): Promise<Subscription> {
    const row = await read.one(ctx, (tx) => findSubscription(tx, ctx.scope, ownerFilter(ctx), id));
    if (!row) throw new NotFound(`Subscription ${id}`);
    return shownTo(ctx)(row);
  }

  async function list(ctx: RequestContext, page: PageRequest): Promise<Page<Subscription>> {
    const { rows, totalItems } = await read.list(ctx, (tx) => listSubscriptions(tx, ctx.scope, ownerFilter(ctx), page));
    return { items: rows.map(shownTo(ctx)), totalItems };
  }

  /**
   * The delivery log of one subscription, newest first. An officer reads it for the subscriptions
   * officers made: one an admin or analyst made for their municipality they may see, but what its
   * receiver answered (status, errors, excerpts) is that owner's, as its secret is.
   */
  async function deliveries(
    ctx: RequestContext,
    id: string,
    outcome: DeliveryOutcome | undefined,
    page: PageRequest,
  ): Promise<Page<DeliveryAttempt>> {
    return read.one(ctx, async (tx) => {
      const row = await findSubscription(tx, ctx.scope, ownerFilter(ctx), id);
      if (!row) throw new NotFound(`Subscription ${id}`);
      if (ctx.actor.role === 'officer' && row.ownerRole !== 'officer') {
        throw new Forbidden(`Subscription ${id} was made by an ${row.ownerRole}; its delivery log is not an officer's to read.`);
      }
      const { rows, totalItems } = await listDeliveryAttempts(tx, id, outcome, page);
      return { items: rows.map(toAttempt), totalItems };
    });
  }

  return { get, list, deliveries };
}

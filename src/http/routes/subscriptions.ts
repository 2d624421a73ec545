import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../application/context.js';
import type { Services } from '../../application/services.js';
import type { SubscriptionInput } from '../../domain/notifications.js';
import { contextOf } from '../plugins/auth.js';
import { optionalBody } from '../plugins/openapi.js';
import { schemaInvalidParams } from '../plugins/problems.js';
import { badRequest } from '../problem.js';
import { Id, Pagination } from '../schemas/common.js';
import {
  DeliveryAttemptPage,
  DeliveryQuery,
  Redelivery,
  RedeliveryResult,
  SecretRotation,
  SUBSCRIPTION_READ_ONLY,
  Subscription,
  SubscriptionPage,
  SubscriptionReplace,
  SubscriptionWithSecret,
  SubscriptionWrite,
} from '../schemas/subscriptions.js';
import { AUTH_PROBLEMS, BEARER, ifMatchHeaders, listOf, operations, problems, roles } from './operations.js';
import { recordRoutes } from './records.js';
import { expectedVersion, paged, replay, sendOnce, sendResource } from './replies.js';

const op = operations('Subscriptions');
const params = z.object({ id: Id.meta({ description: 'The subscription’s id.' }) });
const ANYONE: Role[] = ['officer', 'analyst', 'admin'];
const anyone = roles(...ANYONE);

/**
 * Webhook subscriptions (NL GOV CloudEvents, Standard Webhooks signatures): officers for their own
 * municipality, analysts for statistics events only, admins for any. See docs/notifications.md.
 */
const subscriptionRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  const { commands, queries } = services;

  // A body the schema refuses is also held to the subscription's own rules (https, the events a
  // role may have, the officer's municipality), which depend on the subscriber and the
  // configuration and so are no part of the schema: one 400 lists both. A valid body meets its
  // rules in the command, as before.
  const withRules = new Set([`POST ${app.prefix}/subscriptions`, `PUT ${app.prefix}/subscriptions/:id`]);
  app.addHook('preValidation', async (request) => {
    if (!withRules.has(`${request.method} ${request.routeOptions.url}`)) return;
    const body = request.body as Partial<Record<keyof SubscriptionInput, unknown>> | undefined;
    if (typeof body?.callbackUrl !== 'string' || !Array.isArray(body.eventTypes)) return; // the rules read these
    const schemaIssues = schemaInvalidParams(request);
    if (schemaIssues.length === 0) return;
    const named = new Set(schemaIssues.map((p) => p.name));
    const ruleIssues = commands.subscriptions.rules(contextOf(request), body as SubscriptionInput).filter((p) => !named.has(p.name));
    throw badRequest([...schemaIssues, ...ruleIssues]);
  });

  recordRoutes(app, {
    path: '/subscriptions',
    params,
    record: Subscription,
    access: { read: ANYONE, write: ANYONE },
    create: {
      doc: op(
        'createSubscription',
        'Subscribe to events',
        'Events of the chosen types are POSTed to callbackUrl as CloudEvents, signed (Standard Webhooks) with the secret in this response, shown only this once.',
      ),
      answer: SubscriptionWithSecret,
      config: { idempotencyWithheld: ['secret'] },
      body: SubscriptionWrite,
      run: (ctx, body) => commands.subscriptions.create(ctx, body),
    },
    list: {
      doc: op(
        'listSubscriptions',
        'List subscriptions',
        'Officers see their municipality’s, analysts their own, admins all. Oldest first.',
      ),
      query: Pagination,
      page: SubscriptionPage,
      find: (ctx, page) => queries.subscriptions.list(ctx, page),
    },
    read: {
      doc: op('getSubscription', 'Read a subscription', 'Its secret is never shown again.'),
      find: (ctx, { id }) => queries.subscriptions.get(ctx, id),
    },
    replace: {
      doc: op(
        'replaceSubscription',
        'Change a subscription',
        'Replaces it; status active re-enables a disabled one and its waiting deliveries. New eventTypes or municipalityCode apply to what is not delivered yet: waiting deliveries of events it no longer wants are not sent. A representation as GET returned it may be sent back (read-only fields unchanged). Requires If-Match.',
      ),
      body: SubscriptionReplace,
    },
    readOnly: SUBSCRIPTION_READ_ONLY,
    update: (ctx, { id }, version, revision) => commands.subscriptions.replace(ctx, id, version, revision),
    remove: {
      doc: op('deleteSubscription', 'Delete a subscription', 'No more events are delivered to it. Requires If-Match.'),
      run: (ctx, { id }, version) => commands.subscriptions.remove(ctx, id, version),
    },
  });

  app.post('/subscriptions/:id/secrets', {
    config: { ...anyone, idempotencyWithheld: ['secret'] },
    // Every member has a default: the body may be left out (plugins/openapi.ts optionalBody).
    schema: optionalBody({
      ...op(
        'rotateSubscriptionSecret',
        'Rotate the signing secret',
        'A new secret, shown only in this response. Deliveries are signed with the previous one too for previousSecretValidHours (the body may be left out: 24 hours). Requires If-Match.',
      ),
      security: BEARER,
      params,
      headers: ifMatchHeaders,
      body: SecretRotation,
      response: { 200: SubscriptionWithSecret, ...problems(400, ...AUTH_PROBLEMS, 404, 412, 413, 415, 428) },
    }),
    handler: async (request, reply) => {
      const ctx = contextOf(request);
      const rotated = await commands.subscriptions.rotateSecret(
        ctx,
        request.params.id,
        expectedVersion(request),
        request.body.previousSecretValidHours,
      );
      if (rotated.replayed) return replay(reply, rotated.record);
      return sendResource(request, reply, rotated.value);
    },
  });

  app.post('/subscriptions/:id/redeliveries', {
    config: anyone,
    // Every member has a default: the body may be left out (plugins/openapi.ts optionalBody).
    schema: optionalBody({
      ...op(
        'redeliverSubscription',
        'Redeliver given-up events',
        'Every delivery that was given up (of those made since a moment, which is about when their events happened; or all) is attempted again, in order per subject, if the subscription still wants its event. Deliveries given up longer ago than the registry keeps them (NOTIFICATIONS_KEEP_DAYS, by default 90 days) are gone and not redelivered.',
      ),
      security: BEARER,
      params,
      // The redelivery is an audit entry like any write: the acting person's headers too (plugins/auth.ts reads them).
      headers: ifMatchHeaders.pick({ 'x-audit-reason': true, 'x-acting-user': true, 'x-acting-user-name': true }),
      body: Redelivery,
      response: { 202: RedeliveryResult, ...problems(400, ...AUTH_PROBLEMS, 404, 413, 415) },
    }),
    handler: async (request, reply) => {
      const since = request.body.since ? new Date(request.body.since) : null;
      return sendOnce(reply, await commands.subscriptions.redeliver(contextOf(request), request.params.id, since), 202);
    },
  });

  app.get('/subscriptions/:id/deliveries', {
    config: anyone,
    schema: {
      ...listOf(
        op(
          'listSubscriptionDeliveries',
          'The delivery log',
          'Each attempt: time, status code, duration, error and a short excerpt of the answer. Newest first; filter by outcome. Officers read the log of the subscriptions officers made (one an admin or analyst made for their municipality: 403). The attempts of a delivery that was delivered or given up longer ago than the registry keeps them (NOTIFICATIONS_KEEP_DAYS, by default 90 days) are no longer listed.',
        ),
        DeliveryQuery,
        DeliveryAttemptPage,
        404,
      ),
      params,
    },
    handler: async (request, reply) => {
      const { page, pageSize, outcome, status } = request.query;
      const result = await queries.subscriptions.deliveries(contextOf(request), request.params.id, outcome ?? status, { page, pageSize });
      return paged(request, reply, { page, pageSize }, result);
    },
  });
};

export default subscriptionRoutes;

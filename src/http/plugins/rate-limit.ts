import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { RateLimitStore } from '../../infrastructure/rate-limit-store.js';
import { HttpProblem } from '../problem.js';

export interface RateLimitOptions {
  /** Requests per client per minute; 0 turns the limit off. */
  perMinute: number;
  /** Where the counts live (shared by every instance); unset: this process's memory. */
  store?: (new (options: unknown) => RateLimitStore) | undefined;
}

/**
 * Per-client rate limiting: each authenticated API client gets `perMinute` requests per minute,
 * counted by its client id (so one client cannot starve the others, whatever address it uses).
 * It runs at onRequest, as a route's own hook: after the app's auth hook (onRequest) has named the
 * client, before any other check of the request (preconditions, media types: preValidation), so a
 * request those would refuse is counted as every other one. Public routes (health, the OpenAPI
 * document) and requests refused by auth are not counted. Over the limit:
 * 429 problem+json with Retry-After in seconds. Counters live in `store` (PostgreSQL, shared by every
 * instance: src/infrastructure/rate-limit-store.ts) or, without one, in this process's memory.
 */
export default fp(
  async function rateLimitPlugin(app: FastifyInstance, opts: RateLimitOptions) {
    if (opts.perMinute <= 0) return;
    await app.register(rateLimit, {
      global: true,
      ...(opts.store ? { store: opts.store as never } : {}),
      max: opts.perMinute,
      timeWindow: 60_000,
      hook: 'onRequest',
      keyGenerator: (request) => `client:${request.principal?.clientId ?? request.ip}`,
      allowList: (request) => !request.principal,
      errorResponseBuilder: (_request, ctx) =>
        new HttpProblem({
          status: 429,
          code: 'rate-limited',
          title: 'Too Many Requests',
          detail: `This client may make ${ctx.max} requests per minute; retry in ${ctx.after}.`,
          headers: { 'Retry-After': String(Math.max(1, Math.ceil(ctx.ttl / 1000))) },
        }),
    });
  },
  { name: 'rate-limit', dependencies: ['auth'] },
);

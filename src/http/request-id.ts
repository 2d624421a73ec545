import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * The id of a request: the X-Request-Id the client sent when it is 1 to 64 letters, digits, dots,
 * underscores or hyphens, else a new UUID. Fastify's genReqId (app.ts) and the answers made
 * outside fastify (client-errors.ts) both take it from here.
 */
export function requestIdFor(req?: IncomingMessage): string {
  const given = req?.headers['x-request-id'];
  return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) ? given : randomUUID();
}

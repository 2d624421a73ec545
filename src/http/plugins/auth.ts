import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { clientContext, type Principal, type RequestContext, type Role } from '../../application/context.js';
import { RecentWriters } from '../../infrastructure/read-routing.js';
import { HttpProblem } from '../problem.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles that may call the route; a route without it is public. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** Who asks, in which scope: built once here, handed to every command and query. */
    context: RequestContext | null;
  }
}

export interface AuthOptions {
  authenticate(token: string): Promise<Principal | null>;
  /** After a client writes, its list reads go to the primary for this long (read-your-own-writes). */
  readYourWritesMs: number;
}

const unauthorized = (detail: string) =>
  new HttpProblem({ status: 401, code: 'unauthorized', detail, headers: { 'WWW-Authenticate': 'Bearer realm="enforcement-registry"' } });

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The request context of a route that declares `roles` (always set there). */
export function contextOf(request: FastifyRequest): RequestContext {
  if (!request.context) throw unauthorized('This route needs a bearer token.');
  return request.context;
}

/**
 * Bearer-token authentication, role checks and the request context. A route opts in with
 * `config: { roles: [...] }`. No or unknown token: 401. Known client with another role: 403.
 * The context carries the actor (for the audit trail, with X-Audit-Reason), the tenant scope and
 * whether reads must see the client's own recent writes.
 */
export default fp(
  async function auth(app: FastifyInstance, opts: AuthOptions) {
    const writers = new RecentWriters(opts.readYourWritesMs);
    app.decorateRequest('principal', null);
    app.decorateRequest('context', null);
    app.addHook('onRequest', async (request) => {
      const roles = request.routeOptions.config.roles;
      if (!roles) return;
      const header = request.headers.authorization;
      if (!header) throw unauthorized('Send an Authorization: Bearer <token> header.');
      const m = /^Bearer\s+([\x21-\x7e]{16,512})\s*$/i.exec(header);
      if (!m?.[1]) throw unauthorized('The Authorization header must be: Bearer <token>.');
      const principal = await opts.authenticate(m[1]);
      if (!principal) throw unauthorized('The token is unknown or has been revoked.');
      request.principal = principal;
      if (!roles.includes(principal.role)) {
        throw new HttpProblem({
          status: 403,
          code: 'forbidden',
          detail: `A client with role ${principal.role} may not do this; allowed: ${roles.join(', ')}.`,
        });
      }
      if (!READS.has(request.method)) writers.noteWrite(principal.clientId); // a write in flight
      const reason = request.headers['x-audit-reason'];
      request.context = clientContext(principal, {
        requestId: request.id,
        reason: typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : null,
        readFromPrimary: writers.wroteRecently(principal.clientId),
      });
    });
    app.addHook('onResponse', async (request, reply) => {
      const clientId = request.principal?.clientId;
      if (clientId && !READS.has(request.method) && reply.statusCode < 400) writers.noteWrite(clientId);
    });
  },
  { name: 'auth' },
);

import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../lib/problem.js';
import type { Actor, Principal, Role } from '../services/context.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Roles that may call the route; a route without it is public. */
    roles?: readonly Role[];
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

const unauthorized = (detail: string) =>
  new HttpProblem({ status: 401, code: 'unauthorized', detail, headers: { 'WWW-Authenticate': 'Bearer realm="enforcement-registry"' } });

/** The authenticated caller of a route that declares `roles` (always set there). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw unauthorized('This route needs a bearer token.');
  return request.principal;
}

/** Who makes a change: the caller, the request id, and the reason from X-Audit-Reason. */
export function actorOf(request: FastifyRequest): Actor {
  const p = principalOf(request);
  const reason = request.headers['x-audit-reason'];
  return {
    clientId: p.clientId,
    role: p.role,
    requestId: request.id,
    reason: typeof reason === 'string' && reason.trim() !== '' ? reason.trim() : null,
  };
}

/**
 * Bearer-token authentication and role checks. A route opts in with `config: { roles: [...] }`.
 * No or unknown token: 401. Known client with another role: 403.
 */
export default fp(
  async function auth(app: FastifyInstance) {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      const roles = request.routeOptions.config.roles;
      if (!roles) return;
      const header = request.headers.authorization;
      if (!header) throw unauthorized('Send an Authorization: Bearer <token> header.');
      const m = /^Bearer\s+([\x21-\x7e]{16,512})\s*$/i.exec(header);
      if (!m?.[1]) throw unauthorized('The Authorization header must be: Bearer <token>.');
      const principal = await app.repos.apiClients.authenticate(m[1]);
      if (!principal) throw unauthorized('The token is unknown or has been revoked.');
      request.principal = principal;
      if (!roles.includes(principal.role)) {
        throw new HttpProblem({
          status: 403,
          code: 'forbidden',
          detail: `A client with role ${principal.role} may not do this; allowed: ${roles.join(', ')}.`,
        });
      }
    });
  },
  { name: 'auth' },
);

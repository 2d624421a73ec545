import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type ActingPerson, clientContext, type Principal, type RequestContext, type Role } from '../../application/context.js';
import type { TokenIdentities } from '../../application/identity.js';
import type { FailureCounter } from '../../infrastructure/auth-failures.js';
import { IDENTITY_PROVIDER_RETRY_AFTER_S, looksLikeJwt } from '../../infrastructure/oidc.js';
import { RecentWriters } from '../../infrastructure/read-routing.js';
import { hasControlCharacter, hasVisibleCharacter } from '../../lib/text.js';
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
  /** The client holding the token, or null; `cachedOnly`: from memory only, no database look-up. */
  authenticate(token: string, cachedOnly?: boolean): Promise<Principal | null>;
  /** Failed authentications per source address (AUTH_FAILURES_PER_MINUTE); absent: not limited. */
  failures?: FailureCounter;
  /** How long a refused address waits for its 429 (AUTH_FAILURE_DELAY_MS): a closed-loop flood slows to its own pace. */
  refusalDelayMs?: number;
  /** After a client writes, its list reads go to the primary for this long (read-your-own-writes). */
  readYourWritesMs: number;
  /** OpenID Connect bearer JWTs from trusted issuers (src/application/identity.ts); absent: API-client tokens only. */
  identify?: TokenIdentities | undefined;
}

/**
 * A 401, with RFC 6750's `error="invalid_token"` in WWW-Authenticate for a bearer token refused; none
 * for a request without a bearer token, whether without credentials or with another scheme's (section 3.1).
 */
const unauthorized = (detail: string, error?: 'invalid_token') =>
  new HttpProblem({
    status: 401,
    code: 'unauthorized',
    detail,
    headers: { 'WWW-Authenticate': `Bearer realm="enforcement-registry"${error ? `, error="${error}"` : ''}` },
  });

/**
 * A 403 for a token that may not do this: its client's role is not one the operation allows, or an
 * identity provider's token carries claims that give it no role here. RFC 6750's
 * `error="insufficient_scope"` in WWW-Authenticate says so to OAuth client libraries (section 3.1);
 * a 403 of an operation's own rules (another municipality's figures) has no challenge.
 */
const insufficientScope = (detail: string) =>
  new HttpProblem({
    status: 403,
    code: 'forbidden',
    detail,
    headers: { 'WWW-Authenticate': 'Bearer realm="enforcement-registry", error="insufficient_scope"' },
  });

const tooManyFailures = (retryAfter: number) =>
  new HttpProblem({
    status: 429,
    code: 'too-many-failed-authentications',
    detail: `Too many requests from this address had an unknown or malformed token; retry in ${retryAfter} s.`,
    headers: { 'Retry-After': String(retryAfter) },
  });

/**
 * Holds the 429 of an address over its failure limit for `delayMs` (a timer, no work), so a flood
 * that waits for each answer before its next request sends a request per connection per delay
 * instead of as fast as the service can refuse. At most `maxHeld` are held at once; beyond that
 * the answer goes at once (holding must not cost unbounded sockets).
 */
class Tarpit {
  private held = 0;
  constructor(
    private readonly delayMs: number,
    private readonly maxHeld = 512,
  ) {}
  async hold(): Promise<void> {
    if (this.delayMs <= 0 || this.held >= this.maxHeld) return;
    this.held += 1;
    try {
      await new Promise((r) => setTimeout(r, this.delayMs));
    } finally {
      this.held -= 1;
    }
  }
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** One header value as text the trail may keep: printable, trimmed, at most 255 characters; else null. */
function headerText(v: unknown): string | null {
  if (typeof v !== 'string') return null;
  const t = v.trim();
  return t !== '' && t.length <= 255 && !hasControlCharacter(t) ? t : null;
}

/**
 * The person an API client (a static token) says it acts for: `X-Acting-User` (an id, such as the
 * officer's account name) and optionally `X-Acting-User-Name`. Kept as declared, not verified.
 */
function declaredPerson(request: FastifyRequest): ActingPerson | null {
  const id = headerText(request.headers['x-acting-user']);
  return id ? { id, name: headerText(request.headers['x-acting-user-name']), verified: false } : null;
}

const BEARER = /^Bearer\s+([\x21-\x7e]{16,8192})\s*$/i;

/** The request context of a route that declares `roles` (always set there). */
export function contextOf(request: FastifyRequest): RequestContext {
  if (!request.context) throw unauthorized('This route needs a bearer token.');
  return request.context;
}

/**
 * Bearer-token authentication, role checks and the request context. A route opts in with
 * `config: { roles: [...] }`. No or unknown token: 401. Known client with another role: 403
 * (`insufficient_scope`).
 * The context carries the actor (for the audit trail, with X-Audit-Reason), the tenant scope and
 * whether reads must see the client's own recent writes.
 *
 * A malformed or unknown token counts as a failure of the source address (`failures`). An address
 * over its limit gets 429 with Retry-After, and its tokens are checked from memory only: a client
 * this instance verified recently still passes, a guess costs no database look-up, and a JWT is
 * verified with the keys fetched before, fetching nothing.
 */
export default fp(
  async function auth(app: FastifyInstance, opts: AuthOptions) {
    const writers = new RecentWriters(opts.readYourWritesMs);
    const tarpit = new Tarpit(opts.refusalDelayMs ?? 0);
    app.decorateRequest('principal', null);
    app.decorateRequest('context', null);
    app.addHook('onRequest', async (request) => {
      const roles = request.routeOptions.config.roles;
      if (!roles) return;
      const header = request.headers.authorization;
      if (!header) throw unauthorized('Send an Authorization: Bearer <token> header.');
      const m = BEARER.exec(header);
      const token = m?.[1];
      const wait = opts.failures ? await opts.failures.retryAfter(request.ip) : 0;
      let principal: Principal | null = null;
      let refusal = 'The token is unknown or has been revoked.';
      if (token && opts.identify && looksLikeJwt(token)) {
        const identity = await opts.identify(token, wait > 0);
        if (identity.kind === 'ok') principal = identity.principal;
        else if (identity.kind === 'forbidden') throw insufficientScope(identity.reason);
        else if (identity.kind === 'unavailable') {
          throw new HttpProblem({
            status: 503,
            code: 'identity-provider-unavailable',
            detail: 'The identity provider that issued the token cannot be reached to check it; retry in a moment.',
            headers: { 'Retry-After': String(IDENTITY_PROVIDER_RETRY_AFTER_S) },
          });
        } else refusal = `The token is not accepted: ${identity.reason}.`;
      } else if (token && token.length <= 512) {
        principal = await opts.authenticate(token, wait > 0);
        if (principal) principal = { ...principal, person: declaredPerson(request) };
      }
      if (!principal) {
        if (wait > 0) {
          await tarpit.hold();
          throw tooManyFailures(wait);
        }
        await opts.failures?.fail(request.ip);
        throw token ? unauthorized(refusal, 'invalid_token') : unauthorized('The Authorization header must be: Bearer <token>.');
      }
      request.principal = principal;
      if (!roles.includes(principal.role)) {
        throw insufficientScope(`A client with role ${principal.role} may not do this; allowed: ${roles.join(', ')}.`);
      }
      if (!READS.has(request.method)) writers.noteWrite(principal.clientId); // a write in flight
      const reason = request.headers['x-audit-reason'];
      request.context = clientContext(principal, {
        requestId: request.id,
        // Kept as other text is (trimmed, NFC); blank or invisible only is no reason (a delete's schema requires one).
        reason: typeof reason === 'string' && hasVisibleCharacter(reason) ? reason.trim().normalize('NFC') : null,
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

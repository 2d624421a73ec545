import type { Role } from '../domain/codes.js';
import type { ActingPerson, AuditAuthor } from '../infrastructure/audit/chain.js';
import type { TenantScope } from '../infrastructure/db/tenant.js';
import type { IdempotencyClaim } from '../infrastructure/idempotency.js';

export type { ActingPerson, Role };

/** The authenticated API client behind a request. */
export interface Principal {
  clientId: string;
  name: string;
  role: Role;
  /** Set for officers: the one municipality whose records they may read and write. */
  municipalityCode: string | null;
  /** The person acting through this client, when known: verified from a user token, or declared by a system. */
  person?: ActingPerson | null | undefined;
}

/** Who makes a change and why: what the audit trail records with it. */
export interface Actor extends AuditAuthor {
  role: Role | 'system';
}

/** Which municipalities' records a caller may see: one, or all (an explicit setting, never a default). */
export type Scope = TenantScope;

/**
 * Everything a command or query needs to know about the request it serves, built once by the
 * HTTP layer's authentication (src/http/plugins/auth.ts) and handed down explicitly.
 */
export interface RequestContext {
  actor: Actor;
  scope: Scope;
  /** Officers are bound to their municipality; null for the other roles and the service itself. */
  municipalityCode: string | null;
  /** A list may lag on a replica, except for a client that wrote moments ago (read-your-own-writes). */
  readFromPrimary: boolean;
  /** The Idempotency-Key of a POST, claimed in its command's own transaction. */
  idempotency: IdempotencyClaim | null;
}

/**
 * Officers see their own municipality; analysts and admins all of them. An officer without one cannot
 * be made (a check on api_clients, and identity.ts for tokens); should one appear, it is refused here
 * rather than given the widest scope.
 */
function scopeOf(p: Pick<Principal, 'role' | 'municipalityCode'>): Scope {
  if (p.role !== 'officer') return { kind: 'all' };
  if (!p.municipalityCode) throw new Error('an officer without a municipality has no scope');
  return { kind: 'municipality', code: p.municipalityCode };
}

export function clientContext(
  p: Principal,
  request: { requestId: string | null; reason: string | null; readFromPrimary?: boolean },
): RequestContext {
  return {
    actor: { clientId: p.clientId, role: p.role, requestId: request.requestId, reason: request.reason, person: p.person ?? null },
    scope: scopeOf(p),
    municipalityCode: p.role === 'officer' ? p.municipalityCode : null,
    readFromPrimary: request.readFromPrimary ?? false,
    idempotency: null,
  };
}

/** The service's own work (start-up, set-up, maintenance): every municipality, named in the trail by its reason. */
export const systemContext = (reason: string): RequestContext => ({
  actor: { clientId: null, role: 'system', requestId: null, reason },
  scope: { kind: 'all' },
  municipalityCode: null,
  readFromPrimary: true,
  idempotency: null,
});

/** Public, unauthenticated reads of published aggregates (open data). */
export const publicContext = (requestId: string | null): RequestContext => ({
  actor: { clientId: null, role: 'system', requestId, reason: null },
  scope: { kind: 'all' },
  municipalityCode: null,
  readFromPrimary: false,
  idempotency: null,
});

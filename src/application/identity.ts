import { createHash } from 'node:crypto';
import { ROLES } from '../domain/codes.js';
import type { OidcVerifier, TrustedIssuer } from '../infrastructure/oidc.js';
import { cutAt, hasControlCharacter, hasLoneSurrogate } from '../lib/text.js';
import type { ActingPerson, Principal, Role } from './context.js';

/**
 * Who a verified OpenID Connect token speaks for. The calling application (its `client_id` or
 * `azp`) is the principal, like an API client; the person is the token's user (a user token:
 * verified) or, for a system token (client credentials), the officer it declares in the ZGW claims
 * `user_id` and `user_representation` (declared, not verified). Role and municipality come from the
 * issuer's configured claims; a token without them is refused (403), never guessed.
 */

type Claims = Record<string, unknown>;

export type TokenIdentity =
  | { kind: 'ok'; principal: Principal }
  /** Not a token this service accepts (401). */
  | { kind: 'invalid'; reason: string }
  /** A valid token that does not say what its holder may do (403). */
  | { kind: 'forbidden'; reason: string }
  /** The identity provider could not be asked (503). */
  | { kind: 'unavailable'; reason: string };

/** A claim by name; a dot walks into objects (`realm_access.roles`). */
function claim(claims: Claims, path: string): unknown {
  if (path in claims) return claims[path];
  let v: unknown = claims;
  for (const part of path.split('.')) v = typeof v === 'object' && v !== null ? (v as Claims)[part] : undefined;
  return v;
}

const strings = (v: unknown): string[] =>
  typeof v === 'string' ? v.split(/[\s,]+/).filter(Boolean) : Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];

const isRole = (r: string): r is Role => (ROLES as readonly string[]).includes(r);

/** The one registry role a token's role claim names (after the issuer's roleMap); several different ones is no answer. */
function roleOf(issuer: TrustedIssuer, claims: Claims): Role | null {
  const mapped = strings(claim(claims, issuer.roleClaim))
    .map((r) => (issuer.roleMap ? issuer.roleMap[r] : r))
    .filter((r): r is string => typeof r === 'string' && isRole(r));
  const distinct = [...new Set(mapped)];
  return distinct.length === 1 ? (distinct[0] as Role) : null;
}

/**
 * A claim as text the audit trail can keep, or null: blank, control characters, or half a surrogate pair
 * (a JWT's JSON may escape one; the audit hash and PostgreSQL refuse it, which made every write of that
 * user a 500) name nobody. Cut at `max` UTF-16 units, never through a character (an emoji at the end of a
 * long name was cut in half, with the same 500).
 */
const text = (v: unknown, max = 255): string | null =>
  typeof v === 'string' && v.trim() !== '' && !hasControlCharacter(v) && !hasLoneSurrogate(v) ? cutAt(v.trim(), max) : null;

/**
 * A stable id of an issuer's client, in the uuid form the registry stores for API clients (createdBy,
 * audit clientId), per role and municipality: an application through which officers of several
 * municipalities log in is, to the registry, one client per municipality and role, as API clients
 * are. So their Idempotency-Keys, rate limits and subscriptions never meet.
 */
export function oidcClientId(issuer: string, client: string, role: Role, municipalityCode: string | null): string {
  const h = createHash('sha256')
    .update(`oidc\n${issuer}\n${client}\n${role}\n${municipalityCode ?? ''}`)
    .digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((Number.parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * A system token: issued to the application itself (client credentials). Its `sub` is the client
 * (oidc-provider, Entra ID app tokens: `sub` = `oid` of the app, `idtyp: app`), or it names a
 * Keycloak service account. Every other token is a user's.
 */
function isSystemToken(claims: Claims, client: string | null): boolean {
  if (claims.idtyp === 'app') return true;
  if (typeof claims.sub !== 'string' || claims.sub === client) return true;
  const username = claims.preferred_username;
  return typeof username === 'string' && username.startsWith('service-account-');
}

/**
 * The person a token names. A user's id is the token's subject, which is unique only within its
 * issuer; a subject from an issuer that serves one municipality is written `sub@GM0363`, so that the
 * administrators of that issuer, who decide its claims, cannot mint a subject that the audit trail
 * takes for a verified person of the central issuer or of another municipality.
 */
function personOf(issuer: TrustedIssuer, claims: Claims, system: boolean): ActingPerson | null {
  if (system) {
    const id = text(claims.user_id);
    return id ? { id, name: text(claims.user_representation), verified: false } : null;
  }
  // A subject that is blank or holds control characters names nobody: no person, rather than a verified nobody.
  const qualifier = issuer.municipalityCode ? `@${issuer.municipalityCode}` : '';
  const sub = text(claims.sub, 255 - qualifier.length); // the id stays within what ?actorId= takes
  if (!sub) return null;
  const id = `${sub}${qualifier}`;
  return { id, name: text(claims.name) ?? text(claims.preferred_username), verified: true };
}

export function identityFromClaims(issuer: TrustedIssuer, claims: Claims): TokenIdentity {
  const client = text(claims.client_id) ?? text(claims.azp) ?? text(claims.appid);
  const system = isSystemToken(claims, client);
  const clientKey = client ?? (text(claims.sub) as string | null) ?? 'unknown';
  const role = roleOf(issuer, claims);
  if (!role) {
    return {
      kind: 'forbidden',
      reason: `The token’s ${issuer.roleClaim} claim names no single role of this registry (officer, analyst or admin).`,
    };
  }
  // An issuer that serves one municipality speaks for that one only: its own administrators can put
  // any claim into its tokens. An admin or analyst reaches every municipality (an admin can make an
  // officer client of any), so such an issuer makes officers only.
  if (role !== 'officer' && issuer.municipalityCode) {
    return {
      kind: 'forbidden',
      reason: `This issuer serves ${issuer.municipalityCode} only: its tokens may be officers’ only, not ${role}s’ (who reach every municipality).`,
    };
  }
  const raw = claim(claims, issuer.municipalityClaim);
  const claimed = text(raw, 10);
  // So a claim naming another municipality is refused too, never obeyed; so is one that is not a
  // municipality's code at all (a list, a number, a text with control characters).
  const absent = raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '');
  const names = typeof raw === 'string' ? raw.trim() : raw;
  if (role === 'officer' && issuer.municipalityCode && !absent && names !== issuer.municipalityCode) {
    return {
      kind: 'forbidden',
      reason: `This issuer serves ${issuer.municipalityCode} only; the token’s ${issuer.municipalityClaim} claim names another municipality.`,
    };
  }
  const municipality = issuer.municipalityCode ?? claimed;
  if (role === 'officer' && !(municipality && /^GM[0-9]{4}$/.test(municipality))) {
    return {
      kind: 'forbidden',
      reason: `An officer’s token must carry the municipality (CBS code such as GM0363) in its ${issuer.municipalityClaim} claim.`,
    };
  }
  return {
    kind: 'ok',
    principal: {
      clientId: oidcClientId(issuer.issuer, clientKey, role, role === 'officer' ? municipality : null),
      name: `${clientKey} (${issuer.issuer})`,
      role,
      municipalityCode: role === 'officer' ? municipality : null,
      person: personOf(issuer, claims, system),
    },
  };
}

/**
 * Verifies a bearer JWT and says who it speaks for. An officer's municipality must be registered here
 * (`registered`): a code the identity provider got wrong would otherwise read as a municipality with
 * no records, where an API client's officer can only be made for a registered one.
 */
export function createTokenIdentities(verifier: OidcVerifier, registered: (municipalityCode: string) => Promise<boolean>) {
  /** `memoryOnly`: the source address is blocked for failed authentications, nothing is fetched (OidcVerifier.verify). */
  return async function identify(token: string, memoryOnly = false): Promise<TokenIdentity> {
    const checked = await verifier.verify(token, memoryOnly);
    if (!checked.ok)
      return checked.unavailable ? { kind: 'unavailable', reason: checked.reason } : { kind: 'invalid', reason: checked.reason };
    const identity = identityFromClaims(checked.issuer, checked.claims as Claims);
    const code = identity.kind === 'ok' ? identity.principal.municipalityCode : null;
    if (code && !(await registered(code))) {
      return {
        kind: 'forbidden',
        reason: `The token’s municipality ${code} is not registered in this registry (GET /v1/municipalities lists those that are).`,
      };
    }
    return identity;
  };
}

export type TokenIdentities = ReturnType<typeof createTokenIdentities>;

import { createLocalJWKSet, createRemoteJWKSet, customFetch, decodeJwt, errors, type JWTPayload, jwtVerify } from 'jose';
import { isHttpsOrLoopback } from '../lib/networks.js';

/**
 * OpenID Connect / OAuth 2 bearer JWTs from the identity providers a deployment trusts. Per issuer
 * the discovery document is fetched once (on its first token) for its `jwks_uri`, and jose's remote
 * key set caches the keys: a token signed with a key id it does not know makes it fetch the set
 * again (at most once per cool-down), so an identity provider can rotate its keys without a restart,
 * and the set is fetched again before use once it is older than its maximum age, so a key the provider
 * withdrew stops verifying within that age at the latest.
 *
 * Neither the discovery document nor the key set is read past MAX_PROVIDER_DOCUMENT_BYTES.
 *
 * When the provider cannot be reached (discovery or keys), its issuer counts as down for the cool-down,
 * at most the 503's Retry-After (5 s): its tokens are checked against the keys last fetched, if still within their maximum
 * age, and nothing is fetched, so a flood of tokens during an outage does not become a flood of requests
 * to the provider. A token whose key is not among them is a 503 until the provider answers again.
 */

export interface TrustedIssuer {
  /** The exact `iss` of its tokens. */
  issuer: string;
  /** The `aud` a token must carry (one of them). */
  audience: string | string[];
  /** Claim that carries the role(s); a dot walks into objects (Keycloak: `realm_access.roles`). */
  roleClaim: string;
  /** Claim that carries the municipality (CBS code) of an officer. */
  municipalityClaim: string;
  /** The identity provider's role names → the registry's roles; without it the names must be officer, analyst or admin. */
  roleMap?: Record<string, string> | undefined;
  /** The municipality of every officer of this issuer, for an identity provider that serves one municipality only. */
  municipalityCode?: string | undefined;
  /** Where the discovery document is; default `{issuer}/.well-known/openid-configuration`. */
  discoveryUrl?: string | undefined;
  /** The least time between two fetches of the key set (jose's cooldownDuration); default 30 s. */
  jwksCooldownMs?: number | undefined;
  /** How old the fetched key set may grow before it is fetched again (jose's cacheMaxAge); default 10 min. */
  jwksMaxAgeMs?: number | undefined;
}

export interface OidcOptions {
  issuers: readonly TrustedIssuer[];
  /** Allowed clock skew for exp, nbf and iat, in seconds. */
  clockToleranceSeconds: number;
  /** The oldest a token may be since its `iat` (which it must then carry, and not in the future), in seconds. */
  maxTokenAgeSeconds: number;
  /** For tests: how discovery and keys are fetched. */
  fetchTimeoutMs?: number;
}

/** What a 503 for an unreachable identity provider asks a client to wait, in seconds (Retry-After). */
export const IDENTITY_PROVIDER_RETRY_AFTER_S = 5;

/** The result of checking a JWT: its verified claims, or why it is not accepted. */
export type JwtCheck = { ok: true; issuer: TrustedIssuer; claims: JWTPayload } | { ok: false; unavailable: boolean; reason: string };

/** Algorithms accepted: RSA (RS256) and elliptic-curve (ES256) signatures; never `none` or HMAC. */
export const OIDC_ALGORITHMS = ['RS256', 'ES256'];

/** Three base64url parts: a compact JWS. API-client tokens (`er_…`) never have dots. */
export const looksLikeJwt = (token: string) => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);

/** Thrown when an identity provider cannot be reached: not the client's fault (503). */
export class IdentityProviderUnavailable extends Error {}

/**
 * The most of a discovery document or key set that is read: real ones are a few kB. A provider that
 * answers more (a misconfigured proxy, a hostile hop) is unavailable, and its answer is not held in memory.
 */
export const MAX_PROVIDER_DOCUMENT_BYTES = 1024 * 1024;

/**
 * fetch, with the body read here up to `max` bytes and handed on whole, or the fetch refused as the
 * provider's outage beyond that (whether Content-Length says so first or the body only shows it), as
 * is a body broken off. The request's signal (its timeout) bounds the reading too.
 */
export async function fetchCapped(url: string | URL, init: RequestInit, max = MAX_PROVIDER_DOCUMENT_BYTES): Promise<Response> {
  const res = await fetch(url, init);
  const tooLarge = () => new IdentityProviderUnavailable(`${new URL(url).origin} answered more than ${max} bytes`);
  if (Number(res.headers.get('content-length') ?? 0) > max) {
    await res.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!res.body) return res;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    let read: Awaited<ReturnType<typeof reader.read>>;
    try {
      read = await reader.read();
    } catch (err) {
      // The timeout stays what it is (jose: JWKSTimeout); a connection broken mid-answer is an outage,
      // as when jose read the body itself, never a token refused (401) that counts against the caller.
      if ((err as Error).name === 'TimeoutError') throw err;
      throw new IdentityProviderUnavailable(`${new URL(url).origin} broke off its answer: ${(err as Error).message}`, { cause: err });
    }
    if (read.done) break;
    size += read.value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(read.value);
  }
  return new Response(size ? Buffer.concat(chunks) : null, { status: res.status, statusText: res.statusText, headers: res.headers });
}

export function createOidcVerifier(opts: OidcOptions) {
  const byIssuer = new Map(opts.issuers.map((i) => [i.issuer, i]));
  const keySets = new Map<string, Promise<ReturnType<typeof createRemoteJWKSet>>>();
  const timeout = opts.fetchTimeoutMs ?? 5000;
  /** Per issuer: until when its provider counts as down (nothing is fetched from it meanwhile). */
  const downUntil = new Map<string, number>();
  /** Per issuer that is down: the keys fetched before it went down, as a local set, made once per outage. */
  const lastKnown = new Map<string, Promise<ReturnType<typeof createLocalJWKSet>>>();

  async function discover(i: TrustedIssuer) {
    const url = i.discoveryUrl ?? `${i.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    let res: Response;
    try {
      // No redirect is followed: a hop over plain http could hand over a document naming keys of anyone's
      // (jose fetches the keys without following redirects too). A provider that moved sets discoveryUrl.
      res = await fetchCapped(url, { signal: AbortSignal.timeout(timeout), headers: { accept: 'application/json' }, redirect: 'error' });
    } catch (err) {
      if (err instanceof IdentityProviderUnavailable)
        throw new IdentityProviderUnavailable(`discovery of ${i.issuer} failed: ${err.message}`);
      const cause = (err as Error).cause instanceof Error ? `: ${((err as Error).cause as Error).message}` : ''; // "unexpected redirect"
      throw new IdentityProviderUnavailable(`discovery of ${i.issuer} failed: ${(err as Error).message}${cause}`);
    }
    if (!res.ok) throw new IdentityProviderUnavailable(`discovery of ${i.issuer} answered ${res.status}`);
    // An error page answered with 200 (a proxy's, a maintenance page) is an outage too, not a bad token.
    const doc = (await res.json().catch(() => null)) as { issuer?: unknown; jwks_uri?: unknown } | null;
    if (doc?.issuer !== i.issuer || typeof doc.jwks_uri !== 'string') {
      throw new IdentityProviderUnavailable(`the discovery document of ${i.issuer} names another issuer or no jwks_uri`);
    }
    if (!isHttpsOrLoopback(doc.jwks_uri)) {
      throw new IdentityProviderUnavailable(`the discovery document of ${i.issuer} names a jwks_uri that is not an https URL`);
    }
    return createRemoteJWKSet(new URL(doc.jwks_uri), {
      timeoutDuration: timeout,
      cooldownDuration: i.jwksCooldownMs ?? 30_000,
      cacheMaxAge: i.jwksMaxAgeMs ?? 600_000,
      [customFetch]: fetchCapped, // a key set over MAX_PROVIDER_DOCUMENT_BYTES is not read either
    });
  }

  /** The issuer's key set; a failed discovery is forgotten, so the next token tries again. */
  function keysOf(i: TrustedIssuer) {
    let keys = keySets.get(i.issuer);
    if (!keys) {
      keys = discover(i);
      keySets.set(i.issuer, keys);
      keys.catch(() => keySets.delete(i.issuer));
    }
    return keys;
  }

  /**
   * Verifies a bearer JWT. `memoryOnly` (a source address blocked for failed authentications): only with
   * the keys already fetched, nothing fetched or discovered; a token no such key verifies is refused.
   */
  async function verify(token: string, memoryOnly = false): Promise<JwtCheck> {
    let iss: unknown;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      return { ok: false, unavailable: false, reason: 'the token is not a readable JWT' };
    }
    const issuer = typeof iss === 'string' ? byIssuer.get(iss) : undefined;
    if (!issuer) return { ok: false, unavailable: false, reason: 'the token’s issuer is not trusted here' };
    const down = Date.now() < (downUntil.get(issuer.issuer) ?? 0);
    try {
      if (memoryOnly && !down) {
        const inMemory = await keysInMemory(issuer);
        if (!inMemory) return { ok: false, unavailable: false, reason: 'no key of the issuer is known here now' };
        return await verified(token, issuer, inMemory);
      }
      const keys = down ? await lastKnownKeys(issuer) : await keysOf(issuer);
      return await verified(token, issuer, keys);
    } catch (err) {
      const unavailable = providerUnavailable(err, issuer, down);
      if (unavailable) {
        if (!down) {
          downUntil.set(issuer.issuer, Date.now() + outageMsOf(issuer));
          lastKnown.delete(issuer.issuer);
        }
        return { ok: false, unavailable: true, reason: unavailable };
      }
      if (err instanceof errors.JWTExpired)
        return {
          ok: false,
          unavailable: false,
          reason: err.claim === 'iat' ? 'the token is older than accepted here' : 'the token has expired',
        };
      if (err instanceof errors.JWTClaimValidationFailed)
        return { ok: false, unavailable: false, reason: `the token’s ${err.claim} claim is not accepted` };
      if (err instanceof errors.JWKSNoMatchingKey)
        return { ok: false, unavailable: false, reason: 'no key of the issuer matches the token' };
      return { ok: false, unavailable: false, reason: 'the token’s signature or form is not valid' };
    }
  }

  async function verified(
    token: string,
    issuer: TrustedIssuer,
    keys: ReturnType<typeof createRemoteJWKSet> | ReturnType<typeof createLocalJWKSet>,
  ): Promise<JwtCheck> {
    const { payload } = await jwtVerify(token, keys, {
      issuer: issuer.issuer,
      audience: issuer.audience,
      algorithms: OIDC_ALGORITHMS,
      clockTolerance: opts.clockToleranceSeconds,
      maxTokenAge: opts.maxTokenAgeSeconds, // iat required, not in the future, not older than this
      requiredClaims: ['exp'],
    });
    return { ok: true, issuer, claims: payload };
  }

  /**
   * The keys fetched before, as a local set (no fetch), while they are within their maximum age; null
   * when none were, or they are older: a key the provider withdrew must stop verifying within
   * jwksMaxAgeMs, also for an address that blocked itself on purpose to keep the old set in use.
   */
  async function keysInMemory(i: TrustedIssuer) {
    const remote = await keySets.get(i.issuer)?.catch(() => undefined);
    const known = remote?.fresh ? remote.jwks() : undefined;
    return known ? createLocalJWKSet(known) : null;
  }

  /**
   * While an issuer is down: the keys fetched before, as a local set (no fetch), if they are within their
   * maximum age; otherwise the provider is as unavailable as it was.
   */
  function lastKnownKeys(i: TrustedIssuer) {
    let keys = lastKnown.get(i.issuer);
    if (!keys) {
      keys = (async () => {
        const remote = await keySets.get(i.issuer);
        const known = remote?.fresh ? remote.jwks() : undefined;
        if (!known) throw new IdentityProviderUnavailable(`${i.issuer} could not be reached a moment ago`);
        return createLocalJWKSet(known);
      })();
      lastKnown.set(i.issuer, keys);
    }
    return keys;
  }

  return { verify, trusts: (iss: string) => byIssuer.has(iss) };
}

/** How long an issuer whose provider could not be reached counts as down: its cool-down, at most the 503's Retry-After. */
const outageMsOf = (i: TrustedIssuer) => Math.min(i.jwksCooldownMs ?? 30_000, IDENTITY_PROVIDER_RETRY_AFTER_S * 1000);

/** Why the provider behind `issuer` could not answer, or null when `err` is about the token itself. */
function providerUnavailable(err: unknown, issuer: TrustedIssuer, down: boolean): string | null {
  if (err instanceof IdentityProviderUnavailable) return err.message;
  // Down, and the token's key is not among those last fetched: it may be a new one, which cannot be fetched now.
  if (down && err instanceof errors.JWKSNoMatchingKey) return `${issuer.issuer} could not be reached a moment ago`;
  // jose's remote key set: a timeout, a network error, an answer other than 200 or not JSON (a plain
  // JOSEError, which jose throws for nothing else), or no key set in it: the keys could not be read.
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    (err instanceof errors.JOSEError && err.code === errors.JOSEError.code) ||
    (err instanceof TypeError && /fetch/i.test(err.message))
  ) {
    return `the keys of ${issuer.issuer} could not be fetched`;
  }
  return null;
}

export type OidcVerifier = ReturnType<typeof createOidcVerifier>;

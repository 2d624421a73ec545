import { randomBytes } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { Webhook } from 'standardwebhooks';
import { hostOf, isLoopback, isPrivate, neverCalled, type PrivateNetworks, refusedInternal, refusedLoopbackName } from '../lib/networks.js';

/**
 * Outbound webhook calls: Standard Webhooks signatures (https://www.standardwebhooks.com) and a
 * POST that is safe to point at a URL someone else chose: https only unless the host is listed,
 * no redirects followed, connect and response timeouts, a response size limit, and never to a
 * link-local, metadata or unspecified address (checked on the resolved address, so DNS cannot
 * smuggle one in). Loopback is reached only for hosts listed for plain http (tests, development),
 * and private networks (loopback too) only where the operator allows them (NOTIFICATIONS_PRIVATE_NETWORKS).
 */

/** A new signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * `v1,<base64 HMAC-SHA256 of id.timestamp.body>` for each secret, space-separated (rotation: old and
 * new), signed by the scheme's reference library, the one receivers verify with.
 */
export function signatures(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  const at = new Date(timestampSeconds * 1000);
  return secrets.map((secret) => new Webhook(secret).sign(id, at, body)).join(' ');
}

export interface OutboundPolicy {
  /** Lower-case host names (or IP literals) that may be called over http, and the only ones that may resolve to loopback. */
  plainHttpHosts: readonly string[];
  /** The private-network and loopback addresses calls may reach: `all`, or these ranges. */
  privateNetworks: PrivateNetworks;
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  maxResponseBytes: number;
}

export interface PostResult {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The first few hundred characters of the response, printable only; none from a private-network address. */
  excerpt: string | null;
  /** Set when the sender was stopped (`abort()`) before the receiver answered: the receiver is not to blame. */
  aborted?: true;
  /** The Retry-After header of a 429 or 503 answer, as sent. */
  retryAfter?: string;
}

const EXCERPT_CHARS = 200;

/**
 * A failed call as its delivery log says it. At a private-network address (where the connection went,
 * or for a connection that never opened, any address it was refused at: a name with several
 * addresses fails with an AggregateError of one error each) only the error's code: Node's message
 * names the address a host name resolved to (`connect ECONNREFUSED 10.1.2.3:8443`) or the host names
 * in an internal service's certificate, which the subscriber must not learn.
 */
export function failureText(err: Error, remote: string | undefined): string {
  if (err instanceof BlockedAddressError) return `refused: ${err.message}`;
  const { code = 'error' } = err as NodeJS.ErrnoException;
  const tried = err instanceof AggregateError ? (err.errors as unknown[]) : [err];
  const addresses = remote !== undefined ? [remote] : tried.map((e) => (e as { address?: unknown } | null)?.address);
  if (addresses.some((a) => typeof a === 'string' && isPrivate(a))) return `${code} (at a private-network address: no details kept)`;
  return err.message || code; // an AggregateError's own message is empty
}

/**
 * Why an address may not be called, or null. Loopback needs both: a host listed for plain http
 * (`loopbackAllowed`) and a private-network setting that allows it.
 */
export function blockedAddress(address: string, loopbackAllowed: boolean, privateNetworks: PrivateNetworks): string | null {
  const never = neverCalled(address);
  if (never) return never;
  if (!loopbackAllowed && isLoopback(address)) return 'loopback address';
  if (refusedInternal(address, privateNetworks)) return 'private-network address outside NOTIFICATIONS_PRIVATE_NETWORKS';
  return null;
}

/**
 * Why the sender refuses a callback before connecting, or null: plain http to a host not listed, or an
 * IP literal (or `localhost`, which always resolves to loopback) the guard refuses. What these settings
 * allow can narrow after a subscription was made, so the same verdict names such subscriptions at
 * start-up. Any other host name is judged at the connection, on the addresses it resolves to.
 */
export function refusedTarget(url: URL, policy: Pick<OutboundPolicy, 'plainHttpHosts' | 'privateNetworks'>): string | null {
  const host = hostOf(url);
  const listed = policy.plainHttpHosts.includes(host);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && listed)) return 'plain http is not allowed for this host';
  // An IP literal is judged here; a name at the connection, on what it resolves to, except localhost,
  // which always resolves to loopback: judged here too, as the subscription check judges it.
  // (Said as the guard at the connection says it of a name.)
  const why = net.isIP(host)
    ? blockedAddress(host, listed, policy.privateNetworks)
    : isLoopback(host) && !listed
      ? `${host} resolves to a loopback address`
      : refusedLoopbackName(host, policy.privateNetworks)
        ? `${host} resolves to a private-network address outside NOTIFICATIONS_PRIVATE_NETWORKS`
        : null;
  return why ? `refused: ${why}` : null;
}

class BlockedAddressError extends Error {}

/** dns.lookup, refusing any address in the blocked ranges. */
function guardedLookup(loopbackAllowed: boolean, privateNetworks: PrivateNetworks): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      for (const a of addresses) {
        const why = blockedAddress(a.address, loopbackAllowed, privateNetworks);
        if (why) return callback(new BlockedAddressError(`${hostname} resolves to a ${why}`), '', 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as dns.LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

const printable = (s: string) => s.replace(/[^\x20-\x7e]+/g, ' ').slice(0, EXCERPT_CHARS);

/** A webhook sender with keep-alive connections; `abort()` cuts the calls under way, `close()` ends the connections. */
export function createWebhookSender(policy: OutboundPolicy) {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };
  const ABORTED = { statusCode: null, error: 'not answered: the sender stopped', excerpt: null, aborted: true } as const;
  const underWay = new Set<() => void>();
  let aborted = false;

  function post(target: string, body: string, headers: Record<string, string>): Promise<PostResult> {
    const started = performance.now();
    const done = (r: Omit<PostResult, 'durationMs'>): PostResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
    if (aborted) return Promise.resolve(done(ABORTED));
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return Promise.resolve(done({ statusCode: null, error: 'invalid callback URL', excerpt: null }));
    }
    const refused = refusedTarget(url, policy);
    if (refused) return Promise.resolve(done({ statusCode: null, error: refused, excerpt: null }));
    const listed = policy.plainHttpHosts.includes(hostOf(url));
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: Omit<PostResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(overall);
        underWay.delete(cut);
        resolve(done(r));
      };
      const req = lib.request(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        lookup: guardedLookup(listed, policy.privateNetworks),
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      });
      const cut = () => {
        finish(ABORTED);
        req.destroy();
      };
      underWay.add(cut);
      const overall = setTimeout(() => {
        finish({ statusCode: null, error: `no complete response within ${policy.responseTimeoutMs} ms`, excerpt: null });
        req.destroy();
      }, policy.responseTimeoutMs);
      // Where the call went: a failure there (a TLS error names the certificate's host names) is not quoted from a private network either.
      let remote: string | undefined;
      req.on('socket', (socket) => {
        const note = () => {
          remote = socket.remoteAddress ?? remote;
        };
        if (!socket.connecting) return note();
        socket.once('connect', note);
        const timer = setTimeout(() => {
          finish({ statusCode: null, error: `no connection within ${policy.connectTimeoutMs} ms`, excerpt: null });
          req.destroy();
        }, policy.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.on('error', (err) => finish({ statusCode: null, error: failureText(err, remote), excerpt: null }));
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        // An answer from a private network is never quoted (no excerpt, no redirect Location): with it, a
        // subscriber could read internal services that answer a POST. The status code stays (the
        // receiver's own failures need it).
        const remote = res.socket?.remoteAddress;
        const quotable = remote !== undefined && !isPrivate(remote);
        let received = 0;
        let text = '';
        const end = (error: string | null) => {
          const to = quotable ? ` to ${res.headers.location ?? '?'}` : '';
          const redirect = status >= 300 && status < 400 ? `redirect${to} not followed` : null;
          const retryAfter = status === 429 || status === 503 ? res.headers['retry-after'] : undefined;
          finish({
            statusCode: status,
            error: redirect ?? error,
            excerpt: text && quotable ? printable(text) : null,
            ...(retryAfter === undefined ? {} : { retryAfter }),
          });
        };
        res.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (text.length < EXCERPT_CHARS) text += chunk.toString('utf8', 0, Math.min(chunk.length, EXCERPT_CHARS));
          if (received > policy.maxResponseBytes) {
            end(status >= 200 && status < 300 ? null : `response larger than ${policy.maxResponseBytes} bytes`);
            res.destroy();
          }
        });
        res.on('end', () => end(status >= 200 && status < 300 ? null : `HTTP ${status}`));
        res.on('error', (err) => end(err.message));
      });
      req.end(body);
    });
  }

  return {
    post,
    /** Ends every call under way at once (each answers `aborted`), and every later one before it starts: for a shutdown. */
    abort() {
      aborted = true;
      for (const cut of [...underWay]) cut();
    },
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

import { createHmac, randomBytes } from 'node:crypto';
import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';

/**
 * Outbound webhook calls: Standard Webhooks signatures (https://www.standardwebhooks.com) and a
 * POST that is safe to point at a URL someone else chose: https only unless the host is listed,
 * no redirects followed, connect and response timeouts, a response size limit, and never to a
 * link-local, metadata or unspecified address (checked on the resolved address, so DNS cannot
 * smuggle one in). Loopback is reached only for hosts listed for plain http (tests, development).
 */

/** A new signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** `v1,<base64 HMAC-SHA256 of id.timestamp.body>` for each secret, space-separated (rotation: old and new). */
export function signatures(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets
    .map((s) => {
      const key = Buffer.from(s.replace(/^whsec_/, ''), 'base64');
      return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
    })
    .join(' ');
}

export interface OutboundPolicy {
  /** Lower-case host names (or IP literals) that may be called over http, and the only ones that may resolve to loopback. */
  plainHttpHosts: readonly string[];
  connectTimeoutMs: number;
  responseTimeoutMs: number;
  maxResponseBytes: number;
}

export interface PostResult {
  statusCode: number | null;
  durationMs: number;
  error: string | null;
  /** The first few hundred characters of the response, printable only. */
  excerpt: string | null;
}

const EXCERPT_CHARS = 200;

/**
 * The IPv4 address an IPv4-mapped IPv6 address (`::ffff:0:0/96`) reaches, or null: dotted
 * (`::ffff:169.254.169.254`, as DNS answers it) or in hex, as URL parsing writes a literal
 * (`https://[::ffff:169.254.169.254]/` has the host `::ffff:a9fe:a9fe`), in any case and spelling.
 */
function mappedIPv4(address: string): string | null {
  if (!net.isIPv6(address)) return null;
  let text = address.toLowerCase();
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (quad) {
    const [a = 0, b = 0, c = 0, d = 0] = quad.split('.').map(Number);
    text = `${text.slice(0, -quad.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const part = (s: string | undefined) => (s ? s.split(':') : []);
  const groups =
    tail === undefined ? part(head) : [...part(head), ...Array(8 - part(head).length - part(tail).length).fill('0'), ...part(tail)];
  const n = groups.map((g) => Number.parseInt(g, 16));
  if (n.length !== 8 || n.slice(0, 5).some((g) => g !== 0) || n[5] !== 0xffff) return null;
  const [hi = 0, lo = 0] = n.slice(6);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** Why an address may not be called, or null. */
export function blockedAddress(address: string, loopbackAllowed: boolean): string | null {
  const v4 = mappedIPv4(address) ?? address;
  if (net.isIPv4(v4)) {
    const [a = 0, b = 0] = v4.split('.').map(Number);
    if (a === 169 && b === 254) return 'link-local or metadata address';
    if (v4 === '100.100.100.200') return 'metadata address';
    if (a === 0 || a >= 224) return 'unspecified, multicast or reserved address';
    if (a === 127 && !loopbackAllowed) return 'loopback address';
    return null;
  }
  const lower = address.toLowerCase();
  if (/^fe[89ab]/.test(lower)) return 'link-local address';
  if (lower === 'fd00:ec2::254') return 'metadata address';
  if (lower === '::' || lower.startsWith('ff')) return 'unspecified or multicast address';
  if (lower === '::1' && !loopbackAllowed) return 'loopback address';
  return null;
}

class BlockedAddressError extends Error {}

/** dns.lookup, refusing any address in the blocked ranges. */
function guardedLookup(loopbackAllowed: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 4);
      for (const a of addresses) {
        const why = blockedAddress(a.address, loopbackAllowed);
        if (why) return callback(new BlockedAddressError(`${hostname} resolves to a ${why}`), '', 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as dns.LookupAddress;
      return callback(null, first.address, first.family);
    });
  };
}

const printable = (s: string) => s.replace(/[^\x20-\x7e]+/g, ' ').slice(0, EXCERPT_CHARS);

/** A webhook sender with keep-alive connections; `close()` ends them. */
export function createWebhookSender(policy: OutboundPolicy) {
  const agents = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

  function post(target: string, body: string, headers: Record<string, string>): Promise<PostResult> {
    const started = performance.now();
    const done = (r: Omit<PostResult, 'durationMs'>): PostResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
    let url: URL;
    try {
      url = new URL(target);
    } catch {
      return Promise.resolve(done({ statusCode: null, error: 'invalid callback URL', excerpt: null }));
    }
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
    const listed = policy.plainHttpHosts.includes(host);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && listed)) {
      return Promise.resolve(done({ statusCode: null, error: 'plain http is not allowed for this host', excerpt: null }));
    }
    if (net.isIP(host)) {
      const why = blockedAddress(host, listed);
      if (why) return Promise.resolve(done({ statusCode: null, error: `refused: ${why}`, excerpt: null }));
    }
    const lib = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (r: Omit<PostResult, 'durationMs'>) => {
        if (settled) return;
        settled = true;
        clearTimeout(overall);
        resolve(done(r));
      };
      const req = lib.request(url, {
        method: 'POST',
        agent: url.protocol === 'https:' ? agents.https : agents.http,
        lookup: guardedLookup(listed),
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      });
      const overall = setTimeout(() => {
        finish({ statusCode: null, error: `no complete response within ${policy.responseTimeoutMs} ms`, excerpt: null });
        req.destroy();
      }, policy.responseTimeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const timer = setTimeout(() => {
          finish({ statusCode: null, error: `no connection within ${policy.connectTimeoutMs} ms`, excerpt: null });
          req.destroy();
        }, policy.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(timer));
        socket.once('close', () => clearTimeout(timer));
      });
      req.on('error', (err) => {
        const message = err instanceof BlockedAddressError ? `refused: ${err.message}` : err.message;
        finish({ statusCode: null, error: message, excerpt: null });
      });
      req.on('response', (res) => {
        const status = res.statusCode ?? 0;
        let received = 0;
        let text = '';
        const end = (error: string | null) => {
          const redirect = status >= 300 && status < 400 ? `redirect to ${res.headers.location ?? '?'} not followed` : null;
          finish({ statusCode: status, error: redirect ?? error, excerpt: text ? printable(text) : null });
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
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

export type WebhookSender = ReturnType<typeof createWebhookSender>;

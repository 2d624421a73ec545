import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * A minimal OpenID issuer on loopback for api tests: a discovery document, an ES256 key set, and
 * tokens with whatever claims a test needs. `state` switches its answers to simulate an outage (a
 * discovery that answers an HTML page or redirects, a key set that answers an error status, either of
 * them far larger than any real one). For a real
 * OpenID Provider see oidc.ts (test/process/oidc.test.ts).
 */
export async function jwtIssuer(audience: string, { host = '127.0.0.1' }: { host?: string } = {}) {
  const pairs = { k1: await generateKeyPair('ES256'), k2: await generateKeyPair('ES256') };
  const jwks = {
    k1: { ...(await exportJWK(pairs.k1.publicKey)), alg: 'ES256', use: 'sig', kid: 'k1' },
    k2: { ...(await exportJWK(pairs.k2.publicKey)), alg: 'ES256', use: 'sig', kid: 'k2' },
  };
  /** `served`: the key ids the key set publishes (a rotation takes one out); `keysAt`: another base URL for jwks_uri. */
  const state = {
    discovery: 'ok' as 'ok' | 'html' | 'redirect',
    keys: 200,
    served: ['k1'] as ('k1' | 'k2')[],
    keysAt: null as string | null,
    /** Pads the discovery document or the key set (still valid JSON of its kind) by this many bytes; `declared`: with Content-Length. */
    oversized: null as { what: 'discovery' | 'keys'; bytes: number; declared: boolean } | null,
    /** Breaks the connection halfway through the key set's body (headers and half of it sent). */
    keysCutOff: false,
  };
  /** Answers whose connection closed before the whole body was sent: the reader stopped reading. */
  const unfinished = { discovery: 0, keys: 0 };
  /**
   * Sends `body` as JSON; padded (a `padding` member) when `state.oversized` names `what`, written as
   * the reader takes it (backpressure), so a reader that stops leaves it unfinished.
   */
  const sendJson = (res: http.ServerResponse, what: 'discovery' | 'keys', body: Record<string, unknown>) => {
    const big = state.oversized?.what === what ? state.oversized : null;
    const text = JSON.stringify(body);
    res.once('close', () => {
      if (!res.writableFinished) unfinished[what] += 1;
    });
    if (!big) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      if (what === 'keys' && state.keysCutOff) {
        res.write(text.slice(0, text.length >> 1), () => res.destroy());
        return;
      }
      res.end(text);
      return;
    }
    const head = `${text.slice(0, -1)},"padding":"`;
    const tail = '"}';
    const length = Buffer.byteLength(head) + big.bytes + tail.length;
    res.writeHead(200, { 'content-type': 'application/json', ...(big.declared ? { 'content-length': length } : {}) });
    res.write(head);
    const chunk = 'x'.repeat(64 * 1024);
    let left = big.bytes;
    const pump = () => {
      while (left > 0 && !res.destroyed) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.slice(0, n))) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end(tail);
    };
    pump();
  };
  /** How often each was asked for: what an outage costs the provider. */
  const requests = { discovery: 0, keys: 0 };
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration' || req.url === '/moved/openid-configuration') {
      requests.discovery += 1;
      if (state.discovery === 'redirect' && !req.url.startsWith('/moved/')) {
        res.writeHead(301, { location: '/moved/openid-configuration' }).end();
        return;
      }
      if (state.discovery === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return;
      }
      sendJson(res, 'discovery', { issuer: url, jwks_uri: `${state.keysAt ?? url}/jwks` });
      return;
    }
    if (req.url === '/jwks') requests.keys += 1;
    if (req.url === '/jwks' && state.keys === 200) {
      sendJson(res, 'keys', { keys: state.served.map((k) => jwks[k]) });
      return;
    }
    res.writeHead(req.url === '/jwks' ? state.keys : 404).end('unavailable');
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /**
   * A signed token of `sub` with these claims, issued now and valid for five minutes (unless the claims
   * give `iat`, null for none, or `exp`), signed with key `kid`; a kid the
   * issuer never had (`k9`) is signed with k1's key.
   */
  const token = ({ iat, exp, ...claims }: Record<string, unknown>, sub = 'zaaksysteem', kid = 'k1') => {
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(url)
      .setAudience(audience)
      .setSubject(sub)
      .setExpirationTime(typeof exp === 'number' ? exp : '5m');
    if (iat !== null) jwt.setIssuedAt(typeof iat === 'number' ? iat : undefined); // now, unless the test says when (null: none)
    return jwt.sign((kid === 'k2' ? pairs.k2 : pairs.k1).privateKey);
  };
  return { url, state, requests, unfinished, token, close: () => new Promise((resolve) => server.close(resolve)) };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

/**
 * A minimal OpenID issuer on loopback for api tests: a discovery document, an ES256 key set, and
 * tokens with whatever claims a test needs. `state` switches its answers to simulate an outage (a
 * discovery that answers an HTML page, a key set that answers an error status). For a real
 * OpenID Provider see oidc.ts (test/process/oidc.test.ts).
 */
export async function jwtIssuer(audience: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'k1' };
  const state = { discovery: 'ok' as 'ok' | 'html', keys: 200 };
  const server = http.createServer((req, res) => {
    if (req.url === '/.well-known/openid-configuration') {
      if (state.discovery === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: url, jwks_uri: `${url}/jwks` }));
      return;
    }
    if (req.url === '/jwks' && state.keys === 200) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      return;
    }
    res.writeHead(req.url === '/jwks' ? state.keys : 404).end('unavailable');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  /** A signed token of `sub` with these claims, valid for five minutes. */
  const token = (claims: Record<string, unknown>, sub = 'zaaksysteem') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(url)
      .setAudience(audience)
      .setSubject(sub)
      .setExpirationTime('5m')
      .sign(privateKey);
  return { url, state, token, close: () => new Promise((resolve) => server.close(resolve)) };
}

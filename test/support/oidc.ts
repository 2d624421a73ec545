import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

/**
 * A real OpenID Provider (panva's oidc-provider, certified) on loopback for the tests. It issues
 * JWT access tokens for the registry's audience:
 * - system tokens by the client-credentials grant (sub = client_id), with the client's roles and
 *   municipality as extra claims, and the ZGW `user_id` / `user_representation` claims for a client
 *   that acts for an officer;
 * - user tokens by a test-only grant (`urn:test:user-token`) registered on the provider, which
 *   issues the provider's own AccessToken for an account (sub = the user) through the same
 *   resource-server and signing path as every token. It stands in for an authorization-code login,
 *   which needs a browser session and adds nothing to what the registry checks: a signed JWT with
 *   iss, aud, exp, sub and the configured claims.
 * Keys are generated per start (RS256 and ES256); restarting on the same port with new keys is a
 * key rotation seen from the registry.
 */

export const AUDIENCE = 'urn:enforcement-registry';
export const USER_GRANT = 'urn:test:user-token';

export interface TestClient {
  id: string;
  /** Extra claims of its tokens: roles, municipality_code, user_id, … */
  claims?: Record<string, unknown>;
  /** ES256 instead of RS256. */
  es256?: boolean;
  /** Access token lifetime in seconds (default 300). */
  ttl?: number;
  /** Another audience than the registry's. */
  audience?: string;
}

export interface TestUser {
  sub: string;
  claims: Record<string, unknown>;
}

export interface RunningProvider {
  issuer: string;
  port: number;
  /** A client-credentials token of this client. */
  systemToken(clientId: string): Promise<string>;
  /** A token of a user, obtained by this client. */
  userToken(clientId: string, user: string): Promise<string>;
  close(): Promise<void>;
}

async function signingKeys() {
  const keys = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    keys.push({ ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomUUID().slice(0, 8)}` });
  }
  return keys;
}

export async function startProvider(opts: { clients: TestClient[]; users?: TestUser[]; port?: number }): Promise<RunningProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const byId = new Map(opts.clients.map((c) => [c.id, c]));
  const users = new Map((opts.users ?? []).map((u) => [u.sub, u]));
  const resourceInfo = (client: TestClient) => ({
    scope: 'api',
    audience: client.audience ?? AUDIENCE,
    accessTokenFormat: 'jwt',
    accessTokenTTL: client.ttl ?? 300,
    jwt: { sign: { alg: client.es256 ? 'ES256' : 'RS256' } },
  });

  const provider = new Provider(issuer, {
    clients: opts.clients.map((c) => ({
      client_id: c.id,
      client_secret: `${c.id}-secret-0123456789abcdef`,
      grant_types: ['client_credentials', USER_GRANT],
      redirect_uris: [],
      response_types: [],
    })),
    jwks: { keys: await signingKeys() },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, _resource: string, client: { clientId: string }) =>
          resourceInfo(byId.get(client.clientId) as TestClient),
      },
    },
    extraTokenClaims: (_ctx: unknown, token: { clientId: string; accountId?: string }) => {
      const user = token.accountId ? users.get(token.accountId) : undefined;
      return user ? user.claims : (byId.get(token.clientId)?.claims ?? {});
    },
  });
  provider.on('server_error', () => {});
  provider.registerGrantType(
    USER_GRANT,
    async (ctx) => {
      const { client, params } = ctx.oidc;
      const token = new provider.AccessToken({
        accountId: String(params.username),
        client,
        gty: USER_GRANT,
        grantId: randomUUID(),
        scope: 'api',
      });
      token.resourceServer = new provider.ResourceServer(AUDIENCE, resourceInfo(byId.get(client.clientId) as TestClient));
      ctx.body = { access_token: await token.save(), token_type: 'Bearer', expires_in: token.expiration, scope: 'api' };
    },
    ['username'],
  );
  server.on('request', provider.callback());

  async function tokenFor(clientId: string, form: Record<string, string>): Promise<string> {
    const res = await fetch(`${issuer}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${clientId}:${clientId}-secret-0123456789abcdef`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams(form).toString(),
    });
    const body = (await res.json()) as { access_token?: string; error_description?: string };
    if (!res.ok || !body.access_token) throw new Error(`token for ${clientId}: ${res.status} ${JSON.stringify(body)}`);
    return body.access_token;
  }

  return {
    issuer,
    port,
    systemToken: (clientId) => tokenFor(clientId, { grant_type: 'client_credentials', resource: AUDIENCE, scope: 'api' }),
    userToken: (clientId, user) => tokenFor(clientId, { grant_type: USER_GRANT, username: user }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

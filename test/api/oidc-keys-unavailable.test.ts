import t from 'tap';
import { build } from '../support/helper.js';
import { jwtIssuer } from '../support/jwt-issuer.js';

/**
 * An identity provider whose discovery or key set cannot be read for a moment (a 5xx, an error
 * page instead of JSON) leaves a good token unchecked, not bad: 503 with Retry-After, as
 * docs/identity-providers.md says, never a 401 that counts against the caller's address.
 */

const AUDIENCE = 'urn:enforcement-registry';

t.test('keys or discovery that cannot be read are a 503, and cost the caller nothing', async (t) => {
  const idp = await jwtIssuer(AUDIENCE);
  t.teardown(idp.close);
  const { app } = await build(t, {
    config: {
      OIDC_ISSUERS: JSON.stringify([{ issuer: idp.url, audience: AUDIENCE, jwksCooldownMs: 0 }]),
      AUTH_FAILURES_PER_MINUTE: '2',
      AUTH_FAILURE_DELAY_MS: '0',
    },
  });
  const headers = {
    authorization: `Bearer ${await idp.token({ roles: ['officer'], municipality_code: 'GM0363', client_id: 'zaaksysteem' })}`,
  };

  // Discovery first: once it has been read, the issuer's key set is what is fetched again.
  for (const outage of ['discovery answers an HTML page', 'keys answer 503', 'keys answer 500']) {
    idp.state.keys = outage === 'keys answer 500' ? 500 : outage === 'keys answer 503' ? 503 : 200;
    idp.state.discovery = outage.startsWith('discovery') ? 'html' : 'ok';
    const res = await app.inject({ url: '/v1/municipalities', headers });
    t.equal(res.statusCode, 503, `${outage}: ${res.body}`);
    t.equal(res.headers['retry-after'], '5', `${outage}: Retry-After`);
    t.match(res.body, /identity-provider-unavailable/);
  }

  idp.state.keys = 200;
  idp.state.discovery = 'ok';
  const back = await app.inject({ url: '/v1/municipalities', headers });
  t.equal(back.statusCode, 200, `the provider is back: the same token is accepted, its address not held to a failure limit (${back.body})`);
});

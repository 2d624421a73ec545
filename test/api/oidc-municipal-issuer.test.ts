import t from 'tap';
import { build, json } from '../support/helper.js';
import { jwtIssuer } from '../support/jwt-issuer.js';

/**
 * An issuer configured with a fixed municipalityCode (one Entra tenant per municipality, as
 * docs/identity-providers.md advises) speaks for that municipality only. Its own administrators
 * decide every claim in its tokens, the role included: an admin or analyst token from it would
 * reach every municipality (an admin reads all records and makes officer clients for any
 * municipality), so it is refused as a claim naming another municipality is.
 */

const AUDIENCE = 'urn:enforcement-registry';

t.test('a municipality’s own identity provider makes officers of that municipality, never admins or analysts', async (t) => {
  const amsterdam = await jwtIssuer(AUDIENCE);
  t.teardown(amsterdam.close);
  const { app } = await build(t, {
    config: { OIDC_ISSUERS: JSON.stringify([{ issuer: amsterdam.url, audience: AUDIENCE, municipalityCode: 'GM0363' }]) },
  });
  const bearer = async (roles: string) => ({ authorization: `Bearer ${await amsterdam.token({ roles, client_id: 'portal' })}` });

  const officer = await app.inject({ url: '/v1/establishments', headers: await bearer('officer') });
  t.equal(officer.statusCode, 200, 'its officers work as before');

  const admin = await bearer('admin');
  const rotterdamOfficer = await app.inject({
    method: 'POST',
    url: '/v1/api-clients',
    headers: admin,
    payload: { name: 'minted by Amsterdam’s tenant', role: 'officer', municipalityCode: 'GM0599' },
  });
  t.equal(rotterdamOfficer.statusCode, 403, `no admin from Amsterdam’s tenant makes a Rotterdam officer: ${rotterdamOfficer.body}`);
  t.match(json(rotterdamOfficer), { code: 'forbidden', detail: /GM0363/ });
  t.equal((await app.inject({ url: '/v1/establishments?municipalityCode=GM0599', headers: admin })).statusCode, 403);
  const analyst = await app.inject({ url: '/v1/statistics/enforcement-actions?municipalityCode=GM0599', headers: await bearer('analyst') });
  t.equal(analyst.statusCode, 403, 'nor an analyst who reads every municipality’s figures');
});

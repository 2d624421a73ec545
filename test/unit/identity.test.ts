import t from 'tap';
import { identityFromClaims } from '../../src/application/identity.js';
import type { TrustedIssuer } from '../../src/infrastructure/oidc.js';

const issuer = (over: Partial<TrustedIssuer> = {}): TrustedIssuer => ({
  issuer: 'https://login.gemeente.example/realm',
  audience: 'urn:enforcement-registry',
  roleClaim: 'roles',
  municipalityClaim: 'municipality_code',
  ...over,
});

t.test('an issuer that serves one municipality cannot speak for another', async (t) => {
  const amsterdam = issuer({ municipalityCode: 'GM0363' });
  const officer = { sub: 'a.jansen', client_id: 'portal', roles: ['officer'] };

  const plain = identityFromClaims(amsterdam, officer);
  t.match(plain, { kind: 'ok', principal: { role: 'officer', municipalityCode: 'GM0363' } }, 'the fixed municipality applies');

  const same = identityFromClaims(amsterdam, { ...officer, municipality_code: 'GM0363' });
  t.match(same, { kind: 'ok', principal: { municipalityCode: 'GM0363' } }, 'a claim that agrees is fine');

  // The issuer's own administrators can put any claim into its tokens: the fixed code is the boundary.
  const other = identityFromClaims(amsterdam, { ...officer, municipality_code: 'GM0599' });
  t.equal(other.kind, 'forbidden', 'a claim naming another municipality is refused, never obeyed');
  t.notMatch(other, { principal: { municipalityCode: 'GM0599' } });
});

t.test('an issuer without a fixed municipality takes the claim', async (t) => {
  const shared = issuer();
  t.match(identityFromClaims(shared, { sub: 'x', client_id: 'c', roles: 'officer', municipality_code: 'GM0599' }), {
    kind: 'ok',
    principal: { municipalityCode: 'GM0599' },
  });
  t.equal(identityFromClaims(shared, { sub: 'x', client_id: 'c', roles: 'officer' }).kind, 'forbidden', 'no municipality: 403');
});

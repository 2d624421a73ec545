import t from 'tap';
import { clientContext } from '../../src/application/context.js';
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
  // A claim that is not a municipality's code at all is no agreement either.
  for (const odd of [['GM0599'], ['GM0363'], 599, 'GM0599\u0001', { code: 'GM0363' }, true]) {
    const res = identityFromClaims(amsterdam, { ...officer, municipality_code: odd });
    t.equal(res.kind, 'forbidden', `municipality_code ${JSON.stringify(odd)} is refused`);
  }
  t.equal(identityFromClaims(amsterdam, { ...officer, municipality_code: '' }).kind, 'ok', 'an empty claim is no claim');
});

t.test('an issuer without a fixed municipality takes the claim', async (t) => {
  const shared = issuer();
  t.match(identityFromClaims(shared, { sub: 'x', client_id: 'c', roles: 'officer', municipality_code: 'GM0599' }), {
    kind: 'ok',
    principal: { municipalityCode: 'GM0599' },
  });
  t.equal(identityFromClaims(shared, { sub: 'x', client_id: 'c', roles: 'officer' }).kind, 'forbidden', 'no municipality: 403');
});

t.test('one application is one registry client per role and municipality, stable across tokens', async (t) => {
  const shared = issuer();
  const idOf = (claims: Record<string, unknown>) => {
    const identity = identityFromClaims(shared, { client_id: 'portal', ...claims });
    if (identity.kind !== 'ok') throw new Error(identity.reason);
    return identity.principal.clientId;
  };
  const amsterdam = idOf({ sub: 'a', roles: 'officer', municipality_code: 'GM0363' });
  t.equal(idOf({ sub: 'b', roles: 'officer', municipality_code: 'GM0363' }), amsterdam, 'colleagues share their application’s client');
  t.not(idOf({ sub: 'c', roles: 'officer', municipality_code: 'GM0599' }), amsterdam, 'another municipality: another client');
  t.not(idOf({ sub: 'a', roles: 'analyst' }), amsterdam, 'another role: another client');
  t.equal(
    idOf({ sub: 'd', roles: 'analyst' }),
    idOf({ sub: 'e', roles: 'analyst', municipality_code: 'GM0363' }),
    'analysts have no municipality',
  );
  t.match(amsterdam, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUID (version 8)');
});

t.test('a user token whose subject names nobody gives no person, not a verified one without an id', async (t) => {
  // A line separator too: the trail's text is one line, whatever the token says.
  for (const sub of ['', '   ', 'a\u0000b', 'a\u2028b']) {
    const identity = identityFromClaims(issuer(), { sub, client_id: 'portal', roles: 'analyst' });
    t.match(identity, { kind: 'ok', principal: { role: 'analyst', person: null } }, JSON.stringify(sub).replace('\u2028', '\\u2028'));
  }
  t.match(identityFromClaims(issuer(), { sub: 'a.jansen', client_id: 'portal', roles: 'analyst' }), {
    principal: { person: { id: 'a.jansen', verified: true } },
  });
});

t.test('a request’s scope: an officer’s own municipality, all for the others, and never all for an officer without one', async (t) => {
  const request = { requestId: null, reason: null };
  const as = (role: 'officer' | 'analyst' | 'admin', municipalityCode: string | null) =>
    clientContext({ clientId: '00000000-0000-4000-8000-000000000001', name: 'x', role, municipalityCode }, request).scope;
  t.same(as('officer', 'GM0363'), { kind: 'municipality', code: 'GM0363' });
  t.same(as('analyst', null), { kind: 'all' });
  t.same(as('admin', null), { kind: 'all' });
  t.throws(() => as('officer', null), /an officer without a municipality has no scope/, 'refused, not widened');
});

import t from 'tap';
import { build, json } from '../support/helper.js';

/** The ten municipalities of the Landelijk Programma Prostitutie, as the ministerial letter of 24 March 2020 names them. */
const LPP: Record<string, string> = {
  GM0363: 'Amsterdam',
  GM0202: 'Arnhem',
  GM0518: "'s-Gravenhage",
  GM0014: 'Groningen',
  GM0796: "'s-Hertogenbosch",
  GM0080: 'Leeuwarden',
  GM0268: 'Nijmegen',
  GM0599: 'Rotterdam',
  GM0855: 'Tilburg',
  GM0344: 'Utrecht',
};

type Page = { items: { code: string; name: string; programmes: string[] }[]; totalItems: number };

t.test('municipalities: seeded with the ten LPP municipalities, ordered by code', async (t) => {
  const { app, client } = await build(t);
  const analyst = await client('analyst');
  const res = await app.inject({ url: '/v1/municipalities?pageSize=100', headers: analyst.auth });
  t.equal(res.statusCode, 200);
  const page = json<Page>(res);
  t.equal(page.totalItems, 10);
  t.same(
    page.items.map((m) => m.code),
    Object.keys(LPP).sort(),
  );
  for (const m of page.items) {
    t.equal(m.name, LPP[m.code], m.code);
    t.same(m.programmes, ['LPP'], `${m.code} is in the LPP`);
  }
  t.equal(json<Page>(await app.inject({ url: '/v1/municipalities?programme=LPP', headers: analyst.auth })).totalItems, 10);
  const one = await app.inject({ url: '/v1/municipalities/GM0599', headers: analyst.auth });
  t.match(json(one), { code: 'GM0599', name: 'Rotterdam', programmes: ['LPP'], version: 1 });
  t.equal(one.headers.etag, '"1"');
  t.equal((await app.inject({ url: '/v1/municipalities/GM9999', headers: analyst.auth })).statusCode, 404);
  const bad = await app.inject({ url: '/v1/municipalities/Amsterdam', headers: analyst.auth });
  t.equal(bad.statusCode, 400);
  t.match(json(bad), { invalidParams: [{ name: 'code' }] });
  t.equal((await app.inject({ url: '/v1/municipalities?programme=XYZ', headers: analyst.auth })).statusCode, 400);
});

t.test('municipalities: an admin adds one; duplicates and bad codes are refused', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const post = (payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/v1/municipalities', headers: admin.auth, payload });

  const created = await post({ code: 'GM0153', name: 'Enschede' });
  t.equal(created.statusCode, 201, created.body);
  t.equal(created.headers.location, '/v1/municipalities/GM0153');
  t.equal(created.headers.etag, '"1"');
  t.match(json(created), { code: 'GM0153', name: 'Enschede', version: 1 });
  t.same(json<{ programmes: string[] }>(created).programmes, [], 'in no programme');
  t.equal(json<Page>(await app.inject({ url: '/v1/municipalities', headers: admin.auth })).totalItems, 11);
  t.equal(json<Page>(await app.inject({ url: '/v1/municipalities?programme=LPP', headers: admin.auth })).totalItems, 10, 'not in the LPP');

  const dup = await post({ code: 'GM0153', name: 'Enschede again' });
  t.equal(dup.statusCode, 409);
  t.match(dup.headers['content-type'], /^application\/problem\+json/);
  t.match(json(dup), { code: 'municipality-exists' });
  t.equal((await post({ code: 'GM0363', name: 'Amsterdam' })).statusCode, 409, 'a seeded one too');

  for (const code of ['GM153', 'gm0153', 'XX0153', 'GM01530', '']) {
    const res = await post({ code, name: 'Nowhere' });
    t.equal(res.statusCode, 400, `code ${JSON.stringify(code)}`);
    t.match(json(res), { invalidParams: [{ name: 'code' }] });
  }
  const many = await post({ code: 'nope', name: '', programmes: ['LPP', 'LPP'], extra: 1 });
  t.equal(many.statusCode, 400);
  t.same(
    json<{ invalidParams: { name: string }[] }>(many)
      .invalidParams.map((p) => p.name)
      .sort(),
    ['code', 'extra', 'name', 'programmes'],
  );
  t.equal(json<Page>(await app.inject({ url: '/v1/municipalities', headers: admin.auth })).totalItems, 11, 'nothing else stored');

  // Officers of the new municipality can now be created and can record there.
  const officer = await app.inject({
    method: 'POST',
    url: '/v1/api-clients',
    headers: admin.auth,
    payload: { name: 'Enschede handhaving', role: 'officer', municipalityCode: 'GM0153' },
  });
  t.equal(officer.statusCode, 201);
});

t.test('municipalities: a programme listed twice is code duplicate, as a ground listed twice is', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const res = await app.inject({
    method: 'POST',
    url: '/v1/municipalities',
    headers: admin.auth,
    payload: { code: 'GM0153', name: 'Enschede', programmes: ['LPP', 'LPP'] },
  });
  // The code was zod's generic "custom", which names no rule.
  t.same(
    [res.statusCode, json<{ invalidParams: { name: string; code: string }[] }>(res).invalidParams.map((p) => `${p.name}:${p.code}`)],
    [400, ['programmes:duplicate']],
  );
});

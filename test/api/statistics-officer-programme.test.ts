import t from 'tap';
import { build, json } from '../support/helper.js';
import { records } from '../support/records.js';

// An officer asks without municipalityCode and gets their own municipality. With a programme their
// municipality is not in, the scope was empty: a 200 with 0 actions and an average of 0 over no
// municipalities, where naming the same municipality is a 400 not_in_programme.
t.test('an officer whose municipality is not in the programme asked for gets not_in_programme, not an empty scope', async (t) => {
  const { app, client } = await build(t);
  const admin = await client('admin');
  const added = await app.inject({
    method: 'POST',
    url: '/v1/municipalities',
    headers: admin.auth,
    payload: { code: 'GM1900', name: 'Súdwest-Fryslân', programmes: [] },
  });
  t.equal(added.statusCode, 201, added.body);
  const officer = await client('officer', 'GM1900');
  const write = records(app);
  await write.action(officer.auth, (await write.establishment(officer.auth, 'GM1900')).id);

  for (const url of [
    '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2019&yearTo=2019',
    '/v1/statistics/enforcement-actions?programme=LPP&yearFrom=2019&yearTo=2019&groupBy=municipality',
    '/v1/statistics/enforcement-actions?programme=LPP&yearFrom=2019&yearTo=2019&municipalityCode=GM1900',
  ]) {
    const res = await app.inject({ url, headers: officer.auth });
    t.equal(res.statusCode, 400, `${url}: ${res.body}`);
    t.match(json(res), { invalidParams: [{ code: 'not_in_programme' }] }, url);
  }
  const own = await app.inject({ url: '/v1/statistics/enforcement-actions?yearFrom=2019&yearTo=2019', headers: officer.auth });
  t.equal(own.statusCode, 200, own.body);
  t.match(json(own), { countingRule: { municipalityCodes: ['GM1900'] }, items: [{ actions: 1 }] }, 'without a programme: their own');
});

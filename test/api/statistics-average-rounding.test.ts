import t from 'tap';
import { build, json } from '../support/helper.js';
import { records } from '../support/records.js';

// 23 actions over 10 municipalities × 4 years is 0.575 per municipality per year: half-up 0.58. In
// floating point 23 / 40 * 100 is 57.49999…, and rounding that gave 0.57.
t.test('the summary rounds an average of exactly …5 half up, as documented', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const write = records(app);
  const club = await write.establishment(officer.auth, 'GM0363');
  for (let i = 0; i < 23; i++) await write.action(officer.auth, club.id);
  const res = await app.inject({
    url: '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2016&yearTo=2019',
    headers: analyst.auth,
  });
  t.equal(res.statusCode, 200, res.body);
  const { total } = json<{ total: { actions: number; municipalityYears: number; averagePerMunicipalityPerYear: number } }>(res);
  t.same([total.actions, total.municipalityYears], [23, 40]);
  t.equal(total.averagePerMunicipalityPerYear, 0.58, '23 ÷ 40 = 0.575, half up: 0.58');
});

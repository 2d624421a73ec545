import t from 'tap';
import { build, json, sample } from '../support/helper.js';

// 23 actions over 10 municipalities × 4 years is 0.575 per municipality per year: half-up 0.58. In
// floating point 23 / 40 * 100 is 57.49999…, and rounding that gave 0.57.
t.test('the summary rounds an average of exactly …5 half up, as documented', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const est = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: officer.auth,
    payload: sample.establishment('GM0363'),
  });
  t.equal(est.statusCode, 201, est.body);
  const { id } = json<{ id: string }>(est);
  for (let i = 0; i < 23; i++) {
    const res = await app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(id) });
    t.equal(res.statusCode, 201, res.body);
  }
  const res = await app.inject({
    url: '/v1/statistics/enforcement-actions/summary?programme=LPP&yearFrom=2016&yearTo=2019',
    headers: analyst.auth,
  });
  t.equal(res.statusCode, 200, res.body);
  const { total } = json<{ total: { actions: number; municipalityYears: number; averagePerMunicipalityPerYear: number } }>(res);
  t.same([total.actions, total.municipalityYears], [23, 40]);
  t.equal(total.averagePerMunicipalityPerYear, 0.58, '23 ÷ 40 = 0.575, half up: 0.58');
});

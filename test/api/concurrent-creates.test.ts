import t, { type Test } from 'tap';
import { build, json, sample } from '../support/helper.js';
import { records } from '../support/records.js';

/**
 * Concurrent writes that would break a one-of rule (one live attestation per municipality and year,
 * one record per externalReference of a municipality and record type): exactly one is made, the
 * others are told why (409), never a unique violation's 500. On PostgreSQL the requests overlap for
 * real; PGlite runs one transaction at a time, where the rule holds anyway.
 */

const N = 8;
type Res = { statusCode: number; body: string };

function oneCreatedOthersConflict(t: Test, responses: Res[], code: string) {
  const statuses = responses.map((r) => r.statusCode);
  t.equal(statuses.filter((s) => s === 201).length, 1, `one 201: ${statuses}`);
  for (const r of responses.filter((x) => x.statusCode !== 201)) {
    t.equal(r.statusCode, 409, r.body);
    t.equal(json(r).code, code);
  }
}

t.test('concurrent attestations of one municipality-year: one 201, the rest 409 attestation-exists', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const body = { municipalityCode: 'GM0363', year: 2019, complete: true, nothingToReport: false };
  const responses = await Promise.all(
    Array.from({ length: N }, () =>
      app.inject({ method: 'POST', url: '/v1/reporting-attestations', headers: officer.auth, payload: body }),
    ),
  );
  oneCreatedOthersConflict(t, responses, 'attestation-exists');
});

t.test('concurrent creates with one externalReference: one 201, the rest 409 external-reference-taken', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, headers: officer.auth, payload: payload as never });

  const establishments = await Promise.all(
    Array.from({ length: N }, () => post('/v1/establishments', sample.establishment('GM0363', { externalReference: 'INR-1' }))),
  );
  oneCreatedOthersConflict(t, establishments, 'external-reference-taken');

  // Actions and licences of different establishments: no establishment's lock puts them in a row.
  const owners = [];
  for (let i = 0; i < N; i += 1) owners.push(await make.establishment(officer.auth));
  const actions = await Promise.all(owners.map((e) => post('/v1/enforcement-actions', sample.action(e.id, { externalReference: 'HH-1' }))));
  oneCreatedOthersConflict(t, actions, 'external-reference-taken');
  const licences = await Promise.all(
    owners.map((e) => post(`/v1/establishments/${e.id}/licences`, sample.licence({ externalReference: 'VERG-1' }))),
  );
  oneCreatedOthersConflict(t, licences, 'external-reference-taken');
});

import t from 'tap';
import { build, json } from '../support/helper.js';

/**
 * Probes from a review of access control and attribution: what one role may do to what another
 * made, and what a client's headers may put into the audit trail.
 */

const P = 'nl.overheid.handhavingsregister';
const { app, client } = await build(t);

t.test('an officer may see, but not change, a subscription an admin or analyst made for their municipality', async (t) => {
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const analyst = await client('analyst');
  const hook = 'https://ministry.example/hooks/registry';
  const post = async (auth: { authorization: string }, payload: Record<string, unknown>) => {
    const res = await app.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth, payload });
    t.equal(res.statusCode, 201, res.body);
    return json<{ id: string }>(res);
  };
  const ministry = await post(admin.auth, {
    callbackUrl: hook,
    eventTypes: [`${P}.enforcement-action.created`],
    municipalityCode: 'GM0363',
  });
  const figures = await post(analyst.auth, { callbackUrl: hook, eventTypes: [`${P}.statistics.changed`], municipalityCode: 'GM0363' });
  const own = await post(officer.auth, { callbackUrl: 'https://zaken.amsterdam.example/hook', eventTypes: [`${P}.establishment.created`] });

  for (const sub of [ministry, figures]) {
    const url = `/v1/subscriptions/${sub.id}`;
    t.equal((await app.inject({ url, headers: officer.auth })).statusCode, 200, 'visible, as documented');
    const redirected = await app.inject({
      method: 'PUT',
      url,
      headers: { ...officer.auth, 'if-match': '"1"' },
      payload: { callbackUrl: 'https://attacker.example/hook', eventTypes: [`${P}.enforcement-action.created`] },
    });
    t.equal(redirected.statusCode, 403, 'its callback cannot be redirected');
    const rotated = await app.inject({
      method: 'POST',
      url: `${url}/secrets`,
      headers: { ...officer.auth, 'if-match': '"1"' },
      payload: {},
    });
    t.equal(rotated.statusCode, 403, 'its secret cannot be rotated (the new one would be the officer’s to see)');
    t.notOk(rotated.body.includes('whsec_'));
    const redelivered = await app.inject({ method: 'POST', url: `${url}/redeliveries`, headers: officer.auth, payload: {} });
    t.equal(redelivered.statusCode, 403, 'its deliveries cannot be replayed');
    const deleted = await app.inject({
      method: 'DELETE',
      url,
      headers: { ...officer.auth, 'if-match': '"1"', 'x-audit-reason': 'not ours' },
    });
    t.equal(deleted.statusCode, 403, 'it cannot be deleted');
    const after = json<{ callbackUrl: string; version: number }>(await app.inject({ url, headers: admin.auth }));
    t.match(after, { callbackUrl: hook, version: 1 }, 'unchanged');
  }

  const mine = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${own.id}`,
    headers: { ...officer.auth, 'if-match': '"1"' },
    payload: { callbackUrl: 'https://zaken.amsterdam.example/hook2', eventTypes: [`${P}.establishment.created`] },
  });
  t.equal(mine.statusCode, 200, 'an officer’s own municipality’s subscription stays theirs to change');
  const colleague = await client('officer', 'GM0363');
  const byColleague = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${own.id}`,
    headers: { ...colleague.auth, 'if-match': '"2"' },
    payload: { callbackUrl: 'https://zaken.amsterdam.example/hook3', eventTypes: [`${P}.establishment.created`] },
  });
  t.equal(byColleague.statusCode, 200, 'and their colleagues’ (the municipality’s subscriptions)');
  const forAdmin = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${own.id}`,
    headers: { ...admin.auth, 'if-match': '"3"' },
    payload: { callbackUrl: 'https://zaken.amsterdam.example/hook3', eventTypes: [`${P}.establishment.created`], status: 'disabled' },
  });
  t.equal(forAdmin.statusCode, 200, 'an admin may change any');
  t.equal(
    json<{ municipalityCode: string | null }>(forAdmin).municipalityCode,
    'GM0363',
    'but an officer’s subscription stays for its municipality: leaving municipalityCode out does not widen it to all',
  );
  t.equal((await app.inject({ url: `/v1/subscriptions/${own.id}`, headers: officer.auth })).statusCode, 200, 'and stays in sight');
  const elsewhere = await app.inject({
    method: 'PUT',
    url: `/v1/subscriptions/${own.id}`,
    headers: { ...admin.auth, 'if-match': '"4"' },
    payload: {
      callbackUrl: 'https://zaken.amsterdam.example/hook3',
      eventTypes: [`${P}.establishment.created`],
      municipalityCode: 'GM0599',
    },
  });
  t.equal(elsewhere.statusCode, 400, 'nor can it be moved to another municipality');
  t.match(json(elsewhere), { invalidParams: [{ name: 'municipalityCode', code: 'not_your_municipality' }] });
});

import { sql } from 'drizzle-orm';
import t from 'tap';
import { build, json } from '../support/helper.js';

/**
 * Probes from a review of access control and attribution: what one role may do to what another
 * made, and what a client's headers may put into the audit trail.
 */

const P = 'nl.overheid.handhavingsregister';
const { app, client, database, services } = await build(t);

const CSV = [
  'externalReference,municipalityCode,name,kind,street,houseNumber,houseNumberAddition,postalCode,city,kvkNumber,bagId',
  'E-1,GM0363,Club Rood,club,Oudezijds Achterburgwal,12,A,1012DK,Amsterdam,12345678,',
].join('\r\n');

const reasons = async (objectId: string) =>
  (
    (await database.owner.execute(sql`select reason from audit_log where object_id = ${objectId} order by seq`)) as unknown as {
      rows: { reason: string | null }[];
    }
  ).rows.map((r) => r.reason);

t.test('an import’s upload and cancellation take X-Audit-Reason by the same rules as every other write', async (t) => {
  const officer = await client('officer', 'GM0363');
  const upload = (headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: '/v1/imports?recordType=establishments&dryRun=true',
      headers: { ...officer.auth, 'content-type': 'text/csv', ...headers },
      payload: CSV,
    });

  const tabbed = await upload({ 'x-audit-reason': 'monthly\tload' });
  t.equal(tabbed.statusCode, 400, 'a control character in the reason is a 400, as on a POST of a record');
  t.match(json(tabbed), { invalidParams: [{ name: 'x-audit-reason' }] });
  const long = await upload({ 'x-audit-reason': 'x'.repeat(501) });
  t.equal(long.statusCode, 400, 'a reason over 500 characters is a 400');

  const ok = await upload({ 'x-audit-reason': 'monthly load' });
  t.equal(ok.statusCode, 202, ok.body);
  const job = json<{ id: string }>(ok);

  const cancel = (reason: string) =>
    app.inject({ method: 'POST', url: `/v1/imports/${job.id}/cancel`, headers: { ...officer.auth, 'x-audit-reason': reason } });
  t.equal((await cancel('wrong\u0085file')).statusCode, 400, 'a C1 control character in a cancellation’s reason is a 400');
  t.equal((await cancel('y'.repeat(2000))).statusCode, 400, 'an over-long cancellation reason is a 400');
  const cancelled = await cancel('wrong file');
  t.equal(cancelled.statusCode, 202, cancelled.body);

  t.same(await reasons(job.id), ['monthly load', 'wrong file'], 'only valid reasons reach the trail');
});

t.test(
  'an import’s stored file goes once its job has ended: a dry run, a cancelled or a finished import keeps no copy of the records',
  async (t) => {
    const officer = await client('officer', 'GM0363');
    const stored = async (jobId: string) =>
      (
        (await database.owner.execute(sql`select count(*)::int as n from import_rows where import_id = ${jobId}`)) as unknown as {
          rows: { n: number }[];
        }
      ).rows[0]?.n;
    const upload = async (query: string) => {
      const res = await app.inject({
        method: 'POST',
        url: `/v1/imports?recordType=establishments&${query}`,
        headers: { ...officer.auth, 'content-type': 'text/csv' },
        payload: CSV,
      });
      t.equal(res.statusCode, 202, res.body);
      return json<{ id: string }>(res).id;
    };

    const dry = await upload('dryRun=true');
    const cancelled = await upload('dryRun=false');
    t.equal(await stored(dry), 1, 'while it waits, the job has its file');
    t.equal((await app.inject({ method: 'POST', url: `/v1/imports/${cancelled}/cancel`, headers: officer.auth })).statusCode, 202);
    t.equal(await stored(cancelled), 0, 'a cancelled job keeps no copy');
    while (await services.imports.worker.runOnce()) {
      // until no job waits
    }
    const job = json<{ state: string; counts: { created: number } }>(
      await app.inject({ url: `/v1/imports/${dry}`, headers: officer.auth }),
    );
    t.match(job, { state: 'succeeded', counts: { created: 1 } }, 'the dry run reports what it would do');
    t.equal(await stored(dry), 0, 'a dry run, which writes nothing, keeps no copy of the file either');

    const applied = await upload('dryRun=false');
    while (await services.imports.worker.runOnce()) {
      // until no job waits
    }
    t.equal(await stored(applied), 0, 'an applied import keeps the records, not a second copy of them (which retention would not destroy)');
  },
);

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
  // An admin's replacement at version 4, naming a municipality.
  const replaceFor = (municipalityCode: string) =>
    app.inject({
      method: 'PUT',
      url: `/v1/subscriptions/${own.id}`,
      headers: { ...admin.auth, 'if-match': '"4"' },
      payload: { callbackUrl: 'https://zaken.amsterdam.example/hook3', eventTypes: [`${P}.establishment.created`], municipalityCode },
    });
  const elsewhere = await replaceFor('GM0599');
  t.equal(elsewhere.statusCode, 400, 'nor can it be moved to another municipality');
  t.match(json(elsewhere), { invalidParams: [{ name: 'municipalityCode', code: 'not_your_municipality' }] });

  // One an admin's PUT widened to every municipality before this rule: an admin can give it its municipality back.
  await database.owner.execute(sql`update subscriptions set municipality_code = null where id = ${own.id}`);
  const repaired = await replaceFor('GM0363');
  t.equal(repaired.statusCode, 200, repaired.body);
  t.equal(json<{ municipalityCode: string }>(repaired).municipalityCode, 'GM0363');
});

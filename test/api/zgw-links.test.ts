import t from 'tap';
import { build, json, sample } from '../support/helper.js';
import { records } from '../support/records.js';

/** zaakUrl and besluitUrl: optional absolute http(s) links to ZGW resources, set by create or PATCH, filterable. */

const ZAAK = 'https://zaken.gemeente.nl/zaken/api/v1/zaken/5d8a0b8c-2bc6-4ab1-8f3c-0b6e4c6c1f2a';
const BESLUIT = 'https://besluiten.gemeente.nl/besluiten/api/v1/besluiten/0f4e1b7a-8a52-4c1e-9d2b-6c1f2a5d8a0b';

t.test('an action links its zaak and besluit; the list filters on them exactly', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  const linked = await make.action(officer.auth, est.id, { zaakUrl: ZAAK });
  const plain = await make.action(officer.auth, est.id);
  t.equal(linked.zaakUrl, ZAAK);
  t.equal(plain.zaakUrl, null);
  t.equal(plain.besluitUrl, null);

  const patched = await app.inject({
    method: 'PATCH',
    url: `/v1/enforcement-actions/${linked.id}`,
    headers: { ...officer.auth, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    payload: JSON.stringify({ besluitUrl: BESLUIT }),
  });
  t.equal(patched.statusCode, 200, patched.body);
  t.match(json(patched), { zaakUrl: ZAAK, besluitUrl: BESLUIT });

  const byZaak = json<{ items: { id: string }[]; totalItems: number }>(
    await app.inject({ url: `/v1/enforcement-actions?zaakUrl=${encodeURIComponent(ZAAK)}`, headers: officer.auth }),
  );
  t.same(
    byZaak.items.map((a) => a.id),
    [linked.id],
  );
  t.equal(byZaak.totalItems, 1);
  const byBesluit = json<{ totalItems: number }>(
    await app.inject({ url: `/v1/enforcement-actions?besluitUrl=${encodeURIComponent(BESLUIT)}`, headers: officer.auth }),
  );
  t.equal(byBesluit.totalItems, 1);
  const prefix = json<{ totalItems: number }>(
    await app.inject({ url: `/v1/enforcement-actions?zaakUrl=${encodeURIComponent(ZAAK.slice(0, -4))}`, headers: officer.auth }),
  );
  t.equal(prefix.totalItems, 0, 'exact match only');

  const unlinked = await app.inject({
    method: 'PATCH',
    url: `/v1/enforcement-actions/${linked.id}`,
    headers: { ...officer.auth, 'content-type': 'application/merge-patch+json', 'if-match': '"2"' },
    payload: JSON.stringify({ zaakUrl: null }),
  });
  t.equal(json(unlinked).zaakUrl, null, 'null removes the link');

  // Characters a URI does not hold were stored as sent: another system's parser would resolve another link.
  for (const bad of [
    'zaken/123',
    'ftp://zaken.gemeente.nl/z/1',
    'https://user:pw@zaken.gemeente.nl/z/1',
    'https://zaken.nl/x y',
    'https://zaken.nl/é<>"{}|',
    'https://zaken.nl/z/%zz',
  ]) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/enforcement-actions',
      headers: officer.auth,
      payload: {
        establishmentId: est.id,
        measure: 'warning',
        grounds: ['hygiene'],
        stage: 'decided',
        decisionDate: '2019-05-01',
        zaakUrl: bad,
      },
    });
    t.equal(res.statusCode, 400, `${bad} is refused`);
    t.match(json(res), { invalidParams: [{ name: 'zaakUrl' }] });
  }
});

t.test('a ZGW link or link filter with a control character or a lone surrogate is a 400, never a 500', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const est = await records(app).establishment(officer.auth);
  const codes = (res: { body: string }) =>
    (json<{ invalidParams?: { name: string; code: string }[] }>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`);
  // NUL was a 500 (PostgreSQL refuses it), on a create and on the list filter; the others were stored as sent, or as U+FFFD.
  // (A tab or line break is no such case: the URL standard drops them, and so does the schema.)
  for (const [tail, code] of [
    ['\u0000', 'control_character'],
    ['\u001b', 'control_character'],
    ['\u0085', 'control_character'],
    ['\ud800', 'invalid_unicode'],
  ] as const) {
    const url = ZAAK.replace('/api/', `/api${tail}/`);
    const res = await app.inject({
      method: 'POST',
      url: '/v1/enforcement-actions',
      headers: officer.auth,
      payload: sample.action(est.id, { measure: 'warning', fine: undefined, zaakUrl: url, besluitUrl: url }),
    });
    t.same([res.statusCode, codes(res)], [400, [`zaakUrl:${code}`, `besluitUrl:${code}`]], JSON.stringify(tail));
    if (code === 'control_character') {
      const list = await app.inject({ url: `/v1/enforcement-actions?besluitUrl=${encodeURIComponent(url)}`, headers: officer.auth });
      t.same([list.statusCode, codes(list)], [400, [`besluitUrl:${code}`]], `filter with ${JSON.stringify(tail)}`);
    }
  }
});

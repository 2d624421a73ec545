import t from 'tap';
import { build, json } from '../support/helper.js';
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

  for (const bad of ['zaken/123', 'ftp://zaken.gemeente.nl/z/1', 'https://user:pw@zaken.gemeente.nl/z/1']) {
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

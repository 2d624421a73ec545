import t from 'tap';
import { build, json, sample } from '../support/helper.js';
import { checkResponse } from '../support/openapi.js';

/**
 * Optimistic concurrency on every resource that can change: a strong ETag on each response,
 * If-None-Match → 304, If-Match on a read → 412 unless it names the version, on a change required
 * (428), stale or malformed → 412 with the current ETag,
 * and of two concurrent updates from the same version exactly one wins.
 */
t.test('ETag, If-None-Match, If-Match on every changeable resource', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const inject = (method: 'GET' | 'PUT' | 'DELETE' | 'POST', url: string, headers: Record<string, string>, payload?: object) =>
    app.inject({ method, url, headers, ...(payload ? { payload: payload as Record<string, unknown> } : {}) }).then((res) => {
      t.same(
        checkResponse(method, url, res.statusCode, res.headers['content-type'] as string | undefined, res.body, res.headers),
        [],
        `${method} ${url} ${res.statusCode} as documented`,
      );
      return res;
    });

  const est = json(await inject('POST', '/v1/establishments', officer.auth, sample.establishment()));
  const lic = json(await inject('POST', `/v1/establishments/${est.id}/licences`, officer.auth, sample.licence()));
  const act = json(await inject('POST', '/v1/enforcement-actions', officer.auth, sample.action(est.id as string)));
  const apiClient = json(await inject('POST', '/v1/api-clients', admin.auth, { name: 'x', role: 'analyst', municipalityCode: null }));

  const resources = [
    {
      name: 'establishment',
      url: `/v1/establishments/${est.id}`,
      auth: officer.auth,
      body: sample.establishment('GM0363', { name: 'Renamed' }),
    },
    {
      name: 'licence',
      url: `/v1/establishments/${est.id}/licences/${lic.id}`,
      auth: officer.auth,
      body: sample.licence({ validUntil: '2021-12-31' }),
    },
    {
      name: 'enforcement action',
      url: `/v1/enforcement-actions/${act.id}`,
      auth: officer.auth,
      body: sample.action(est.id as string, { stage: 'objection' }),
    },
  ];

  for (const r of resources) {
    const read = await inject('GET', r.url, r.auth);
    t.equal(read.statusCode, 200);
    const tag = read.headers.etag as string;
    t.match(tag, /^"[0-9]+"$/, `${r.name}: a strong ETag`);
    t.equal(tag, `"${json(read).version}"`, `${r.name}: the ETag carries the version`);

    const notModified = await inject('GET', r.url, { ...r.auth, 'if-none-match': tag });
    t.equal(notModified.statusCode, 304, `${r.name}: If-None-Match with the current ETag → 304`);
    t.equal(notModified.body, '');
    t.equal(notModified.headers.etag, tag);
    t.equal((await inject('GET', r.url, { ...r.auth, 'if-none-match': '"999"' })).statusCode, 200, `${r.name}: another ETag → 200`);

    // If-Match on a read (RFC 9110 §13.1.1): the strong comparison, evaluated before If-None-Match.
    for (const im of [tag, '*', `"998", ${tag}`]) {
      const res = await inject('GET', r.url, { ...r.auth, 'if-match': im });
      t.equal(res.statusCode, 200, `${r.name}: GET with If-Match ${im} → 200`);
      t.equal(json(res).version, json(read).version);
    }
    for (const im of ['"999"', `W/${tag}`, '"abc"']) {
      const res = await inject('GET', r.url, { ...r.auth, 'if-match': im });
      t.equal(res.statusCode, 412, `${r.name}: GET with If-Match ${im} → 412`);
      t.match(json(res), { code: 'version-mismatch', detail: new RegExp(`ETag ${tag}`) });
      t.equal(res.headers.etag, tag, `${r.name}: the read's 412 names the current ETag`);
    }
    const both = await inject('GET', r.url, { ...r.auth, 'if-match': '"999"', 'if-none-match': tag });
    t.equal(both.statusCode, 412, `${r.name}: If-Match is evaluated first: a failing one is a 412, not a 304`);
    for (const im of [tag, '*']) {
      const held = await inject('GET', r.url, { ...r.auth, 'if-match': im, 'if-none-match': tag });
      t.equal(held.statusCode, 304, `${r.name}: If-Match ${im} holds, then If-None-Match names the version: 304`);
    }
    const head = await app.inject({ method: 'HEAD', url: r.url, headers: { ...r.auth, 'if-match': '"999"' } });
    t.equal(head.statusCode, 412, `${r.name}: HEAD with a stale If-Match → 412`);

    const missing = await inject('PUT', r.url, r.auth, r.body);
    t.equal(missing.statusCode, 428, `${r.name}: PUT without If-Match → 428`);
    t.match(json(missing), { code: 'if-match-required' });
    for (const bad of ['W/"1"', '"abc"', '1', '"1", "2"']) {
      const res = await inject('PUT', r.url, { ...r.auth, 'if-match': bad }, r.body);
      t.equal(res.statusCode, 412, `${r.name}: If-Match ${bad} → 412`);
    }
    // If-None-Match beside If-Match: `*` or the same version can never hold with it (RFC 9110 §13.1.2):
    // a 412 that changes nothing (it once was a 304 without a body, after the write was made).
    for (const inm of ['*', tag, `W/${tag}`, `"998", ${tag}`]) {
      const res = await inject('PUT', r.url, { ...r.auth, 'if-match': tag, 'if-none-match': inm }, r.body);
      t.equal(res.statusCode, 412, `${r.name}: If-None-Match ${inm} with If-Match ${tag} → 412`);
      t.match(json(res), { code: 'version-mismatch', detail: /If-None-Match/ });
    }
    t.equal((await inject('GET', r.url, r.auth)).headers.etag, tag, `${r.name}: nothing was changed`);
    const stale = await inject('PUT', r.url, { ...r.auth, 'if-match': '"999"' }, r.body);
    t.equal(stale.statusCode, 412, `${r.name}: stale If-Match → 412`);
    t.equal(stale.headers.etag, tag, `${r.name}: the 412 names the current ETag`);

    // Two updates from the same version at once: one wins, the other is told it is stale.
    const [a, b] = await Promise.all([
      inject('PUT', r.url, { ...r.auth, 'if-match': tag }, r.body),
      inject('PUT', r.url, { ...r.auth, 'if-match': tag }, r.body),
    ]);
    t.same([a.statusCode, b.statusCode].sort(), [200, 412], `${r.name}: concurrent updates → one 200, one 412`);
    const winner = a.statusCode === 200 ? a : b;
    t.equal(winner.headers.etag, `"${Number(tag.slice(1, -1)) + 1}"`, `${r.name}: the version went up by one`);
    const deleteMissing = await inject('DELETE', r.url, { ...r.auth, 'x-audit-reason': 'test' });
    t.equal(deleteMissing.statusCode, 428, `${r.name}: DELETE without If-Match → 428`);
    const deleteStale = await inject('DELETE', r.url, { ...r.auth, 'if-match': tag, 'x-audit-reason': 'test' });
    t.equal(deleteStale.statusCode, 412, `${r.name}: DELETE with the old ETag → 412`);
  }

  // API clients are not replaced, only revoked: If-Match is required there too.
  const clientUrl = `/v1/api-clients/${apiClient.id}`;
  const readClient = await inject('GET', clientUrl, admin.auth);
  t.equal(readClient.headers.etag, '"1"');
  t.equal((await inject('DELETE', clientUrl, admin.auth)).statusCode, 428, 'api client: revoke without If-Match → 428');
  t.equal((await inject('DELETE', clientUrl, { ...admin.auth, 'if-match': '"7"' })).statusCode, 412, 'api client: stale → 412');
  const revoked = await inject('DELETE', clientUrl, { ...admin.auth, 'if-match': '"1"' });
  t.equal(revoked.statusCode, 200);
  t.equal(revoked.headers.etag, '"2"');
  const notModified = await inject('GET', clientUrl, { ...admin.auth, 'if-none-match': '"2"' });
  t.equal(notModified.statusCode, 304, 'api client: If-None-Match → 304');

  // Deletes with the current ETag: action first (the establishment is in use until then).
  for (const r of [...resources].reverse()) {
    const current = await inject('GET', r.url, r.auth);
    const res = await inject('DELETE', r.url, { ...r.auth, 'if-match': current.headers.etag as string, 'x-audit-reason': 'test clean-up' });
    t.equal(res.statusCode, 204, `${r.name}: DELETE with the current ETag → 204`);
    t.equal((await inject('GET', r.url, r.auth)).statusCode, 404, `${r.name}: gone`);
  }
});

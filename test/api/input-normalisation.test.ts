import { brotliCompressSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { build, json, sample } from '../support/helper.js';

/**
 * Hostile-input review: input a client may send that was misread (a different answer for the same
 * question, mojibake stored, a silent replacement character) or refused for the wrong reason.
 * Each case here failed before its fix.
 */
type Problem = { status: number; code: string; invalidParams?: { name: string; code: string }[] };
const codes = (res: { body: string }) => (json<Problem>(res).invalidParams ?? []).map((p) => `${p.name}:${p.code}`);

const { app, client } = await build(t);
const officer = await client('officer', 'GM0363');
const admin = await client('admin');
const analyst = await client('analyst');
const est = json<{ id: string }>(
  await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
);
const UPPER = est.id.toUpperCase();

t.test('a UUID in upper case is the same id: path, body and query all find the record', async (t) => {
  const read = await app.inject({ url: `/v1/establishments/${UPPER}`, headers: officer.auth });
  t.equal(read.statusCode, 200);
  t.equal(json(read).id, est.id);
  const lower = json<{ totalItems: number }>(await app.inject({ url: `/v1/establishments/${est.id}/audit-trail`, headers: officer.auth }));
  const upper = json<{ totalItems: number }>(await app.inject({ url: `/v1/establishments/${UPPER}/audit-trail`, headers: officer.auth }));
  t.ok(lower.totalItems > 0);
  t.equal(upper.totalItems, lower.totalItems, "the record's trail, whatever the case of its id");
  const action = await app.inject({ method: 'POST', url: '/v1/enforcement-actions', headers: officer.auth, payload: sample.action(UPPER) });
  t.equal(action.statusCode, 201, action.body);
  t.equal(json(action).establishmentId, est.id, 'stored and answered in lower case');
  const listed = json<{ totalItems: number }>(
    await app.inject({ url: `/v1/enforcement-actions?establishmentId=${UPPER}`, headers: officer.auth }),
  );
  t.equal(listed.totalItems, 1);
  const bad = await app.inject({ url: `/v1/establishments/${UPPER.slice(1)}`, headers: officer.auth });
  t.equal(bad.statusCode, 400, 'a malformed id is still refused');
  t.same(codes(bad), ['id:invalid_format']);
});

t.test('the audit-trail filter objectId finds a UUID given in upper case; a CBS code stays as given', async (t) => {
  const search = async (q: string) => {
    const res = await app.inject({ url: `/v1/audit-trail?${q}`, headers: admin.auth });
    t.equal(res.statusCode, 200);
    return json<{ totalItems: number; items: { objectId: string }[] }>(res);
  };
  const lower = await search(`objectId=${est.id}`);
  t.ok(lower.totalItems > 0);
  t.same(await search(`objectId=${UPPER}`), lower);
  const added = await app.inject({
    method: 'POST',
    url: '/v1/municipalities',
    headers: admin.auth,
    payload: { code: 'GM0153', name: 'Enschede' },
  });
  t.equal(added.statusCode, 201, added.body);
  t.equal((await search('objectId=GM0153&objectType=municipality')).totalItems, 1, "a CBS code finds the municipality's entry");
  t.equal((await search('objectId=gm0153&objectType=municipality')).totalItems, 0, 'and is not changed: it is no UUID');
});

t.test('statistics: an empty municipalityCode list is no filter, as an empty measure or stage list is', async (t) => {
  const scope = async (who: { auth: Record<string, string> }, q: string) => {
    const res = await app.inject({ url: `/v1/statistics/enforcement-actions?yearFrom=2019&yearTo=2019${q}`, headers: who.auth });
    t.equal(res.statusCode, 200);
    return json<{ countingRule: { municipalityCodes: string[] } }>(res).countingRule.municipalityCodes;
  };
  const all = await scope(analyst, '');
  t.ok(all.length > 1);
  t.same(await scope(analyst, '&municipalityCode='), all);
  t.same(await scope(analyst, '&municipalityCode=,%20,'), all);
  t.same(await scope(analyst, '&measure=&stage='), all, 'the other list filters, empty');
  t.same(await scope(officer, '&municipalityCode='), ['GM0363'], "an officer's own, as without the filter");
});

t.test('a GET or HEAD with a body of another kind or charset is answered: the body is ignored, never a 415', async (t) => {
  for (const method of ['GET', 'HEAD'] as const) {
    for (const type of ['text/plain', 'text/plain; charset=iso-8859-1', 'application/json; charset=utf-16', 'application/json']) {
      const res = await app.inject({
        method,
        url: '/v1/establishments',
        headers: { ...officer.auth, 'content-type': type },
        payload: '{no',
      });
      t.equal(res.statusCode, 200, `${method} with ${type}`);
    }
  }
  const post = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: { ...officer.auth, 'content-type': 'application/json; charset=iso-8859-1' },
    payload: JSON.stringify(sample.establishment()),
  });
  t.equal(post.statusCode, 415, 'a body the service reads must still be UTF-8');
});

t.test('a compressed body is a 415 naming the coding, not garbled JSON; nothing is stored', async (t) => {
  const count = async () => json<{ totalItems: number }>(await app.inject({ url: '/v1/establishments', headers: officer.auth })).totalItems;
  const before = await count();
  const doc = JSON.stringify(sample.establishment('GM0363', { name: 'Compressed' }));
  const cases: [string, Buffer | string][] = [
    ['gzip', gzipSync(doc)],
    ['br', brotliCompressSync(doc)],
    ['GZIP', doc], // declared but not compressed: still not decoded, still refused
    ['identity, gzip', gzipSync(doc)],
  ];
  for (const [coding, payload] of cases) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/establishments',
      headers: { ...officer.auth, 'content-type': 'application/json', 'content-encoding': coding },
      payload,
    });
    t.equal(res.statusCode, 415, coding);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.equal(json<Problem>(res).code, 'unsupported-content-encoding');
    t.equal(res.headers['accept-encoding'], 'identity');
  }
  const plain = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: { ...officer.auth, 'content-type': 'application/json', 'content-encoding': 'identity' },
    payload: doc,
  });
  t.equal(plain.statusCode, 201, 'identity is no coding');
  t.equal(await count(), before + 1, 'only the uncompressed one was stored');
  const get = await app.inject({
    url: '/v1/establishments',
    headers: { ...officer.auth, 'content-encoding': 'gzip' },
    payload: gzipSync('{}'),
  });
  t.equal(get.statusCode, 200, "a GET's body is ignored, compressed or not");
});

t.test(
  'the audit headers are read as the UTF-8 they are sent in, or as ISO-8859-1 when they are not UTF-8: no mojibake in the trail',
  async (t) => {
    // Node hands header bytes over one character per byte (latin1): this is what the socket gives for UTF-8.
    const wire = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
    const created = await app.inject({
      method: 'POST',
      url: '/v1/establishments',
      headers: {
        ...officer.auth,
        'x-audit-reason': wire('Überprüfung café – 検査'),
        'x-acting-user': wire('jöns'),
        'x-acting-user-name': wire('Jöns Ærø'),
      },
      payload: sample.establishment('GM0363', { name: 'Club Utf' }),
    });
    t.equal(created.statusCode, 201, created.body);
    const id = json<{ id: string }>(created).id;
    const trail = json<{ items: { reason: string; actor: { id: string; name: string } }[] }>(
      await app.inject({ url: `/v1/audit-trail?objectId=${id}`, headers: admin.auth }),
    );
    t.equal(trail.items[0]?.reason, 'Überprüfung café – 検査');
    t.same(trail.items[0]?.actor, { id: 'jöns', name: 'Jöns Ærø', verified: false });
    const byActor = json<{ items: { objectId: string }[] }>(
      await app.inject({ url: `/v1/audit-trail?actorId=${encodeURIComponent(' jöns ')}`, headers: admin.auth }),
    );
    t.same(
      byActor.items.map((e) => e.objectId),
      [id],
      'the actorId filter finds an actor id as it was declared, in any script',
    );

    // Python's and Node's own clients send a header string as ISO-8859-1: bytes that are not UTF-8 keep that reading.
    const latin1 = await app.inject({
      method: 'POST',
      url: '/v1/establishments',
      headers: { ...officer.auth, 'x-audit-reason': 'caf\u00e9', 'x-acting-user': 'j\u00f6ns' }, // the bytes E9 and F6: latin1, not UTF-8
      payload: sample.establishment('GM0363', { name: 'Club Latin' }),
    });
    t.equal(latin1.statusCode, 201, latin1.body);
    const latinTrail = json<{ items: { reason: string; actor: { id: string } }[] }>(
      await app.inject({ url: `/v1/audit-trail?objectId=${json<{ id: string }>(latin1).id}`, headers: admin.auth }),
    );
    t.equal(latinTrail.items[0]?.reason, 'café');
    t.equal(latinTrail.items[0]?.actor.id, 'jöns', 'the same person as the UTF-8 one above');
  },
);

t.test('a callbackUrl ending in a bare # (an empty fragment) is refused like any fragment', async (t) => {
  const count = async () => json<{ totalItems: number }>(await app.inject({ url: '/v1/subscriptions', headers: officer.auth })).totalItems;
  const before = await count();
  for (const callbackUrl of [
    'https://hooks.example/registry#',
    'https://hooks.example/registry?x=1#',
    'https://hooks.example/registry#part',
  ]) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: officer.auth,
      payload: { callbackUrl, eventTypes: ['nl.overheid.handhavingsregister.enforcement-action.created'] },
    });
    t.equal(res.statusCode, 400, callbackUrl);
    t.same(codes(res), ['callbackUrl:fragment_in_url']);
  }
  t.equal(await count(), before, 'nothing stored');
});

t.test('a redelivery declares and validates the acting-person headers it records, as every other write', async (t) => {
  const doc = json<{ paths: Record<string, Record<string, { parameters?: { in: string; name: string }[] }>> }>(
    await app.inject({ url: '/v1/openapi.json' }),
  );
  const headersOf = (path: string, method: string) =>
    (doc.paths[path]?.[method]?.parameters ?? []).filter((p) => p.in === 'header').map((p) => p.name);
  const redelivery = headersOf('/subscriptions/{id}/redeliveries', 'post');
  for (const name of ['x-audit-reason', 'x-acting-user', 'x-acting-user-name']) t.ok(redelivery.includes(name), name);
  t.same(
    redelivery.filter((n) => n.startsWith('x-')).sort(),
    headersOf('/establishments', 'post')
      .filter((n) => n.startsWith('x-'))
      .sort(),
    'the same audit headers as a create',
  );

  const sub = json<{ id: string }>(
    await app.inject({
      method: 'POST',
      url: '/v1/subscriptions',
      headers: officer.auth,
      payload: {
        callbackUrl: 'https://hooks.example/redeliver',
        eventTypes: ['nl.overheid.handhavingsregister.enforcement-action.created'],
      },
    }),
  );
  const url = `/v1/subscriptions/${sub.id}/redeliveries`;
  const bad = await app.inject({ method: 'POST', url, headers: { ...officer.auth, 'x-acting-user-name': 'J.\u0007' }, payload: {} });
  t.equal(bad.statusCode, 400);
  t.same(codes(bad), ['x-acting-user-name:control_character']);
  const done = await app.inject({
    method: 'POST',
    url,
    headers: { ...officer.auth, 'x-acting-user': 'j.devries', 'x-acting-user-name': 'J. de Vries' },
    payload: {},
  });
  t.equal(done.statusCode, 202, done.body);
  const trail = json<{ items: { actor: unknown }[] }>(await app.inject({ url: `/v1/audit-trail?objectId=${sub.id}`, headers: admin.auth }));
  t.same(trail.items.at(-1)?.actor, { id: 'j.devries', name: 'J. de Vries', verified: false }, 'recorded in the audit entry');
});

t.test('a JSON body must be UTF-8: invalid bytes are a 400 invalid-encoding, never stored as U+FFFD', async (t) => {
  const count = async () => json<{ totalItems: number }>(await app.inject({ url: '/v1/establishments', headers: officer.auth })).totalItems;
  const before = await count();
  const withBytes = (name: number[]) => {
    const [head, tail] = JSON.stringify(sample.establishment('GM0363', { name: 'Club @' })).split('@');
    return Buffer.concat([Buffer.from(head as string), Buffer.from(name), Buffer.from(tail as string)]);
  };
  const cases: [string, number[], number][] = [
    ['latin1 é', [0x43, 0x61, 0x66, 0xe9], 3],
    ['a stray continuation byte', [0x80], 0],
    ['a character cut short', [0xe2, 0x82], 0],
    ['an overlong slash', [0xc0, 0xaf], 0],
    ['an encoded surrogate', [0xed, 0xa0, 0x80], 0],
  ];
  const offset = JSON.stringify(sample.establishment('GM0363', { name: 'Club @' })).indexOf('@');
  for (const [what, bytes, at] of cases) {
    for (const type of ['application/json', 'application/json; charset=utf-8']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/establishments',
        headers: { ...officer.auth, 'content-type': type },
        payload: withBytes(bytes),
      });
      t.equal(res.statusCode, 400, `${what} (${type})`);
      t.match(res.headers['content-type'], /^application\/problem\+json/);
      t.equal(json<Problem>(res).code, 'invalid-encoding');
      t.same(codes(res), ['body:invalid_encoding']);
      t.match(json<{ detail: string }>(res).detail, `byte offset ${offset + at}`);
    }
  }
  t.equal(await count(), before, 'nothing stored');

  const est2 = json<{ id: string }>(await app.inject({ url: `/v1/establishments/${est.id}`, headers: officer.auth }));
  const patch = await app.inject({
    method: 'PATCH',
    url: `/v1/establishments/${est2.id}`,
    headers: { ...officer.auth, 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    payload: Buffer.concat([Buffer.from('{"name":"Club '), Buffer.from([0xff]), Buffer.from('"}')]),
  });
  t.equal(patch.statusCode, 400, 'a merge patch too');
  t.equal(json<Problem>(patch).code, 'invalid-encoding');

  const fine = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: { ...officer.auth, 'content-type': 'application/json' },
    payload: Buffer.from(JSON.stringify(sample.establishment('GM0363', { name: 'Café 🙈 \ufffd' })), 'utf8'),
  });
  t.equal(fine.statusCode, 201, 'valid UTF-8, a U+FFFD the client meant included');
  t.equal(json(fine).name, 'Café 🙈 \ufffd');
});

t.test('a query string that is not validly percent-encoded UTF-8 is a 400 naming each key, never read some other way', async (t) => {
  const cases: [string, string[]][] = [
    ['page=%E0%A4%A', ['page:malformed']],
    ['name=%ZZ', ['name:malformed']],
    ['name=%C3%28', ['name:malformed']],
    ['name=%FF', ['name:malformed']],
    ['name=Club%', ['name:malformed']],
    ['na%ZZme=Club', ['na%ZZme:malformed']],
    ['page=%E0%A4%A&name=%ZZ&kind=club', ['page:malformed', 'name:malformed']],
  ];
  for (const [query, expected] of cases) {
    const res = await app.inject({ url: `/v1/establishments?${query}`, headers: officer.auth });
    t.equal(res.statusCode, 400, query);
    t.match(res.headers['content-type'], /^application\/problem\+json/);
    t.same(codes(res), expected, query);
  }
  for (const query of ['name=%25ZZ', 'name=Caf%C3%A9', 'name=Club+Rood', 'name=Club%20Rood&page=1', '']) {
    const res = await app.inject({ url: `/v1/establishments?${query}`, headers: officer.auth });
    t.equal(res.statusCode, 200, `well-formed: ${query}`);
  }
  const write = await app.inject({
    method: 'POST',
    url: '/v1/establishments?x=%ZZ',
    headers: officer.auth,
    payload: sample.establishment(),
  });
  t.equal(write.statusCode, 400, 'a write with one changes nothing');

  const both = await app.inject({ url: '/v1/establishments?page=0&name=%ZZ', headers: officer.auth });
  t.equal(both.statusCode, 400);
  t.same(
    codes(both).map((c) => c.split(':')[0]),
    ['name', 'page'],
    'one 400 lists the malformed key and every other invalid parameter',
  );
  const upload = await app.inject({
    method: 'POST',
    url: '/v1/imports?recordType=establishments&dryRun=%ZZ',
    headers: { ...officer.auth, 'content-type': 'text/csv' },
    payload: 'externalReference,name\nE-1,Club\n',
  });
  t.equal(upload.statusCode, 400, upload.body);
  t.same(codes(upload), ['dryRun:malformed'], 'an upload’s body, read by its route, is not listed');
  const anonymous = await app.inject({ url: '/v1/establishments?name=%ZZ' });
  t.equal(anonymous.statusCode, 401, 'authentication first, as for every other 400');
  const outside = await app.inject({ url: '/health/live?x=%ZZ' });
  t.equal(outside.statusCode, 200, 'outside /v1 the query is not checked');
});

t.test(
  'the charset of a body is read as a parameter: not from inside a quoted value, and of two the one that is not UTF-8 decides',
  async (t) => {
    const post = (contentType: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/establishments',
        headers: { ...officer.auth, 'content-type': contentType },
        payload: JSON.stringify(sample.establishment()),
      });
    for (const type of ['application/json; x="a;charset=latin1"', 'application/json; charset="UTF-8"', 'application/json;charset=utf-8']) {
      t.equal((await post(type)).statusCode, 201, `${type}: UTF-8, accepted`);
    }
    for (const type of ['application/json; charset=utf-8; charset=latin1', 'application/json; charset=latin1; charset=utf-8']) {
      const res = await post(type);
      t.equal(res.statusCode, 415, `${type}: which one? not read as UTF-8 by chance`);
      t.match(json<{ detail: string }>(res).detail, /^Send the body as application\/json in UTF-8; charset=latin1/);
    }
    // The answer names the media types the operation reads: an import is a file, a PATCH a merge patch.
    for (const [method, url, type, named] of [
      ['POST', '/v1/imports?recordType=establishments', 'text/csv; charset=latin1', 'text/csv'],
      ['POST', '/v1/imports?recordType=establishments', 'application/x-ndjson; charset=latin1', 'application/x-ndjson'],
      ['POST', '/v1/imports?recordType=establishments', 'text/plain; charset=latin1', 'text/csv or application/x-ndjson'],
      [
        'PATCH',
        '/v1/establishments/00000000-0000-4000-8000-000000000000',
        'application/json; charset=latin1',
        'application/merge-patch+json',
      ],
    ] as const) {
      const res = await app.inject({ method, url, headers: { ...officer.auth, 'content-type': type }, payload: 'x' });
      t.equal(res.statusCode, 415, `${method} ${url}, ${type}`);
      t.match(json<{ detail: string }>(res).detail, `Send the body as ${named} in UTF-8; charset=latin1 is not accepted.`, type);
    }
  },
);

t.test('text is one line of visible characters, composed: é sent decomposed is the é stored and found', async (t) => {
  const create = (name: string) =>
    app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment('GM0363', { name }) });
  for (const [name, expected] of [
    ['\u200b', 'name:too_small'],
    [' \u200b\u00ad\u2060 ', 'name:too_small'],
    ['Club\u2028Venus', 'name:control_character'],
    ['Club\u2029Venus', 'name:control_character'],
  ] as const) {
    const res = await create(name);
    // Escaped: a raw U+2028 in a test's name would break TAP's lines.
    const shown = name.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    t.same([res.statusCode, codes(res)], [400, [expected]], shown);
  }
  const decomposed = 'Cafe\u0301 Noir'; // e + combining acute accent
  const made = await create(decomposed);
  t.equal(made.statusCode, 201, made.body);
  t.equal(json<{ name: string }>(made).name, 'Caf\u00e9 Noir', 'stored composed (NFC)');
  for (const search of ['Caf\u00e9 Noir', 'Cafe\u0301 Noir']) {
    const found = json<{ items: { name: string }[] }>(
      await app.inject({ url: `/v1/establishments?name=${encodeURIComponent(search)}`, headers: officer.auth }),
    );
    t.same(
      found.items.map((e) => e.name),
      ['Caf\u00e9 Noir'],
      `found by ${JSON.stringify(search)}, whichever way it was typed`,
    );
  }
  const zwj = await create('Club \u{1F468}\u200d\u{1F469} Venus');
  t.equal(zwj.statusCode, 201, 'a joiner inside visible text is fine');
});

t.test('a member named twice in one object is refused by name: JSON.parse would keep the last, silently', async (t) => {
  const est = json<{ id: string }>(
    await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() }),
  );
  const post = (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/v1/enforcement-actions',
      headers: { ...officer.auth, 'content-type': 'application/json' },
      payload,
    });
  const count = async () =>
    json<{ totalItems: number }>(await app.inject({ url: '/v1/enforcement-actions', headers: officer.auth })).totalItems;
  const before = await count();
  const action = JSON.stringify(sample.action(est.id, { measure: 'warning', fine: undefined }));
  const twice = await post(`${action.slice(0, -1)},"measure":"licence_revocation"}`);
  t.same([twice.statusCode, codes(twice)], [400, ['measure:repeated_member']], 'a warning and then a revocation: neither is guessed');
  // \\u007a in this template literal sends the six characters \u007a: an escaped "z".
  const escaped = await post(`${action.slice(0, -1)},"zaakUrl":null,"\\u007aaakUrl":null}`);
  t.same(codes(escaped), ['zaakUrl:repeated_member'], 'the same name escaped is the same name');
  t.equal(await count(), before, 'nothing stored');
  t.equal((await post(action)).statusCode, 201, 'each member once: created');
});

t.test('a __proto__ member is refused by name as a forbidden member, not called malformed JSON', async (t) => {
  const post = (payload: string) =>
    app.inject({ method: 'POST', url: '/v1/establishments', headers: { ...officer.auth, 'content-type': 'application/json' }, payload });
  const before = json<{ totalItems: number }>(await app.inject({ url: '/v1/establishments', headers: officer.auth })).totalItems;
  for (const payload of [
    '{"name":"x","__proto__":{"polluted":true}}',
    '{"name":"x","address":{"constructor":{"prototype":{"polluted":true}}}}',
  ]) {
    const res = await post(payload);
    const problem = json<Problem>(res);
    t.same([res.statusCode, problem.code, codes(res)], [400, 'invalid-input', ['body:forbidden_member']], payload);
  }
  const plain = await post('{"name":"x","constructor":"y"}');
  t.ok(codes(plain).includes('constructor:unknown_field'), 'a member named constructor holding no prototype is just an unknown field');
  const after = json<{ totalItems: number }>(await app.inject({ url: '/v1/establishments', headers: officer.auth })).totalItems;
  t.equal(after, before, 'nothing stored');
});

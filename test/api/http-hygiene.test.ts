import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { InjectOptions, LightMyRequestResponse as Response } from 'fastify';
import t from 'tap';
import { API_VERSION } from '../../src/lib/version.js';
import { build, json, newSigningKey, sample } from '../support/helper.js';
import { records } from '../support/records.js';

const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'instance'];

t.test('http hygiene: every error is problem+json with API-Version and security headers', async (t) => {
  const { app, client } = await build(t, { config: { BODY_LIMIT_BYTES: '2048' } });
  const officer = await client('officer', 'GM0363');

  const cases: { what: string; status: number; req: InjectOptions; check?: (res: Response) => void }[] = [
    { what: 'unknown route', status: 404, req: { url: '/v1/nothing-here', headers: officer.auth } },
    { what: 'unknown route outside /v1', status: 404, req: { url: '/establishments' } },
    {
      what: 'trailing slash on a collection',
      status: 404,
      req: { url: '/v1/establishments/', headers: officer.auth },
      check: (res) => t.notOk(res.headers.location, 'not a redirect'),
    },
    { what: 'trailing slash on the document', status: 404, req: { url: '/v1/openapi.json/' } },
    {
      what: 'unknown method on a known path',
      status: 405,
      req: { method: 'PATCH', url: '/v1/establishments', headers: officer.auth },
      check: (res) => t.equal(res.headers.allow, 'GET, HEAD, POST', 'HEAD too, which every GET answers'),
    },
    {
      what: 'unknown method on an item path',
      status: 405,
      req: { method: 'POST', url: '/v1/enforcement-actions/00000000-0000-4000-8000-000000000000', headers: officer.auth },
      check: (res) => t.equal(res.headers.allow, 'DELETE, GET, HEAD, PATCH, PUT'),
    },
    {
      // The URL's dot segments are removed first (RFC 3986 §5.2.4): this is a POST on …/establishments/licences.
      what: 'a dot segment for a path parameter',
      status: 405,
      req: { method: 'POST', url: '/v1/establishments/%2e/licences', headers: officer.auth, payload: sample.licence() },
      check: (res) => t.equal(res.headers.allow, 'DELETE, GET, HEAD, PATCH, PUT'),
    },
    {
      what: 'text/plain body',
      status: 415,
      req: { method: 'POST', url: '/v1/establishments', headers: { ...officer.auth, 'content-type': 'text/plain' }, payload: 'hello' },
    },
    {
      what: 'form body',
      status: 415,
      req: {
        method: 'POST',
        url: '/v1/establishments',
        headers: { ...officer.auth, 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'a=b',
      },
    },
    {
      what: 'body over BODY_LIMIT_BYTES',
      status: 413,
      req: {
        method: 'POST',
        url: '/v1/establishments',
        headers: { ...officer.auth, 'content-type': 'application/json' },
        payload: JSON.stringify({ ...sample.establishment(), name: 'x'.repeat(4000) }),
      },
    },
    {
      what: 'malformed JSON',
      status: 400,
      req: {
        method: 'POST',
        url: '/v1/establishments',
        headers: { ...officer.auth, 'content-type': 'application/json' },
        payload: '{"name": ',
      },
    },
    {
      what: 'empty JSON body',
      status: 400,
      req: { method: 'POST', url: '/v1/establishments', headers: { ...officer.auth, 'content-type': 'application/json' }, payload: '' },
    },
    { what: 'no token', status: 401, req: { url: '/v1/establishments' } },
    { what: 'URL that does not decode', status: 400, req: { url: '/v1/establishments/%E0%A4%A', headers: officer.auth } },
    { what: 'bad path parameter', status: 400, req: { url: '/v1/establishments/not-a-uuid', headers: officer.auth } },
    { what: 'bad query parameter', status: 400, req: { url: '/v1/establishments?pageSize=0', headers: officer.auth } },
  ];
  for (const c of cases) {
    const res = await app.inject(c.req);
    t.equal(res.statusCode, c.status, `${c.what}: ${res.body.slice(0, 200)}`);
    t.match(res.headers['content-type'], /^application\/problem\+json/, `${c.what}: problem+json`);
    const body = json(res);
    for (const k of PROBLEM_KEYS) t.ok(body[k] !== undefined && body[k] !== '', `${c.what}: has ${k}`);
    t.equal(body.status, c.status, `${c.what}: status in body`);
    t.match(body.type, /^urn:/);
    t.match(body.instance, /#request-/);
    t.equal(res.headers['api-version'], API_VERSION, `${c.what}: API-Version`);
    t.equal(res.headers['x-content-type-options'], 'nosniff', `${c.what}: nosniff`);
    t.ok(res.headers['x-request-id'], `${c.what}: X-Request-Id`);
    c.check?.(res);
  }
  t.equal((await app.inject({ url: '/v1/establishments', headers: officer.auth })).statusCode, 200, 'nothing above was stored');
  t.match(json(await app.inject({ url: '/v1/establishments', headers: officer.auth })), { totalItems: 0 });
});

t.test('http hygiene: an empty body with Content-Type application/json is no body where the operation takes none', async (t) => {
  const { app, client } = await build(t, { auditSigningKey: newSigningKey() });
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const est = await records(app).establishment(officer.auth);
  const emptyJson = { 'content-type': 'application/json' };
  const checkpoint = await app.inject({
    method: 'POST',
    url: '/v1/audit-trail/checkpoints',
    headers: { ...admin.auth, ...emptyJson },
    payload: '',
  });
  t.equal(checkpoint.statusCode, 201, `a POST that acts: ${checkpoint.body}`);
  const removed = await app.inject({
    method: 'DELETE',
    url: `/v1/establishments/${est.id}`,
    headers: { ...officer.auth, ...emptyJson, 'content-length': '0', 'if-match': '"1"', 'x-audit-reason': 'entered twice' },
  });
  t.equal(removed.statusCode, 204, `a DELETE: ${removed.body}`);
  const create = await app.inject({ method: 'POST', url: '/v1/establishments', headers: { ...officer.auth, ...emptyJson }, payload: '' });
  t.equal(create.statusCode, 400, 'an operation that takes a body still needs one');
  t.match(json(create), { code: 'empty-body' });
  const other = await app.inject({
    method: 'POST',
    url: '/v1/audit-trail/checkpoints',
    headers: { ...admin.auth, 'content-type': 'text/plain' },
    payload: 'x',
  });
  t.equal(other.statusCode, 415, 'a body of another media type is still refused');
  for (const [method, url, status] of [
    ['POST', '/v1/nothing-here', 404],
    ['DELETE', '/v1/establishments', 405],
  ] as const) {
    for (const payload of ['', '{', '\xff', '{"a":1}']) {
      const res = await app.inject({ method, url, headers: { ...officer.auth, ...emptyJson }, payload });
      t.equal(
        res.statusCode,
        status,
        `${method} ${url} with the JSON body ${JSON.stringify(payload)}: the ${status} of what is not served`,
      );
    }
  }
  const merged = await app.inject({ url: '/v1/openapi.json', headers: { 'content-type': 'application/merge-patch+json' } });
  t.equal(merged.statusCode, 200, 'a GET with a stray merge-patch Content-Type: its body (none) is ignored, whatever its type');
  const typedNothing = await app.inject({
    method: 'POST',
    url: '/v1/audit-trail/checkpoints',
    headers: { ...admin.auth, 'content-type': 'text/plain' },
  });
  t.equal(typedNothing.statusCode, 201, `a Content-Type and no body: no body, not a 415 (${typedNothing.body.slice(0, 120)})`);
});

t.test('http hygiene: a body sent to an operation that takes none is a 400 naming it, never ignored; {} counts as none', async (t) => {
  // A fuzzing pass: DELETE /api-clients/{id} with {"revokedAt": …} revoked the client now, and a checkpoint took any JSON.
  const { app, client } = await build(t, { auditSigningKey: newSigningKey() });
  const admin = await client('admin');
  const other = await client('officer', 'GM0363');
  const codes = (res: Response) =>
    json<{ invalidParams: { name: string; code: string }[] }>(res).invalidParams.map((p) => `${p.name}:${p.code}`);
  const list = { url: '/v1/establishments', headers: other.auth };
  const item = json<{ items: { id: string; name: string }[] }>(await app.inject({ url: '/v1/api-clients', headers: admin.auth })).items;
  const id = item.find((c) => c.name.includes('officer'))?.id;
  const revoke = (payload: unknown, extra: Record<string, string> = {}) =>
    app.inject({
      method: 'DELETE',
      url: `/v1/api-clients/${id}`,
      headers: { ...admin.auth, 'content-type': 'application/json', 'if-match': '"1"', ...extra },
      payload: JSON.stringify(payload),
    });

  const dated = await revoke({ revokedAt: '2000-01-01T00:00:00Z', zzz: 1 });
  t.equal(dated.statusCode, 400, dated.body);
  t.same(codes(dated), ['revokedAt:unknown_field', 'zzz:unknown_field'], 'each member named');
  t.equal((await app.inject(list)).statusCode, 200, 'nothing was done: the client is not revoked');
  const noIfMatch = await app.inject({
    method: 'DELETE',
    url: `/v1/api-clients/${id}?%ZZ=1`,
    headers: { ...admin.auth, 'content-type': 'application/json' },
    payload: '{"x":1}',
  });
  t.equal(noIfMatch.statusCode, 428, 'without If-Match: 428 first, whatever else is wrong with the body or query');
  const withBadHeader = await revoke({ x: 1 }, { 'x-audit-reason': 'a\u0001b' });
  t.same(codes(withBadHeader).sort(), ['x-audit-reason:control_character', 'x:unknown_field'], 'listed beside the other invalid fields');
  for (const payload of [[1, 2], null, 7, 'x']) {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/audit-trail/checkpoints',
      headers: { ...admin.auth, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
    t.equal(res.statusCode, 400, `a checkpoint with ${JSON.stringify(payload)}`);
    t.same(codes(res), ['body:unexpected_body']);
  }
  const checkpoint = await app.inject({
    method: 'POST',
    url: '/v1/audit-trail/checkpoints',
    headers: { ...admin.auth, 'content-type': 'application/json' },
    payload: '{}',
  });
  t.equal(checkpoint.statusCode, 201, `{} is no body: ${checkpoint.body}`);
  const revoked = await revoke({});
  t.equal(revoked.statusCode, 200, `a DELETE with {}: ${revoked.body}`);
  t.equal((await app.inject(list)).statusCode, 401, 'and that one was done');
});

t.test('http hygiene: Authorization or Content-Type sent twice is a 400 naming it, not the first one read', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  // Node would keep the first of each and drop the second without a word.
  const send = (headers: string[], method = 'GET', body?: string) =>
    new Promise<{ status: number; body: string; type: string | undefined }>((resolve, reject) => {
      // Headers as a list, as they go on the wire (then Node adds no Host of its own).
      const list = ['Host', `127.0.0.1:${port}`, ...headers];
      const req = http.request({ host: '127.0.0.1', port, method, path: '/v1/establishments', headers: list }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, type: res.headers['content-type'] }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const token = officer.auth.authorization;
  t.equal((await send(['Authorization', token])).status, 200, 'one token: read');
  for (const pair of [
    [token, 'Bearer er_someone_else_entirely_000000'],
    ['Bearer er_someone_else_entirely_000000', token],
  ]) {
    const res = await send(['Authorization', pair[0] as string, 'authorization', pair[1] as string]);
    t.equal(res.status, 400, 'two tokens, in either order: 400');
    t.match(res.type, /^application\/problem\+json/);
    t.match(JSON.parse(res.body), { code: 'invalid-input', invalidParams: [{ name: 'authorization', code: 'repeated_header' }] });
  }
  const body = JSON.stringify(sample.establishment());
  const twoTypes = await send(['Authorization', token, 'Content-Type', 'application/json', 'Content-Type', 'text/csv'], 'POST', body);
  t.equal(twoTypes.status, 400, 'two body types: 400, nothing created');
  t.match(JSON.parse(twoTypes.body), { invalidParams: [{ name: 'content-type', code: 'repeated_header' }] });
  // The headers the audit trail keeps: two of them would be stored joined ("a, b"), naming nobody.
  // And two Idempotency-Keys: joined ("a, b") they would be a third key, and no retry would be recognised.
  for (const name of ['X-Acting-User', 'X-Acting-User-Name', 'X-Audit-Reason', 'Idempotency-Key']) {
    const twice = await send(['Authorization', token, 'Content-Type', 'application/json', name, 'a', name, 'b'], 'POST', body);
    t.equal(twice.status, 400, `two ${name}: 400, nothing created`);
    t.match(JSON.parse(twice.body), { invalidParams: [{ name: name.toLowerCase(), code: 'repeated_header' }] });
  }
  const list = JSON.parse((await send(['Authorization', token])).body) as { totalItems: number };
  t.equal(list.totalItems, 0, 'nothing was created');
});

t.test('http hygiene: success responses carry API-Version, security headers and X-Request-Id', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  for (const url of ['/v1/openapi.json', '/v1/municipalities', '/v1/establishments']) {
    const res = await app.inject({ url, headers: officer.auth });
    t.equal(res.statusCode, 200, url);
    t.equal(res.headers['api-version'], API_VERSION);
    t.match(res.headers['api-version'], /^\d+\.\d+\.\d+/, 'full semver');
    t.equal(res.headers['x-content-type-options'], 'nosniff');
    t.equal(res.headers['x-frame-options'], 'DENY');
    t.match(res.headers['strict-transport-security'], /max-age=\d+/);
    t.match(res.headers['content-security-policy'], /frame-ancestors 'none'/);
    t.equal(res.headers['referrer-policy'], 'no-referrer');
    // The public document may be kept and asked for again with its ETag; records are never stored.
    t.equal(res.headers['cache-control'], url === '/v1/openapi.json' ? 'no-cache' : 'no-store', url);
    t.match(res.headers['x-request-id'], /^[0-9a-f-]{36}$/);
  }
  const given = await app.inject({ url: '/v1/municipalities', headers: { ...officer.auth, 'x-request-id': 'case-42.abc' } });
  t.equal(given.headers['x-request-id'], 'case-42.abc', 'a well-formed X-Request-Id is echoed');
  const bad = await app.inject({ url: '/v1/municipalities', headers: { ...officer.auth, 'x-request-id': 'bad id with spaces' } });
  t.not(bad.headers['x-request-id'], 'bad id with spaces', 'a malformed one is replaced');
  const created = await app.inject({ method: 'POST', url: '/v1/establishments', headers: officer.auth, payload: sample.establishment() });
  t.equal(created.statusCode, 201);
  t.equal(created.headers['api-version'], API_VERSION);
  const nm = await app.inject({ url: `/v1/establishments/${json(created).id}`, headers: { ...officer.auth, 'if-none-match': '"1"' } });
  t.equal(nm.statusCode, 304);
  t.equal(nm.body, '', '304 has no body');
  t.equal(nm.headers.etag, '"1"');
  t.equal(nm.headers['api-version'], API_VERSION);
  const other = await app.inject({ url: `/v1/establishments/${json(created).id}`, headers: { ...officer.auth, 'if-none-match': '"7"' } });
  t.equal(other.statusCode, 200, 'another ETag gets the resource');
  // If-None-Match compares weakly (RFC 9110 §13.1.2): W/"1" names version 1 too. It was answered 200 with the body.
  for (const inm of ['W/"1"', '"7", W/"1"', ' W/"1" ']) {
    const weak = await app.inject({ url: `/v1/establishments/${json(created).id}`, headers: { ...officer.auth, 'if-none-match': inm } });
    t.equal(weak.statusCode, 304, `If-None-Match: ${inm}`);
  }
  const weakOther = await app.inject({
    url: `/v1/establishments/${json(created).id}`,
    headers: { ...officer.auth, 'if-none-match': 'W/"7"' },
  });
  t.equal(weakOther.statusCode, 200, 'W/"7" is another version');
});

t.test('http hygiene: HEAD is answered like GET without a body, and needs a token too', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const head = await app.inject({ method: 'HEAD', url: '/v1/municipalities', headers: officer.auth });
  t.equal(head.statusCode, 200);
  t.equal(head.body, '');
  t.equal(head.headers['api-version'], API_VERSION);
  const anonymous = await app.inject({ method: 'HEAD', url: '/v1/municipalities' });
  t.equal(anonymous.statusCode, 401);
  const analyst = await client('analyst');
  t.equal((await app.inject({ method: 'HEAD', url: '/v1/establishments', headers: analyst.auth })).statusCode, 403);
});

t.test('http hygiene: all invalid fields of one part are listed together', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const res = await app.inject({
    url: '/v1/enforcement-actions?pageSize=101&page=0&measure=nap&decisionDateFrom=2020-13-01&unknownKey=1',
    headers: officer.auth,
  });
  t.equal(res.statusCode, 400);
  const names = json<{ invalidParams: { name: string }[] }>(res).invalidParams.map((p) => p.name);
  // The unknown key is listed with the invalid values, not dropped (docs/api.md).
  t.same([...new Set(names)].sort(), ['decisionDateFrom', 'measure', 'page', 'pageSize', 'unknownKey']);
});

/** Writes raw bytes to a listening app and collects what comes back until the server closes the connection. */
function rawExchange(port: number, bytes: string | Buffer, waitMs: number) {
  return new Promise<{ text: string; closedAfterMs: number | null }>((resolve) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      text += c;
    });
    socket.on('error', () => undefined);
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closedAfterMs: null });
    }, waitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closedAfterMs: Date.now() - started });
    });
  });
}

t.test('http hygiene: a body that stops arriving is a 408 problem after REQUEST_TIMEOUT_MS, and the connection closes', async (t) => {
  const { app, client } = await build(t, { config: { REQUEST_TIMEOUT_MS: '1000' } });
  const officer = await client('officer', 'GM0363');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const head = (length: string) =>
    `POST /v1/establishments HTTP/1.1\r\nHost: x\r\nAuthorization: ${officer.auth.authorization}\r\nContent-Type: application/json\r\n${length}\r\n\r\n`;
  for (const [what, bytes] of [
    ['Content-Length: 100 and two bytes of it', `${head('Content-Length: 100')}{}`],
    ['a chunked body that never ends', `${head('Transfer-Encoding: chunked')}1\r\n{\r\n`],
  ] as const) {
    const res = await rawExchange(port, bytes, 10_000);
    t.match(res.text, /^HTTP\/1\.1 408 /, `${what}: 408`);
    t.match(res.text, /content-type: application\/problem\+json/i);
    t.match(res.text, /"code":"request-timeout"/);
    t.ok(res.closedAfterMs !== null && res.closedAfterMs < 5000, `${what}: closed within seconds (${res.closedAfterMs} ms)`);
  }
});

t.test(
  'http hygiene: an import refused before its file arrived whole closes the connection, so the next request does not wait',
  async (t) => {
    const { app, client } = await build(t);
    const officer = await client('officer', 'GM0363');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    // A header line that is refused at once, then 2 MB of records the service never needs to read.
    const file = Buffer.from(`colour,size\n${'a,b\n'.repeat(500_000)}`);
    const res = await fetch(`http://127.0.0.1:${port}/v1/imports?recordType=establishments`, {
      method: 'POST',
      headers: { ...officer.auth, 'content-type': 'text/csv' },
      body: file,
    });
    t.equal(res.status, 400);
    t.equal(res.headers.get('connection'), 'close', 'answered with Connection: close');
    t.match(await res.json(), { code: 'invalid-header' });
    const after = await fetch(`http://127.0.0.1:${port}/v1/establishments`, { headers: officer.auth });
    t.equal(after.status, 200, 'the next request is answered');
  },
);

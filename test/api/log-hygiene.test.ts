import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildAppFor } from '../../src/app.js';
import { madeBy } from '../../src/application/commands/run.js';
import { systemContext } from '../../src/application/context.js';
import { loadConfig } from '../../src/config.js';
import { hashToken } from '../../src/infrastructure/repositories/api-clients.js';
import { createLogger } from '../../src/logger.js';
import { captureLog } from '../support/audit.js';
import { json, sample, testDatabase } from '../support/helper.js';

/**
 * Issue 11, finding 4: no token, token hash or record content in any log line at any level.
 * At trace, fastify's default client-error handler logged `rawPacket` (the raw request bytes, with
 * the Authorization header); at info, a 500 logged drizzle's error with the SQL parameters, and
 * request lines carried the query string's search terms.
 */
async function buildLogged(t: Parameters<typeof testDatabase>[0], level: string) {
  const database = await testDatabase(t);
  const log = captureLog();
  const { app, services } = await buildAppFor(database, loadConfig({}), { logger: createLogger(level, log.stream) });
  await app.ready();
  t.teardown(() => app.close());
  const client = async (role: 'officer' | 'admin', municipalityCode: string | null = null) => {
    const c = madeBy(
      await services.commands.apiClients.create(systemContext('test set-up'), { name: `log ${role}`, role, municipalityCode }),
    );
    return { token: c.token, auth: { authorization: `Bearer ${c.token}` } };
  };
  return { app, log, client, database };
}

/** Sends raw bytes on a fresh connection and returns everything the server answers before it closes. */
function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('error', (err) => (answer ? resolve(answer) : reject(err)));
    socket.on('close', () => resolve(answer));
    socket.write(Buffer.from(bytes, 'latin1'));
  });
}

/** Every log line, with any logged Buffer ({ type: 'Buffer', data: [...] }) decoded as text beside it. */
function logText(lines: string[]): string {
  const decoded: string[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    const o = v as { type?: unknown; data?: unknown };
    if (o.type === 'Buffer' && Array.isArray(o.data)) decoded.push(Buffer.from(o.data as number[]).toString('latin1'));
    for (const x of Object.values(v)) walk(x);
  };
  for (const l of lines) walk(JSON.parse(l));
  return [...lines, ...decoded].join('\n');
}

const statusOf = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
/** The status of every answer on a connection, in order. */
const statusesOf = (answer: string) => [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
const bodyOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;

t.test('at trace, malformed requests are answered as problem+json and their bytes are not logged', async (t) => {
  const { app, log, client } = await buildLogged(t, 'trace');
  const admin = await client('admin');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;
  const head = (extra: string) => `GET /v1/api-clients HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${admin.token}\r\n${extra}\r\n`;

  const badByte = await rawRequest(port, head('X-Note: a\x01b\r\n'));
  t.equal(statusOf(badByte), 400, 'a control byte in another header: 400');
  t.match(badByte, /content-type: application\/problem\+json/i);
  t.match(bodyOf(badByte), { status: 400, code: 'malformed-request', type: /problem:malformed-request$/ });
  t.match(badByte, /api-version: /i, 'with the API-Version header like every answer');
  for (const header of [
    'x-frame-options: DENY',
    'strict-transport-security: ',
    'referrer-policy: no-referrer',
    'cache-control: no-store',
  ]) {
    t.match(badByte, new RegExp(header, 'i'), `and ${header.split(':')[0]}, as every answer`);
  }
  const id = /x-request-id: ([\w-]+)/i.exec(badByte)?.[1];
  t.ok(id, 'with a request id, like every answer');
  t.equal(bodyOf(badByte).instance, `#request-${id}`, 'named in the instance a problem must have (no path could be read)');

  const overflow = await rawRequest(port, head(`X-Padding: ${'a'.repeat(20_000)}\r\n`));
  t.equal(statusOf(overflow), 431, 'headers over the limit: 431');
  t.match(overflow, /content-type: application\/problem\+json/i);
  t.match(bodyOf(overflow), { status: 431, code: 'headers-too-large', title: 'Request Header Fields Too Large' });

  const badLine = await rawRequest(port, `GET /v1/api-clients HTTP/1.1\r\nAuthorization: Bearer ${admin.token}\r\nBroken header\r\n\r\n`);
  t.equal(statusOf(badLine), 400, 'a header without a colon: 400');

  const ok = await fetch(`http://127.0.0.1:${port}/v1/api-clients?page=1`, { headers: admin.auth });
  t.equal(ok.status, 200, 'the server carries on');

  t.ok(
    log.records().some((r) => r.msg === 'malformed request refused'),
    'the refusal itself is logged (its code only)',
  );
  const all = logText(log.lines);
  t.notOk(all.includes(admin.token), 'no token in any line');
  t.notOk(all.includes(hashToken(admin.token)), 'no token hash in any line');
  t.notMatch(all, /rawPacket/, 'no raw packet');
  t.notMatch(all, /aaaaaaaaaaaaaaaa/, 'no header bytes');
});

t.test('what Node would answer itself, empty (Expect, CONNECT, no Host), is problem+json too', async (t) => {
  const { app, client } = await buildLogged(t, 'info');
  const officer = await client('officer', 'GM0363');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;
  const auth = `Authorization: Bearer ${officer.token}\r\n`;
  const problem = (answer: string, status: number, code: string) => {
    t.equal(statusOf(answer), status, `${code}: ${status}`);
    t.match(answer, /content-type: application\/problem\+json/i, `${code}: problem+json`);
    t.match(bodyOf(answer), { status, code, type: new RegExp(`problem:${code}$`) });
    t.match(answer, /api-version: /i, `${code}: with API-Version`);
    const id = /x-request-id: ([\w.-]+)/i.exec(answer)?.[1];
    t.match(bodyOf(answer).instance, new RegExp(`#request-${id}$`), `${code}: its instance names the request id it was sent with`);
  };
  problem(
    await rawRequest(port, `GET /v1/establishments HTTP/1.1\r\nHost: localhost\r\n${auth}Expect: x\r\nConnection: close\r\n\r\n`),
    417,
    'expectation-failed',
  );
  const named = await rawRequest(
    port,
    `GET /v1/establishments?page=2 HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: case-42\r\nExpect: x\r\nConnection: close\r\n\r\n`,
  );
  t.equal(bodyOf(named).instance, '/v1/establishments#request-case-42', "the 417's instance: the path and the client's X-Request-Id");
  // Pipelined behind another request, the 417 comes after that one's answer, not in its place.
  const pipelined = await rawRequest(
    port,
    `GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\nGET /v1/establishments HTTP/1.1\r\nHost: localhost\r\n${auth}Expect: x\r\nConnection: close\r\n\r\n`,
  );
  t.same(statusesOf(pipelined), [200, 417], 'pipelined: the first request answered first, then the 417');
  const behind = await rawRequest(
    port,
    `GET /v1/establishments HTTP/1.1\r\nHost: localhost\r\n${auth}Expect: x\r\n\r\nGET /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`,
  );
  t.same(statusesOf(behind), [417, 200], 'a request pipelined behind a 417 without a body is answered too: the connection carries on');
  const est = JSON.stringify(sample.establishment('GM0363'));
  const withBody = await rawRequest(
    port,
    `POST /v1/establishments HTTP/1.1\r\nHost: localhost\r\n${auth}Expect: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(est)}\r\n\r\n${est}` +
      `POST /v1/establishments HTTP/1.1\r\nHost: localhost\r\n${auth}Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(est)}\r\nConnection: close\r\n\r\n${est}`,
  );
  t.same(
    statusesOf(withBody),
    [417, 201],
    'behind a 417 with a body too: the write that ran is answered (it was run and its answer dropped)',
  );
  const absolute = await rawRequest(
    port,
    `GET http://elsewhere.example/v1/establishments HTTP/1.1\r\nHost: localhost\r\nExpect: x\r\nConnection: close\r\n\r\n`,
  );
  t.match(bodyOf(absolute).instance, /^\/v1\/establishments#request-/, 'an absolute-form target: the path alone in the instance');
  problem(await rawRequest(port, `CONNECT 127.0.0.1:5432 HTTP/1.1\r\nHost: 127.0.0.1:5432\r\n\r\n`), 405, 'method-not-allowed');
  problem(await rawRequest(port, `GET /v1/establishments HTTP/1.1\r\n${auth}Connection: close\r\n\r\n`), 400, 'missing-host');
  const http10 = await rawRequest(port, `GET /health/live HTTP/1.0\r\n\r\n`);
  t.equal(statusOf(http10.replace(/^HTTP\/1\.0/, 'HTTP/1.1')), 200, 'HTTP/1.0 needs no Host');
  const ok = await rawRequest(
    port,
    `GET /v1/establishments HTTP/1.1\r\nHost: localhost\r\n${auth}Expect: 100-continue\r\nConnection: close\r\n\r\n`,
  );
  t.equal(statusOf(ok.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '')), 200, 'Expect: 100-continue is met as before');
});

t.test('bytes Node refuses behind a write: the write is answered first, then the refusal', async (t) => {
  // They were answered in the write's place, so a client was told 400 (or 431) of a change that committed (a fuzzing pass).
  const { app, client } = await buildLogged(t, 'info');
  const officer = await client('officer', 'GM0363');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;
  const body = JSON.stringify(sample.establishment('GM0363'));
  const post = `POST /v1/establishments HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${officer.token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const count = async () => json<{ totalItems: number }>(await app.inject({ url: '/v1/establishments', headers: officer.auth })).totalItems;

  const before = await count();
  const garbage = await rawRequest(port, `${post}garbage\r\n\r\n`);
  t.same(statusesOf(garbage), [201, 400], 'the 201 of the create, then the 400 of what followed its body');
  t.equal(await count(), before + 1, 'and the create it reported happened');
  t.match(bodyOf(garbage.slice(garbage.indexOf('HTTP/1.1 400 '))), { status: 400, code: 'malformed-request' });

  const overflow = await rawRequest(
    port,
    `${post}GET /v1/establishments HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
  );
  t.same(statusesOf(overflow), [201, 431], 'behind a pipelined request whose headers are too large: 201, then 431');
  t.equal(await count(), before + 2);

  const two = await rawRequest(port, `GET /health/live HTTP/1.1\r\nHost: localhost\r\n\r\n${post}garbage\r\n\r\n`);
  t.same(statusesOf(two), [200, 201, 400], 'every answer due goes out, in order, before the refusal');
});

t.test('a client that hangs up mid-body is not logged as a database outage', async (t) => {
  // Node ends the request stream with ECONNRESET "aborted"; it was taken for a database connection
  // reset, logged as "database unavailable" and answered 503 (a fuzzing pass, 5 December 2026).
  const { app, log, client } = await buildLogged(t, 'info');
  const officer = await client('officer', 'GM0363');
  await app.listen({ port: 0, host: '127.0.0.1' });
  const port = (app.server.address() as net.AddressInfo).port;
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  socket.write(
    `POST /v1/establishments HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${officer.token}\r\n` +
      'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{}',
  );
  await new Promise((r) => setTimeout(r, 100));
  socket.destroy();
  const seen = async (msg: string) => {
    for (let i = 0; i < 50 && !log.records().some((r) => r.msg === msg); i++) await new Promise((r) => setTimeout(r, 20));
    return log.records().some((r) => r.msg === msg);
  };
  t.ok(await seen('the client closed the connection before its request was read'), 'logged as what it is, at info');
  t.notOk(
    log.records().some((r) => r.msg === 'database unavailable' || Number(r.level) >= 40),
    'no "database unavailable", no warning or error',
  );
  const ok = await fetch(`http://127.0.0.1:${port}/v1/establishments`, { headers: officer.auth });
  t.equal(ok.status, 200, 'the server carries on');
});

t.test('at info, a database error and search terms leave no record content, token or hash in the log', async (t) => {
  const { app, log, client, database } = await buildLogged(t, 'info');
  const officer = await client('officer', 'GM0363');
  const secret = {
    name: 'Geheimzinnig Genot BV',
    street: 'Verborgenstraat',
    kvkNumber: '87654321',
  };
  const created = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: officer.auth,
    payload: sample.establishment('GM0363', {
      name: secret.name,
      kvkNumber: secret.kvkNumber,
      address: { street: secret.street, houseNumber: 7, postalCode: '1012DK', city: 'Amsterdam' },
    }),
  });
  t.equal(created.statusCode, 201, created.body);
  const search = await app.inject({ url: `/v1/establishments?name=${encodeURIComponent(secret.name)}`, headers: officer.auth });
  t.equal(search.statusCode, 200);
  t.ok(
    log.records().some((r) => (r.req as { queryKeys?: string[] } | undefined)?.queryKeys?.includes('name')),
    'the request line names the query key',
  );

  // The database now fails every query on these tables (as an operator's mistake or an outage of one table would).
  await database.owner.execute(sql`alter table establishments rename to establishments_gone`);
  await database.owner.execute(sql`alter table api_clients rename to api_clients_gone`);
  t.teardown(async () => {
    await database.owner.execute(sql`alter table establishments_gone rename to establishments`);
    await database.owner.execute(sql`alter table api_clients_gone rename to api_clients`);
  });
  const unknownToken = `er_${randomBytes(32).toString('base64url')}`;
  const failedAuth = await app.inject({ url: '/v1/establishments', headers: { authorization: `Bearer ${unknownToken}` } });
  t.equal(failedAuth.statusCode, 500, 'authentication itself fails in the database');
  t.equal(failedAuth.headers['content-type'], 'application/problem+json; charset=utf-8');
  const officer2 = { authorization: `Bearer ${officer.token}` }; // cached: reaches the route
  const failedWrite = await app.inject({
    method: 'POST',
    url: '/v1/establishments',
    headers: officer2,
    payload: sample.establishment('GM0363', {
      name: `${secret.name} 2`,
      kvkNumber: secret.kvkNumber,
      address: { street: secret.street, houseNumber: 9, postalCode: '1012DK', city: 'Amsterdam' },
    }),
  });
  t.equal(failedWrite.statusCode, 500, json(failedWrite).detail as string);
  const failedSearch = await app.inject({ url: `/v1/establishments?name=${encodeURIComponent(secret.name)}`, headers: officer2 });
  t.equal(failedSearch.statusCode, 500);

  const errors = log.records().filter((r) => r.msg === 'unhandled error');
  t.ok(errors.length >= 3, 'each 500 is logged');
  t.match(errors[0], { err: { type: String, message: String, stack: /at / } }, 'with its type, message and stack');
  t.match(JSON.stringify(errors), /"code":"42P01"/, 'and the database error code');
  const all = logText(log.lines);
  for (const [what, value] of Object.entries({
    ...secret,
    searchTerm: encodeURIComponent(secret.name),
    token: officer.token,
    tokenHash: hashToken(officer.token),
    unknownToken,
    unknownTokenHash: hashToken(unknownToken),
  })) {
    t.notOk(all.includes(value), `no ${what} in the log`);
  }
});

t.test('an outage seen by every readiness probe is logged once with its cause, not once per probe', async (t) => {
  // An operator review: each failed probe wrote a warning with a stack; with a prober every few seconds the log filled.
  const { app, log, database } = await buildLogged(t, 'info');
  await database.close(); // the database gone, as far as this app can tell
  for (let i = 0; i < 5; i++) {
    const probe = await app.inject({ url: '/health/ready' });
    t.same([probe.statusCode, probe.headers['retry-after']], [503, '2'], `probe ${i + 1}: not ready`);
  }
  const said = log.records().filter((r) => String(r.msg).startsWith('readiness check'));
  t.same(
    said.map((r) => [r.level, r.msg]),
    [[50, 'readiness check failed: the database does not answer']],
    'one line for five probes',
  );
  t.ok((said[0]?.err as { message?: string } | undefined)?.message, 'with the cause');
});

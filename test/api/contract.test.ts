import t from 'tap';
import { freePort } from '../support/free-port.js';
import { build, json, newSigningKey, sample } from '../support/helper.js';
import { checkResponse, openapiDocument, operations } from '../support/openapi.js';
import { records } from '../support/records.js';
import { withoutAsOf } from '../support/statistics.js';

/**
 * What generators read in the contract and what the server then does: required headers, int64,
 * groupBy as an array (repeated or comma list), CSV by path, the headers of every response, and a
 * `servers` entry that the docs page's "Try it out" can reach after the quick start.
 */

type Doc = {
  servers: { url: string }[];
  paths: Record<string, Record<string, { parameters?: { name: string; in: string; required?: boolean }[] }>>;
  components: { schemas: Record<string, { properties?: Record<string, { format?: string; maximum?: number }> }> };
};

t.test('the document declares what the server requires', async (t) => {
  const { app } = await build(t);
  const doc = json<Doc>(await app.inject({ url: '/v1/openapi.json' }));
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of ['put', 'patch', 'delete'] as const) {
      const op = item[method];
      if (!op) continue;
      const ifMatch = op.parameters?.find((p) => p.in === 'header' && p.name.toLowerCase() === 'if-match');
      if (ifMatch) t.equal(ifMatch.required, true, `${method.toUpperCase()} ${path}: If-Match required`);
      else t.fail(`${method.toUpperCase()} ${path} declares no If-Match`);
      if (method === 'delete' && path !== '/api-clients/{id}') {
        const reason = op.parameters?.find((p) => p.name.toLowerCase() === 'x-audit-reason');
        t.equal(reason?.required, true, `DELETE ${path}: X-Audit-Reason required`);
      }
    }
  }
  const row = doc.components.schemas.StatisticsRow?.properties ?? {};
  for (const f of ['actions', 'fineAmountCents', 'penaltyMaximumCents', 'penaltyForfeitedCents'])
    t.equal(row[f]?.format, 'int64', `${f} is int64`);
  t.notMatch(
    JSON.stringify(doc.components),
    /9007199254740991/,
    'no 2^53 − 1 bounds or examples in schemas (parameters keep the bound they have)',
  );
  t.equal(doc.servers[0]?.url, 'http://127.0.0.1:3000/v1', 'the default server is the quick start');
});

t.test('groupBy: repeated and comma list are the same; CSV by path as by Accept', async (t) => {
  const { app, client } = await build(t);
  const officer = await client('officer', 'GM0363');
  const analyst = await client('analyst');
  const make = records(app);
  const est = await make.establishment(officer.auth);
  await make.action(officer.auth, est.id);
  const base = '/v1/statistics/enforcement-actions?yearFrom=2019&yearTo=2019';
  const repeated = await app.inject({ url: `${base}&groupBy=year&groupBy=municipality`, headers: analyst.auth });
  const comma = await app.inject({ url: `${base}&groupBy=year,municipality`, headers: analyst.auth });
  t.equal(repeated.statusCode, 200, repeated.body);
  t.same(withoutAsOf(json(repeated)), withoutAsOf(json(comma)), 'one answer');
  t.same(json<{ countingRule: { groupBy: string[] } }>(repeated).countingRule.groupBy, ['year', 'municipality']);
  const bad = await app.inject({ url: `${base}&groupBy=year,colour`, headers: analyst.auth });
  t.equal(bad.statusCode, 400);

  const byAccept = await app.inject({ url: `${base}&groupBy=year`, headers: { ...analyst.auth, accept: 'text/csv' } });
  const byPath = await app.inject({
    url: `/v1/statistics/enforcement-actions/csv?yearFrom=2019&yearTo=2019&groupBy=year`,
    headers: analyst.auth,
  });
  t.equal(byPath.statusCode, 200, byPath.body);
  t.match(byPath.headers['content-type'], /^text\/csv/);
  t.equal(byPath.body, byAccept.body, 'the same CSV');
  const obs = await app.inject({ url: '/v1/statistics/enforcement-actions/observations/csv?groupBy=year', headers: analyst.auth });
  t.match(obs.headers['content-type'], /^text\/csv/);
  const open = await app.inject({ url: '/v1/open-data/enforcement-actions/csv?groupBy=year' });
  t.equal(open.statusCode, 200);
  t.match(open.headers['content-type'], /^text\/csv/);
});

t.test('the docs page’s "Try it out" request reaches the listening server', async (t) => {
  const port = await freePort();
  const { app, client } = await build(t, { config: { PORT: String(port) } }); // no PUBLIC_BASE_URL, as in the quick start
  await app.listen({ port, host: '127.0.0.1' });
  const admin = await client('admin');
  const origin = `http://127.0.0.1:${port}`;
  const page = await fetch(`${origin}/docs`);
  t.equal(page.status, 200, 'the docs page');
  const init = await (await fetch(`${origin}/docs/static/swagger-initializer.js`)).text();
  // swagger-ui's initializer: Object.assign(…, config, { url: resolveUrl('./json') }): the last url wins.
  const relative = [...init.matchAll(/url: resolveUrl\('([^']+)'\)/g)].map((m) => m[1]).pop() ?? '';
  const docUrl = new URL(relative, `${origin}/docs/`);
  t.equal(docUrl.pathname, '/docs/json', 'the page loads the document from its own origin');
  const doc = (await (await fetch(docUrl)).json()) as Doc;
  // What swagger-ui sends for "Try it out": the first server's URL + the path, with the bearer token.
  const res = await fetch(`${doc.servers[0]?.url}/municipalities`, { headers: admin.auth });
  t.equal(res.status, 200, `${doc.servers[0]?.url}/municipalities`);
});

type Injected = { statusCode: number; headers: Record<string, unknown>; body: string };

t.test('every contract header a response carries is declared on it, and a declared Location or ETag is sent', async (t) => {
  const { app, client } = await build(t, { auditSigningKey: newSigningKey() });
  const officer = await client('officer', 'GM0363');
  const admin = await client('admin');
  const seen: string[] = [];
  const problems: string[] = [];
  const send = async (opts: { method?: string; url: string; headers?: Record<string, string>; payload?: unknown }) => {
    const method = opts.method ?? 'GET';
    const res = (await app.inject({ ...opts, method, payload: opts.payload as string } as never)) as unknown as Injected;
    seen.push(`${method} ${opts.url.split('?')[0]} ${res.statusCode}`);
    problems.push(...checkResponse(method, opts.url, res.statusCode, res.headers['content-type'] as string, res.body, res.headers));
    return res;
  };
  const once = (key: string) => ({ ...officer.auth, 'idempotency-key': key });

  const created = await send({ method: 'POST', url: '/v1/establishments', headers: once('e-1'), payload: sample.establishment() });
  const replayed = await send({ method: 'POST', url: '/v1/establishments', headers: once('e-1'), payload: sample.establishment() });
  t.equal(replayed.headers['idempotent-replayed'], 'true', 'a replayed create');
  const est = `/v1/establishments/${json<{ id: string }>(created).id}`;
  await send({ url: est, headers: officer.auth });
  await send({ url: est, headers: { ...officer.auth, 'if-none-match': '"1"' } });
  await send({ url: '/v1/establishments', headers: officer.auth });
  const stale = await send({ method: 'PUT', url: est, headers: { ...officer.auth, 'if-match': '"7"' }, payload: sample.establishment() });
  t.equal(stale.headers.etag, '"1"', 'a 412 names the current version');

  // A create whose token is shown once: its retry is a 409 with the Location of what the first made.
  const apiClient = {
    method: 'POST',
    url: '/v1/api-clients',
    headers: { ...admin.auth, 'idempotency-key': 'c-1' },
    payload: { name: 'x', role: 'analyst' },
  };
  await send(apiClient);
  t.ok((await send(apiClient)).headers.location, 'a withheld replay names what was made');
  const attestation = { municipalityCode: 'GM0363', year: 2019, complete: true, nothingToReport: true, statement: 'Niets.' };
  await send({ method: 'POST', url: '/v1/reporting-attestations', headers: officer.auth, payload: attestation });
  t.ok((await send({ method: 'POST', url: '/v1/reporting-attestations', headers: officer.auth, payload: attestation })).headers.location);

  // Answers without a Location: a checkpoint (signed, not a resource with a URL of its own), replayed.
  const checkpoint = { method: 'POST', url: '/v1/audit-trail/checkpoints', headers: { ...admin.auth, 'idempotency-key': 'k-1' } };
  t.equal((await send(checkpoint)).statusCode, 201);
  await send(checkpoint);

  // An import job: 202 with its Location, and again for a replay.
  const template = await send({ url: '/v1/imports/templates/establishments.csv' });
  const upload = {
    method: 'POST',
    url: '/v1/imports?recordType=establishments&dryRun=true',
    headers: { ...once('i-1'), 'content-type': 'text/csv' },
    payload: template.body,
  };
  t.equal((await send(upload)).statusCode, 202);
  t.equal((await send(upload)).headers['idempotent-replayed'], 'true', 'a replayed import');

  // Refused before the rate limiter counts them, with WWW-Authenticate on a 401; then files.
  t.ok((await send({ url: '/v1/establishments' })).headers['www-authenticate'], 'a 401 names the scheme');
  await send({ url: '/v1/establishments', headers: { authorization: 'Bearer unknown-token-of-twenty' } });
  await send({ url: '/v1/api-clients', headers: officer.auth });
  const analyst = await client('analyst');
  const csv = await send({ url: '/v1/statistics/enforcement-actions/csv?yearFrom=2019&yearTo=2019', headers: analyst.auth });
  t.match(csv.headers['content-disposition'], /^attachment/);
  t.ok(csv.headers['x-ratelimit-remaining'], 'a counted request says what is left');
  await send({ url: '/v1/statistics/enforcement-actions?yearFrom=2019&yearTo=2019', headers: { ...analyst.auth, accept: 'text/csv' } });
  await send({ url: '/v1/open-data/enforcement-actions/csv' });
  await send({ url: '/v1/exports/establishments?format=ndjson', headers: officer.auth });

  t.same(problems, [], 'every response as the document declares it');
  t.comment(seen.join('\n'));
});

t.test('a rate-limited client’s answers, its 429 too, declare the X-RateLimit headers they carry', async (t) => {
  const { app, client } = await build(t, { config: { RATE_LIMIT_PER_MINUTE: '2' } });
  const officer = await client('officer', 'GM0363');
  const problems: string[] = [];
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ url: '/v1/establishments', headers: officer.auth });
    statuses.push(res.statusCode);
    problems.push(
      ...checkResponse('GET', '/v1/establishments', res.statusCode, res.headers['content-type'] as string, res.body, res.headers),
    );
    t.ok(res.headers['x-ratelimit-limit'], `${res.statusCode}: X-RateLimit-Limit`);
  }
  t.same(statuses, [200, 200, 429]);
  t.same(problems, [], 'as the document declares them');
});

t.test('a public operation declares no 429: public routes are not rate-limited, so a client never gets one there', async (t) => {
  const { app } = await build(t, { config: { RATE_LIMIT_PER_MINUTE: '1' } });
  const publicOps = operations.filter((o) => !((o.op.security as unknown[] | undefined) ?? []).length);
  t.ok(publicOps.length >= 8, `${publicOps.length} public operations`);
  for (const o of publicOps) {
    const responses = o.op.responses as Record<string, unknown>;
    t.notOk('429' in responses, `${o.operationId} declares no 429`);
  }
  // The same public read, more often than the limit allows a client: never refused.
  for (const url of ['/v1/open-data/enforcement-actions', '/v1/open-data/enforcement-actions/csv', '/v1/statistics/metadata']) {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await app.inject({ url })).statusCode);
    t.same(statuses, [200, 200, 200], `${url} is not limited`);
  }
});

t.test(
  'a 403 of the operation’s own rules, answered after the request was counted, declares the X-RateLimit headers it carries',
  async (t) => {
    const { app, client } = await build(t);
    const officer = await client('officer', 'GM0363');
    const problems: string[] = [];
    for (const url of [
      '/v1/statistics/enforcement-actions?municipalityCode=GM0599', // another municipality's figures
      '/v1/statistics/enforcement-actions/summary?municipalityCode=GM0599',
      '/v1/exports/establishments?municipalityCode=GM0599', // another municipality's records
    ]) {
      const res = await app.inject({ url, headers: officer.auth });
      t.equal(res.statusCode, 403, url);
      t.ok(res.headers['x-ratelimit-remaining'], `${url}: counted against the limit`);
      problems.push(...checkResponse('GET', url, res.statusCode, res.headers['content-type'] as string, res.body, res.headers));
    }
    t.same(problems, [], 'as the document declares them');
  },
);

t.test('every version is an integer, as the ETag that carries it', async (t) => {
  const schemas = (openapiDocument.components as { schemas: Record<string, { properties?: Record<string, { type?: string }> }> }).schemas;
  const versions = Object.entries(schemas).flatMap(([name, s]) => (s.properties?.version ? [[name, s.properties.version] as const] : []));
  t.ok(versions.length >= 8, `${versions.length} schemas with a version`);
  for (const [name, version] of versions) t.equal(version.type, 'integer', `${name}.version`);
});

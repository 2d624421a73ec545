import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { build, json, newSigningKey } from '../support/helper.js';

type Operation = {
  operationId?: string;
  summary?: string;
  description?: string;
  parameters?: unknown[];
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, unknown>;
};
type Doc = { openapi: string; info: Record<string, unknown>; servers: { url: string }[]; paths: Record<string, Record<string, Operation>> };

const committed = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../openapi/openapi.json'), 'utf8')) as Doc;

/** Operations served from memory: their 503 is only an instance shutting down (tested below to answer without the database). */
const NEEDS_NO_DATABASE = ['getOpenApiDocument', 'getAuditPublicKey', 'getImportTemplate'] as const;
const needsNoDatabase = (id: string | undefined) => (NEEDS_NO_DATABASE as readonly (string | undefined)[]).includes(id);

t.test('openapi: the committed document is what the app serves (run `npm run openapi` after changing routes)', async (t) => {
  const { app } = await build(t);
  const res = await app.inject({ url: '/v1/openapi.json' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/json/);
  t.equal(res.headers['access-control-allow-origin'], '*');
  t.same(json(res), committed, 'openapi/openapi.json is current');
});

t.test('openapi: served without a token, CORS-open, 3.0.3, and lists itself', async (t) => {
  const { app } = await build(t);
  const res = await app.inject({ url: '/v1/openapi.json' });
  t.equal(res.statusCode, 200, 'no token needed');
  t.equal(res.headers['access-control-allow-origin'], '*');
  const doc = json<Doc>(res);
  t.equal(doc.openapi, '3.0.3');
  t.ok(doc.paths['/openapi.json']?.get, 'the document lists /openapi.json');
  t.match(doc.servers[0]?.url, /\/v1$/);
  t.match(doc.info, { contact: { name: String, url: String, email: String } });
});

t.test('openapi: CORS on every answer of the document, a preflight answered, and an ETag to ask again with', async (t) => {
  const { app } = await build(t);
  const preflight = await app.inject({
    method: 'OPTIONS',
    url: '/v1/openapi.json',
    headers: { origin: 'https://editor.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'x-custom' },
  });
  t.equal(preflight.statusCode, 204, 'a preflight is answered');
  t.equal(preflight.headers['access-control-allow-origin'], '*');
  t.match(preflight.headers['access-control-allow-methods'], /GET/);
  t.equal(preflight.headers['access-control-allow-headers'], '*');
  const refused = await app.inject({ url: '/v1/openapi.json?x=1', headers: { origin: 'https://editor.example' } });
  t.equal(refused.statusCode, 400);
  t.equal(refused.headers['access-control-allow-origin'], '*', 'an error too: browser code can read why');
  const notAllowed = await app.inject({ method: 'POST', url: '/v1/openapi.json', payload: {} });
  t.equal(notAllowed.statusCode, 405);
  t.equal(notAllowed.headers['access-control-allow-origin'], '*', 'a 405 too');
  t.notOk((await app.inject({ url: '/v1/municipalities' })).headers['access-control-allow-origin'], 'only the document is CORS-open');
  const first = await app.inject({ url: '/v1/openapi.json' });
  t.equal(first.headers['cache-control'], 'no-cache', 'may be kept, and asked for again');
  t.match(first.headers.etag, /^"[A-Za-z0-9_-]{27}"$/);
  const again = await app.inject({ url: '/v1/openapi.json', headers: { 'if-none-match': first.headers.etag as string } });
  t.equal(again.statusCode, 304, 'unchanged: 304');
  t.equal(again.body, '', 'without the document');
  t.equal(again.headers['access-control-allow-origin'], '*');
  const other = await app.inject({ url: '/v1/openapi.json', headers: { 'if-none-match': '"another"' } });
  t.equal(other.statusCode, 200, 'another ETag: the document');
  t.equal(other.body, first.body);
});

t.test('the interactive docs: their own redirect to /docs/ leads to the page (no trailing-slash 404 outside /v1)', async (t) => {
  const { app } = await build(t);
  const redirect = await app.inject({ url: '/docs/static/index.html' });
  t.equal(redirect.statusCode, 302);
  const page = await app.inject({ url: redirect.headers.location as string });
  t.equal(page.statusCode, 200, `${redirect.headers.location}: the page`);
  t.match(page.headers['content-type'], /^text\/html/);
  t.equal((await app.inject({ url: '/v1/establishments/' })).statusCode, 404, 'in /v1 a trailing slash is still a 404');
});

t.test('openapi: every operation has a unique operationId, a summary and every response it can give', async (t) => {
  const ids = new Set<string>();
  let operations = 0;
  for (const [p, item] of Object.entries(committed.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(method)) continue;
      operations += 1;
      const where = `${method.toUpperCase()} ${p}`;
      t.ok(op.operationId, `${where} has an operationId`);
      t.notOk(ids.has(op.operationId as string), `${where}: ${op.operationId} is unique`);
      ids.add(op.operationId as string);
      t.ok(op.summary && op.summary.length > 3, `${where} has a summary`);
      const statuses = Object.keys(op.responses);
      t.ok(
        statuses.some((s) => /^2/.test(s)),
        `${where} documents a success`,
      );
      if ((op.parameters?.length ?? 0) > 0 || op.requestBody) t.ok(statuses.includes('400'), `${where} documents 400`);
      if (op.security?.length) {
        t.ok(statuses.includes('401'), `${where} documents 401`);
        t.ok(statuses.includes('403'), `${where} documents 403`);
      }
      if (p.includes('{')) t.ok(statuses.includes('404'), `${where} documents 404`);
      if (op.requestBody) {
        t.ok(statuses.includes('415'), `${where} documents 415`);
        t.ok(statuses.includes('413'), `${where} documents 413`);
      }
      if (method === 'put' || (method === 'delete' && op.security?.length)) t.ok(statuses.includes('412'), `${where} documents 412`);
    }
  }
  t.ok(operations >= 23, `${operations} operations`);
});

t.test('openapi: a body that may be left out has no required member, and is declared so only on a POST', async (t) => {
  const schemas = (committed as unknown as { components: { schemas: Record<string, { required?: string[] }> } }).components.schemas;
  const optional: string[] = [];
  for (const [p, item] of Object.entries(committed.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const body = op.requestBody as { required?: boolean; content: Record<string, { schema?: { $ref?: string } }> } | undefined;
      if (body?.required !== false) continue;
      optional.push(op.operationId ?? `${method} ${p}`);
      t.equal(method, 'post', `${method} ${p}: only a POST that acts has options to leave out`);
      const ref = body.content['application/json']?.schema?.$ref ?? '';
      const schema = schemas[ref.replace('#/components/schemas/', '')];
      t.ok(schema, `${method} ${p}: its body is a component (${ref})`);
      t.same(schema?.required ?? [], [], `${method} ${p}: ${ref} requires no member, so no body is the same as {}`);
    }
  }
  // The two operations whose options all have defaults (test/api/subscriptions.test.ts sends them no body).
  t.same(optional.sort(), ['redeliverSubscription', 'rotateSubscriptionSecret']);
});

t.test('openapi: `nullable` stands only beside a `type` (OpenAPI 3.0.3), where strict validators honour it', async (t) => {
  const untyped: string[] = [];
  const enumsWithoutNull: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (n.nullable === true && typeof n.type !== 'string') untyped.push(at);
    if (n.nullable === true && Array.isArray(n.enum) && !n.enum.includes(null)) enumsWithoutNull.push(at);
    for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`);
  };
  walk(committed, '#');
  t.same(untyped, [], 'no nullable without a type');
  // The 3.0.3 clarification: `enum` still decides, so a nullable enum lists null (ImportJob.phase is null between phases).
  t.same(enumsWithoutNull, [], 'every nullable enum lists null');
  const schemas = (committed as unknown as { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } }).components
    .schemas;
  t.same(
    schemas.EnforcementAction?.properties?.fine,
    { anyOf: [{ $ref: '#/components/schemas/Fine' }, { type: 'string', nullable: true, enum: [null] }] },
    'a nullable reference is an anyOf with a branch that admits null alone',
  );
});

t.test('openapi: every integer parameter declares the largest value the service takes', async (t) => {
  // anchorSeq declared none while 2^53 is a 400 too_big (a fuzzing pass): a parameter keeps zod's bound.
  const unbounded: string[] = [];
  for (const [path, item] of Object.entries(committed.paths)) {
    for (const [method, op] of Object.entries(item)) {
      for (const p of (op.parameters ?? []) as { name: string; schema?: { type?: string; maximum?: number } }[]) {
        if (p.schema?.type === 'integer' && typeof p.schema.maximum !== 'number') unbounded.push(`${method} ${path} ${p.name}`);
      }
    }
  }
  t.same(unbounded, [], 'no integer parameter without a maximum');
  t.ok(JSON.stringify(committed).includes('"maximum":9007199254740991'), 'a parameter bounded only by what a double holds exactly says so');
});

t.test('openapi: the parts of a merge patch are named components; a bare reference is not wrapped', async (t) => {
  const schemas = (committed as unknown as { components: { schemas: Record<string, { properties?: Record<string, unknown> }> } }).components
    .schemas;
  t.same(schemas.EstablishmentPatch?.properties?.address, { $ref: '#/components/schemas/AddressPatch' }, 'an address patch, by name');
  t.match(schemas.EnforcementActionPatch?.properties?.penalty, { anyOf: [{ $ref: '#/components/schemas/PenaltyPatch' }] });
  t.match(schemas.EnforcementActionPatch?.properties?.closure, { anyOf: [{ $ref: '#/components/schemas/ClosurePatch' }] });
  const wrapped: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (Array.isArray(n.allOf) && n.allOf.length === 1 && Object.keys(n).length === 1) wrapped.push(at);
    for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`);
  };
  walk(committed, '#');
  t.same(wrapped, [], 'no allOf of one reference with nothing beside it');
});

t.test('openapi: an object within a component is a component of its own, so a generated client names its type', async (t) => {
  const schemas = (committed as unknown as { components: { schemas: Record<string, unknown> } }).components.schemas;
  const inline: string[] = [];
  const walk = (node: unknown, at: string, depth: number): void => {
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown>;
    if (depth > 0 && n.type === 'object' && n.properties) inline.push(at);
    for (const [k, v] of Object.entries(n)) walk(v, `${at}/${k}`, depth + 1);
  };
  for (const [name, schema] of Object.entries(schemas)) walk(schema, name, 0);
  t.same(inline, [], 'no inline object schema inside a component');
  t.match(schemas.ImportJob, { properties: { counts: { $ref: '#/components/schemas/ImportCounts' } } });
  t.match(schemas.AuditPublicKey, { properties: { jwk: { $ref: '#/components/schemas/AuditPublicJwk' } } });
});

t.test('openapi: in every merge patch, a member its write schema lets one leave out may be null, which removes it', async (t) => {
  type Schema = { properties?: Record<string, Schema>; required?: string[]; nullable?: boolean; anyOf?: Schema[] };
  const schemas = (committed as unknown as { components: { schemas: Record<string, Schema> } }).components.schemas;
  const acceptsNull = (s: Schema | undefined) => s?.nullable === true || Boolean(s?.anyOf?.some((branch) => branch.nullable === true));
  const pairs = Object.keys(schemas)
    .filter((name) => name.endsWith('Patch') && schemas[name.replace(/Patch$/, 'Write')])
    .map((name) => [name.replace(/Patch$/, 'Write'), name] as const);
  t.ok(pairs.length >= 5, `write and patch schemas paired: ${pairs.map(([, p]) => p).join(', ')}`);
  const notRemovable: string[] = [];
  for (const [write, patch] of pairs) {
    const optional = Object.keys(schemas[write]?.properties ?? {}).filter((m) => !schemas[write]?.required?.includes(m));
    for (const member of optional) if (!acceptsNull(schemas[patch]?.properties?.[member])) notRemovable.push(`${patch}.${member}`);
  }
  t.same(notRemovable, [], 'null accepted for every optional member');
});

t.test('openapi: a 415 names the media types the operation reads; a 503 what is unavailable and how to retry', async (t) => {
  for (const [p, item] of Object.entries(committed.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${p}`;
      const described = (status: string) => (op.responses[status] as { description?: string } | undefined)?.description;
      const unsupported = described('415');
      if (unsupported) {
        const types = Object.keys((op.requestBody as { content?: object } | undefined)?.content ?? {});
        for (const type of types) t.match(unsupported, type, `${where} 415 names ${type}`);
        if (types.length > 0) t.match(unsupported, /UTF-8/, `${where} 415 names the charset`);
        else t.match(unsupported, /takes no body/, `${where} 415: no body`);
      }
      const unavailable = described('503');
      t.ok(unavailable, `${where} declares 503: an instance that shuts down answers any request so`);
      if (!unavailable) continue;
      t.match(unavailable, /shutting down.*Retry-After/, `${where} 503: shutting down, Retry-After`);
      if (needsNoDatabase(op.operationId)) {
        t.notMatch(unavailable, /database|identity provider/, `${where} 503: neither database nor token is needed`);
        continue;
      }
      t.match(unavailable, /database.*Retry-After/, `${where} 503: the database, Retry-After`);
      if (op.security?.length) t.match(unavailable, /identity provider/, `${where} 503: the identity provider of a token`);
      if (method === 'post') t.match(unavailable, /Idempotency-Key/, `${where} 503: retry with the same Idempotency-Key`);
    }
  }
});

t.test('openapi: the Dutch legal term appears where one applies', async (t) => {
  const terms: Record<string, RegExp> = {
    '/establishments': /seksinrichting/i,
    '/establishments/{id}/licences': /exploitatievergunning/i,
    '/enforcement-actions': /handhavingsmaatregel/i,
    '/municipalities': /gemeente/i,
  };
  for (const [p, term] of Object.entries(terms)) {
    for (const [method, op] of Object.entries(committed.paths[p] ?? {})) {
      t.match(`${op.summary} ${op.description ?? ''}`, term, `${method.toUpperCase()} ${p}`);
    }
  }
});

t.test('openapi: /docs serves the interactive documentation', async (t) => {
  const { app } = await build(t);
  const res = await app.inject({ url: '/docs' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/html/);
  t.match(res.body, /swagger-ui/i);
  const script = await app.inject({ url: '/docs/static/swagger-initializer.js' });
  t.equal(script.statusCode, 200, 'its assets load');
});

t.test('openapi: the operations whose 503 names no database answer without one', async (t) => {
  // With a signing key, so that the public key has something to show.
  const { app, database } = await build(t, { auditSigningKey: newSigningKey() });
  await database.close();
  const urls: Record<(typeof NEEDS_NO_DATABASE)[number], string> = {
    getOpenApiDocument: '/v1/openapi.json',
    getAuditPublicKey: '/v1/audit-trail/public-key',
    getImportTemplate: '/v1/imports/templates/establishments.csv',
  };
  for (const [operationId, url] of Object.entries(urls)) {
    const res = await app.inject({ url });
    t.equal(res.statusCode, 200, `${operationId} answers, the database closed: ${res.statusCode}`);
  }
});

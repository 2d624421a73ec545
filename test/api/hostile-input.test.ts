import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import t from 'tap';
import { build, json, sample } from '../support/helper.js';
import { checkResponse, type Operation, operations, problemValidator } from '../support/openapi.js';

/**
 * Hostile input, generated from the committed OpenAPI document: every operation, with its path,
 * query and header parameters and bodies filled with valid values, wrong types, huge and unicode
 * strings, nulls, SQL and JSON tricks, deep nesting and prototype-pollution keys, control characters
 * (NUL and the other C0 and C1 controls, also inside otherwise valid bodies), zero, extreme and
 * out-of-range years, spreadsheet formula prefixes and oversized numbers. For every case:
 * no 5xx; every error is problem+json valid against the document's Problem schema; every status
 * and body is one the document declares; and a rejected request changes nothing.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2500);

const deep = (n: number): unknown => {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

const hostileString = fc.oneof(
  fc.constantFrom(
    "' OR 1=1 --",
    "'; drop table enforcement_actions; --",
    '" or ""="',
    '%',
    '_',
    '\\',
    '../../etc/passwd',
    '\u0000',
    '\u202e\u0041',
    '𝕳𝖆𝖓𝖉𝖍𝖆𝖛𝖎𝖓𝖌',
    '🙈🙉🙊',
    'ẞ\u0301\u0301\u0301',
    '__proto__',
    'constructor',
    '{"$ne":null}',
    'NaN',
    '-1',
    '1e309',
    '0x10',
    '2019-02-30',
    '9999-12-31',
    'GM0000',
    'GM0363\n',
    ' ',
    '',
    // control characters (C0, DEL, C1), alone and inside text
    'Club\u0000Rood',
    '\u0001',
    '\u001b[31mred',
    'a\tb',
    'line\r\nbreak',
    '\u007f',
    '\u0085',
    // zero, extreme and out-of-range years, as dates, timestamps and numbers
    '0000-01-01',
    '0099-12-31',
    '1000-06-01',
    '1989-12-31',
    '2101-01-01',
    '0000-01-01T00:00:00Z',
    '9999-12-31T23:59:59Z',
    '0',
    '0000',
    '99999',
    // spreadsheet formula prefixes
    '=1+1',
    '+31 20 000',
    '-2+3',
    '@SUM(A1:A9)',
    '=HYPERLINK("http://example.org","x")',
    // oversized numbers as text
    '99999999999999999999999',
    '-1e308',
    '9007199254740993',
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer({ min: 1, max: 5 }).map((k) => 'x'.repeat(k * 4000)),
);

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308, [], {}, [null], { __proto__: { polluted: true } }),
  fc.constantFrom(2 ** 63, 1e21, -1e21, Number.MAX_SAFE_INTEGER + 2, -Number.MAX_VALUE, 5e-324, 1990, 2101, 0),
  fc.integer(),
  fc.double(),
  fc.integer({ min: 10, max: 200 }).map(deep),
  fc.constant(JSON.parse('{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}')),
);

type Body = Record<string, unknown>;

const CONTROL_CHARACTERS = ['\u0000', '\u0001', '\t', '\n', '\r', '\u001b', '\u007f', '\u009f'];
const EXTREME_DATES = ['0000-01-01', '0099-12-31', '1000-06-01', '1989-12-31', '2101-01-01', '9999-12-31'];
const EXTREME_NUMBERS = [2 ** 63, 1e21, -1e21, Number.MAX_SAFE_INTEGER + 2, 1e308];

/**
 * Keeps a valid body valid but for one leaf: a string gets a control character inside it (a date
 * becomes an extreme one), a number becomes an oversized one. These reach the rules that a body
 * wholly replaced by a hostile value never gets to.
 */
function taint(doc: unknown, path: number[], pick: number): unknown {
  if (typeof doc === 'string') {
    if (/^\d{4}-\d{2}-\d{2}$/.test(doc)) return EXTREME_DATES[pick % EXTREME_DATES.length];
    const at = pick % (doc.length + 1);
    return `${doc.slice(0, at)}${CONTROL_CHARACTERS[pick % CONTROL_CHARACTERS.length]}${doc.slice(at)}`;
  }
  if (typeof doc === 'number') return EXTREME_NUMBERS[pick % EXTREME_NUMBERS.length];
  if (!doc || typeof doc !== 'object') return doc;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(doc) ? [...doc] : { ...(doc as Body) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return copy;
  const key = keys[Math.abs(path[0] ?? pick) % keys.length] as string;
  (copy as Body)[key] = taint((copy as Body)[key], path.slice(1), pick);
  return copy;
}

/** Replaces, removes or adds one value somewhere in a JSON document. */
function corrupt(doc: unknown, path: number[], value: unknown, mode: 'replace' | 'remove' | 'add'): unknown {
  if (!doc || typeof doc !== 'object') return mode === 'remove' ? undefined : value;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(doc) ? [...doc] : { ...(doc as Body) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || path.length === 0) {
    if (mode === 'add' && !Array.isArray(copy)) {
      const key = ['__proto__', 'constructor', 'prototype', 'extra', 'toString', '$where'][Math.abs(path[0] ?? 0) % 6] as string;
      Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
      return copy;
    }
    return mode === 'remove' ? undefined : value;
  }
  const key = keys[Math.abs(path[0] as number) % keys.length] as string;
  const child = (copy as Body)[key];
  const next = path.length > 1 && child && typeof child === 'object' ? corrupt(child, path.slice(1), value, mode) : undefined;
  if (next !== undefined || (path.length > 1 && child && typeof child === 'object')) (copy as Body)[key] = next;
  else if (mode === 'remove') delete (copy as Body)[key];
  else if (mode === 'add' && !Array.isArray(copy)) Object.defineProperty(copy, '__proto__', { value, enumerable: true, writable: true });
  else (copy as Body)[key] = value;
  return copy;
}

t.test('hostile requests from the OpenAPI document', async (t) => {
  // Malformed tokens would count against the one address (429 after AUTH_FAILURES_PER_MINUTE) and hide the
  // validation paths behind 429s: the failure limit has its own test (auth-failures.test.ts).
  const { app, database, client } = await build(t, { config: { AUTH_FAILURES_PER_MINUTE: '0' } });
  const officer = await client('officer', 'GM0363');
  const otherOfficer = await client('officer', 'GM0599');
  const admin = await client('admin');
  const analyst = await client('analyst');
  const post = (url: string, payload: Body) => app.inject({ method: 'POST', url, headers: officer.auth, payload });
  const est = json(await post('/v1/establishments', sample.establishment()));
  const lic = json(await post(`/v1/establishments/${est.id}/licences`, sample.licence()));
  const act = json(await post('/v1/enforcement-actions', sample.action(est.id as string)));
  const ids = { id: [est.id, act.id, admin.id, randomUUID()], licenceId: [lic.id, randomUUID()], code: ['GM0363', 'GM9999'] } as Record<
    string,
    unknown[]
  >;
  const validBodies: Record<string, Body> = {
    createEstablishment: sample.establishment(),
    replaceEstablishment: sample.establishment(),
    createLicence: sample.licence({
      licenceNumber: 'EV-2021-002',
      validFrom: '2021-01-01',
      validUntil: null,
      statusHistory: [{ status: 'granted', effectiveDate: '2021-01-01' }],
    }),
    replaceLicence: sample.licence(),
    createEnforcementAction: sample.action(est.id as string),
    replaceEnforcementAction: sample.action(est.id as string),
    createMunicipality: { code: 'GM0001', name: 'Testgemeente', programmes: [] },
    createApiClient: { name: 'fuzz', role: 'analyst', municipalityCode: null },
  };

  async function state() {
    const r = await database.owner.execute(sql`select
      (select count(*) from establishments)::int as e, (select count(*) from licences)::int as l,
      (select count(*) from enforcement_actions)::int as a, (select count(*) from api_clients)::int as c,
      (select count(*) from municipalities)::int as m, (select coalesce(max(seq), 0) from audit_log)::int as s,
      (select count(*) from idempotency_keys)::int as k,
      (select coalesce(sum(version), 0) from establishments)::int + (select coalesce(sum(version), 0) from enforcement_actions)::int
        + (select coalesce(sum(version), 0) from licences)::int as v`);
    return JSON.stringify((r as unknown as { rows: unknown[] }).rows[0]);
  }

  let lastState = await state();
  const problem = problemValidator();
  const failures: string[] = [];
  const statusCounts: Record<number, number> = {};

  const requestArb = fc.constantFrom(...operations).chain((op: Operation) => {
    const params = (op.op.parameters ?? []) as { name: string; in: string; schema: Body }[];
    const paramArbs = params.map((p) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...(ids[p.name] ?? [p.schema.example ?? '1'])) },
        { weight: 1, arbitrary: fc.constant(undefined) },
        { weight: 3, arbitrary: hostileValue },
      ),
    );
    const validBody = validBodies[op.operationId];
    const bodyArb = validBody
      ? fc.oneof(
          { weight: 1, arbitrary: fc.constant<unknown>(validBody) },
          {
            weight: 6,
            arbitrary: fc
              .tuple(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 4 }), hostileValue, fc.constantFrom('replace', 'remove', 'add'))
              .map(([path, value, mode]) => corrupt(validBody, path, value, mode as 'replace')),
          },
          {
            weight: 3,
            arbitrary: fc
              .tuple(fc.array(fc.nat({ max: 20 }), { maxLength: 4 }), fc.nat({ max: 1000 }))
              .map(([path, pick]) => taint(validBody, path, pick)),
          },
          { weight: 1, arbitrary: hostileValue },
          {
            weight: 1,
            arbitrary: fc
              .constantFrom('{"a":', 'not json', '[]]', '\u0000', `${'['.repeat(5000)}${']'.repeat(5000)}`, '{"a":1,"a":2}')
              .map((raw) => ({ raw })),
          },
        )
      : fc.option(hostileValue, { nil: undefined });
    return fc.record({
      op: fc.constant(op),
      values: fc.tuple(...paramArbs),
      body: bodyArb,
      who: fc.constantFrom('officer', 'officer', 'officer', 'other', 'admin', 'analyst', 'none', 'garbage'),
      contentType: fc.constantFrom(
        'application/json',
        'application/json',
        'application/json',
        'text/plain',
        'application/json; charset=latin1',
        undefined,
      ),
      extraQuery: fc.option(fc.tuple(fc.constantFrom('__proto__', 'constructor[prototype]', 'page[]', 'x', 'sort'), hostileString), {
        nil: undefined,
      }),
    });
  });

  type RequestCase = typeof requestArb extends fc.Arbitrary<infer R> ? R : never;
  const enc = (v: unknown) => encodeURIComponent(typeof v === 'string' ? v : (JSON.stringify(v) ?? ''));
  const headerSafe = (v: unknown) => (typeof v === 'string' ? v : (JSON.stringify(v) ?? '')).replace(/[^\x20-\x7e]/g, '?').slice(0, 8000);

  await fc
    .assert(
      fc.asyncProperty(requestArb, (input) =>
        runCase(input).catch((err) => {
          failures.push(`the test itself failed: ${err instanceof Error ? err.stack : String(err)}`.slice(0, 600));
          return true;
        }),
      ),
      { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined, endOnFailure: true },
    )
    .catch((err) => failures.push(String(err).slice(0, 2000)));

  async function runCase({ op, values, body, who, contentType, extraQuery }: RequestCase) {
    const params = (op.op.parameters ?? []) as { name: string; in: string }[];
    let url = `/v1${op.path}`;
    const query: string[] = [];
    const headers: Record<string, string> = {};
    params.forEach((p, i) => {
      const v = values[i];
      if (p.in === 'path') url = url.replace(`{${p.name}}`, v === undefined ? '' : enc(v));
      else if (v === undefined) return;
      else if (p.in === 'query') query.push(`${p.name}=${enc(v)}`);
      else if (p.in === 'header') headers[p.name] = headerSafe(v);
    });
    if (extraQuery) query.push(`${encodeURIComponent(extraQuery[0])}=${enc(extraQuery[1])}`);
    if (query.length) url += `?${query.join('&')}`;
    const auth = {
      officer: officer.auth,
      other: otherOfficer.auth,
      admin: admin.auth,
      analyst: analyst.auth,
      none: {},
      garbage: { authorization: 'Bearer x' },
    }[who] as Body;
    Object.assign(headers, auth);
    let payload: string | undefined;
    if (body !== undefined && op.method !== 'GET') {
      payload = typeof body === 'object' && body && 'raw' in body ? String((body as Body).raw) : JSON.stringify(body);
      if (contentType) headers['content-type'] = contentType;
    }
    // Only requests change the registry: the state after one case is the state before the next.
    const before = lastState;
    let res: Awaited<ReturnType<typeof app.inject>>;
    try {
      res = await app.inject({
        method: op.method as 'GET',
        url,
        headers: headers as Record<string, string>,
        ...(payload !== undefined ? { payload } : {}),
      });
    } catch (err) {
      failures.push(`${op.method} ${url.slice(0, 120)}: the request itself failed: ${String(err).slice(0, 300)}`);
      return true;
    }
    statusCounts[res.statusCode] = (statusCounts[res.statusCode] ?? 0) + 1;
    const after = await state();
    lastState = after;
    const where = `${op.method} ${url.slice(0, 200)} → ${res.statusCode}`;
    if (res.statusCode >= 500) failures.push(`${where}: ${res.body.slice(0, 300)}`);
    if (res.statusCode >= 400) {
      if (!/^application\/problem\+json/.test(String(res.headers['content-type']))) failures.push(`${where}: not problem+json`);
      else {
        const parsed = JSON.parse(res.body);
        if (!problem(parsed)) failures.push(`${where}: problem does not match the Problem schema`);
        if (parsed.status !== res.statusCode) failures.push(`${where}: problem status ${parsed.status}`);
      }
      if (after !== before) failures.push(`${where}: a rejected request changed the registry (${before} → ${after})`);
    }
    // Unknown paths are outside the document: an empty path parameter, or one that is a dot segment
    // ('.', '%2e', '..'), which the URL's normalisation removes, so that the request goes to another
    // path (POST …/establishments/./licences is a POST on …/establishments/licences: 405 with Allow).
    // Everything else must match the document.
    const path = url.split('?')[0] as string;
    if (!path.includes('//') && !path.endsWith('/') && new URL(path, 'http://registry.test').pathname === path) {
      for (const problemText of checkResponse(
        op.method,
        url,
        res.statusCode,
        res.headers['content-type'] as string | undefined,
        res.body,
      )) {
        failures.push(`${where}: ${problemText}`);
      }
    }
    return true; // failures are collected, so one run shows every kind of problem
  }

  const kinds = [
    ...new Set(
      failures.map((f) =>
        f
          .replace(/^(\S+) \S+/, '$1')
          .replace(/\(.*\)$/, '')
          .slice(0, 300),
      ),
    ),
  ];
  t.same(kinds.slice(0, 25), [], 'no 5xx, every error a valid problem, nothing changed by a rejection, every response as documented');
  t.comment(`${RUNS} cases; statuses: ${JSON.stringify(statusCounts)}`);
  const counted = Object.values(statusCounts).reduce((a, b) => a + b, 0);
  t.ok(counted >= RUNS, `ran at least ${RUNS} cases (${counted})`);
  t.ok(
    Object.keys(statusCounts).some((s) => s.startsWith('2')),
    'some cases were accepted',
  );
  const polluted = ({} as Body).polluted;
  t.equal(polluted, undefined, 'Object.prototype was not polluted');
});

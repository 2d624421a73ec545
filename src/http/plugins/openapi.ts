import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { API_VERSION } from '../../lib/version.js';
import { SHUTTING_DOWN_ONLY } from '../routes/operations.js';
import { eventDelivery } from '../schemas/events.js';

type Json = Record<string, unknown>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/** A header whose value is text, with an example where one helps; one whose value is a whole number. */
const text = (description: string, example?: string) => ({ description, schema: { type: 'string', ...(example ? { example } : {}) } });
const whole = (description: string) => ({ description, schema: { type: 'integer' } });

const HEADERS = {
  'API-Version': text('The full semantic version of this API (NL GOV ADR /core/version-header).', API_VERSION),
  'X-Request-Id': text(
    'The id of this request: the X-Request-Id the client sent when it is 1 to 64 letters, digits, dots, underscores or hyphens, else one the service made. Logged, kept in the audit trail (requestId) and in a problem’s instance; quote it when you report a problem.',
    '6c11a1a0-2f4e-4a8e-9d3b-1f0c2b7a9e55',
  ),
  ETag: text('The version of the returned resource, quoted. Send it in If-Match to change or delete the resource.', '"1"'),
  Link: text('RFC 8288 links to the first, prev, next and last pages.'),
  DescribedBy: text(
    'On a CSV answer: an RFC 8288 link (rel="describedby", type application/json) to the same question answered in JSON, whose countingRule states the rule these figures follow (what counts, the period, the municipalities in scope). The CSV holds figures only.',
    '</v1/statistics/enforcement-actions?groupBy=year>; rel="describedby"; type="application/json"',
  ),
  Location: text(
    'The URL of the resource this request made; on a 409, of the resource in the way: the one an earlier request made (the create of a replayed Idempotency-Key, the attestation of that year), or the record that has the externalReference sent (external-reference-taken; not when two requests took it at the same moment).',
  ),
  'Idempotent-Replayed': {
    description: 'Present (`true`) when this is the stored response of an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  'Retry-After': whole('Seconds to wait before retrying.'),
  'Accept-Encoding': text(
    'On a 415 for a compressed body (unsupported-content-encoding, RFC 7694): the content codings accepted, only identity. Send the body uncompressed.',
    'identity',
  ),
  'X-RateLimit-Limit': whole(
    'How many requests this client may make per window (RATE_LIMIT_PER_MINUTE a minute). Sent on every request counted against the limit: an authenticated one, once its token and role are accepted; not when the limit is off.',
  ),
  'X-RateLimit-Remaining': whole('How many of those requests are left in this window.'),
  'X-RateLimit-Reset': whole('Seconds until the window starts again.'),
  'WWW-Authenticate': text(
    'The authentication scheme to use (RFC 6750): a bearer token. On a 401, with `error="invalid_token"` when the token sent was refused (none without credentials); on a 403, with `error="insufficient_scope"` when the token’s role may not do this operation or its claims give it no role here (a 403 of the operation’s own rules has none).',
    'Bearer realm="enforcement-registry", error="invalid_token"',
  ),
  'Content-Disposition': text(
    'On a file (CSV, NDJSON): an attachment, with its file name.',
    'attachment; filename="enforcement-actions.csv"',
  ),
  CurrentETag: text('The ETag of the current version, when If-Match named an older one: read it again, or send this in If-Match.', '"2"'),
  Vary: text('Always `Accept`: the answer is JSON or CSV as the request’s Accept header asks, so a cache keeps one of each.', 'Accept'),
  'Access-Control-Allow-Origin': text('Always `*`: the document may be fetched from any origin.'),
  DocumentETag: text(
    'The document’s entity tag: send it in If-None-Match to be answered 304 while the document is unchanged.',
    '"kX2cS0fN3bq-1xQeWm9ZyPaRj4o"',
  ),
};

const SUCCESS_DESCRIPTIONS: Record<string, string> = {
  '200': 'OK.',
  '201': 'Created: the new resource.',
  '204': 'Done; no content.',
  '304': 'Not modified since the ETag in If-None-Match.',
};

const ref = (name: string) => ({ $ref: `#/components/headers/${name}` });

const RATE_LIMITED = ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'] as const;
/**
 * Answered before the rate limiter counts the request (src/http/plugins/rate-limit.ts, right after authentication):
 * by auth. Not 403: a role refused by auth is not counted, but a 403 of the operation's own rules (another
 * municipality's figures or records) is answered after the request was counted, with the X-RateLimit headers, as
 * every other refusal (a media type, a missing If-Match) is.
 */
const UNCOUNTED = new Set(['401']);
const FILE_TYPES = ['text/csv', 'application/x-ndjson'];

/** Whether an operation needs a bearer token (and so is rate-limited, and may check a token with its identity provider). */
const authenticated = (op: Json) => Array.isArray(op.security) && op.security.length > 0;

/**
 * The headers the service's plugins send on a response, declared in one place: the rate limiter's on
 * every counted answer of an authenticated operation, WWW-Authenticate on a 401 and on an authenticated
 * operation's 403, Content-Disposition on a file (CSV, NDJSON), Vary where Accept chooses between JSON
 * and a file.
 */
function pluginHeaders(op: Json, status: string, response: Json): Record<string, unknown> {
  const headers: Record<string, unknown> = {};
  if (authenticated(op) && !UNCOUNTED.has(status)) for (const name of RATE_LIMITED) headers[name] = ref(name);
  if (status === '401' || (status === '403' && authenticated(op))) headers['WWW-Authenticate'] = ref('WWW-Authenticate');
  const types = Object.keys((response.content as Json | undefined) ?? {});
  if (/^2/.test(status) && types.some((t) => FILE_TYPES.includes(t))) headers['Content-Disposition'] = ref('Content-Disposition');
  if (/^2/.test(status) && types.includes('application/json') && types.some((t) => FILE_TYPES.includes(t))) headers.Vary = ref('Vary');
  return headers;
}

/** Header components that document another use of a header: the name the header has on the wire. */
const HEADER_NAME: Partial<Record<HeaderName, string>> = { DescribedBy: 'Link' };

/** The operation extension through which a route or plugin names the headers of some of its responses; read and removed here. */
export const RESPONSE_HEADERS = 'x-response-headers';

/** The operation extension through which a route says its body may be left out (optionalBody); read and removed here. */
export const OPTIONAL_BODY = 'x-optional-body';

/**
 * Declares that a route's JSON body may be left out, read as `{}`: for a body whose members all have
 * defaults (a POST that acts, with options). The document says `requestBody.required: false`, and
 * plugins/preconditions.ts supplies the `{}`. Mutates and returns the route schema.
 */
export function optionalBody<S extends object>(schema: S): S {
  (schema as Record<string, unknown>)[OPTIONAL_BODY] = true;
  return schema;
}

/** Whether a route schema was declared with optionalBody. */
export const bodyMayBeOmitted = (schema: unknown): boolean =>
  typeof schema === 'object' && schema !== null && (schema as Record<string, unknown>)[OPTIONAL_BODY] === true;

/** A header component of this document (HEADERS). */
export type HeaderName = keyof typeof HEADERS;

/**
 * Declares that a route's `status` responses carry these headers (components of HEADERS), beside the
 * ones completeDocument adds to every such response: for what only the route knows (a Location).
 * Mutates and returns the route schema.
 */
export function declareResponseHeaders<S extends object>(schema: S, status: number, ...names: HeaderName[]): S {
  const all = ((schema as Record<string, unknown>)[RESPONSE_HEADERS] ?? {}) as Record<string, HeaderName[]>;
  all[status] = [...new Set([...(all[status] ?? []), ...names])];
  (schema as Record<string, unknown>)[RESPONSE_HEADERS] = all;
  return schema;
}

/** The component a 2xx JSON response refers to, if any. */
function responseComponent(response: Json): string | undefined {
  const content = response.content as Record<string, { schema?: { $ref?: string } }> | undefined;
  const r = content?.['application/json']?.schema?.$ref;
  return r?.split('/').pop();
}

const SCHEMA_REF = '#/components/schemas/';

/** Every schema name `value` refers to (`$ref`s, and any other string that is a schema's reference). */
function refsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    if (value.startsWith(SCHEMA_REF)) into.add(value.slice(SCHEMA_REF.length));
  } else if (Array.isArray(value)) {
    for (const v of value) refsIn(v, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) refsIn(v, into);
  }
  return into;
}

/**
 * `value` with every reference to a schema renamed in `renames` pointing at its new name. With
 * `follow`, a renamed name renamed again is followed to its last (step 1's merges, done one after
 * another); without, each name is looked up once (step 3's, whose new names are never renamed again).
 */
function renameRefs<T>(value: T, renames: Map<string, string>, follow: boolean): T {
  if (renames.size === 0) return value;
  const newName = (name: string) => {
    if (!follow) return renames.get(name) ?? name;
    let n = name;
    for (const seen = new Set<string>(); renames.has(n) && !seen.has(n); ) {
      seen.add(n);
      n = renames.get(n) as string;
    }
    return n;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.startsWith(SCHEMA_REF) ? SCHEMA_REF + newName(v.slice(SCHEMA_REF.length)) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * The zod provider writes every named schema twice, as X (output) and XInput (input). Keep one
 * name per schema: merge XInput into X where they are the same, drop copies nothing refers to,
 * and give an input-only schema its plain name. Each step walks the document once: comparing and
 * renaming by re-serialising the whole document per schema took 3.3 s of an app's first request
 * for /v1/openapi.json (7 December 2026); the whole request now takes 0.26-0.54 s. Exported for
 * test/unit/openapi-tidy.test.ts, which holds it to what the re-serialising version gave.
 */
export function tidySchemas(input: Json): Json {
  const schemasOf = (doc: Json) => ({ ...(((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, unknown>) });
  const withSchemas = (doc: Json, schemas: Record<string, unknown>): Json => ({
    ...doc,
    components: { ...(doc.components as Json), schemas },
  });
  // 1. XInput the same as X (references to inputs read as references to outputs, after the merges
  //    before it): one schema, X.
  let schemas = schemasOf(input);
  const merged = new Map<string, string>();
  const normal = (v: unknown) => JSON.stringify(renameRefs(v, merged, true)).replace(/(#\/components\/schemas\/\w+?)Input"/g, '$1"');
  for (const name of Object.keys(schemas)) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
    if (base && base in schemas && normal(schemas[name]) === normal(schemas[base])) {
      delete schemas[name];
      merged.set(name, base);
    }
  }
  let doc = renameRefs(withSchemas(input, schemas), merged, true);
  schemas = schemasOf(doc);

  // 2. Drop the schemas nothing else refers to, until none is left (a schema dropped may have been the
  //    only one to refer to another). A schema's reference to itself does not keep it.
  const { components, ...rest } = doc;
  const fromOutside = refsIn([rest, { ...(components as Json), schemas: undefined }]);
  const refsOf = new Map(Object.entries(schemas).map(([name, s]) => [name, refsIn(s)]));
  const inbound = new Map<string, number>(Object.keys(schemas).map((name) => [name, 0]));
  for (const [name, refs] of refsOf) for (const r of refs) if (r !== name && inbound.has(r)) inbound.set(r, (inbound.get(r) ?? 0) + 1);
  const unused = Object.keys(schemas).filter((name) => !fromOutside.has(name) && inbound.get(name) === 0);
  while (unused.length > 0) {
    const name = unused.pop() as string;
    if (!(name in schemas)) continue;
    delete schemas[name];
    for (const r of refsOf.get(name) ?? []) {
      if (r === name || !inbound.has(r) || !(r in schemas)) continue;
      const left = (inbound.get(r) ?? 0) - 1;
      inbound.set(r, left);
      if (left === 0 && !fromOutside.has(r)) unused.push(r);
    }
  }

  // 3. An input-only schema takes its plain name.
  const renamed = new Map<string, string>();
  for (const name of Object.keys(schemas)) {
    const base = name.endsWith('Input') ? name.slice(0, -'Input'.length) : undefined;
    if (base && !(base in schemas)) {
      schemas[base] = schemas[name];
      delete schemas[name];
      renamed.set(name, base);
    }
  }
  doc = renameRefs(withSchemas(doc, schemas), renamed, false);
  const sorted = Object.fromEntries(Object.entries(schemasOf(doc)).sort(([a], [b]) => a.localeCompare(b)));
  return withSchemas(doc, sorted);
}

const INT32_MAX = 2 ** 31 - 1;

/**
 * Makes schemas what code generators handle well: an integer that can pass 2^31 (cents, sums,
 * totals, anything unbounded) is `format: int64`, without zod's ±(2^53 − 1) bounds in schemas, where
 * they are no rule of this API and end up as examples (a parameter keeps them: the service refuses
 * a value beyond). A nullable schema without a `type` of its own (zod's
 * `nullable: true` beside `allOf: [$ref]`, or beside an `anyOf`) becomes an `anyOf` with a null
 * branch: in OpenAPI 3.0.3 `nullable` acts only beside `type`, so strict validators (ajv) refuse the
 * first form or, given a type, still refuse null through the reference; openapi-typescript and
 * @hey-api/openapi-ts read the new form as `T | null` (their tests compile against it).
 */
function generatorFriendly(node: unknown, inParameters = false): void {
  if (Array.isArray(node)) {
    for (const item of node) generatorFriendly(item, inParameters);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const n = node as Json;
  if (n.nullable === true && n.type === undefined) nullBranch(n);
  // A typed nullable enum: OpenAPI 3.0.3 (its "nullable" clarification) lets `enum` decide, so null must be one of its values.
  if (n.nullable === true && Array.isArray(n.enum) && !n.enum.includes(null)) n.enum = [...n.enum, null];
  // zod wraps a reference in a one-entry allOf; with nothing beside it (no description), the reference alone says the same.
  const only = Array.isArray(n.allOf) && n.allOf.length === 1 && Object.keys(n).length === 1 ? (n.allOf[0] as Json) : undefined;
  if (only) {
    delete n.allOf;
    Object.assign(n, only);
  }
  if (n.type === 'integer') {
    // A parameter keeps them: there they are the service's rule (a larger value is a 400 too_big).
    if (n.minimum === -Number.MAX_SAFE_INTEGER && !inParameters) delete n.minimum;
    if (n.maximum === Number.MAX_SAFE_INTEGER && !inParameters) delete n.maximum;
    if (n.format === undefined && (typeof n.maximum !== 'number' || n.maximum > INT32_MAX)) n.format = 'int64';
  }
  for (const [key, value] of Object.entries(n)) generatorFriendly(value, inParameters || key === 'parameters');
}

/** A schema that admits JSON null and nothing else, in OpenAPI 3.0.3 terms. */
const NULL_ONLY = { type: 'string', nullable: true, enum: [null] };

/** `nullable` of an untyped schema, made a branch that OpenAPI 3.0.3 honours (see generatorFriendly). */
function nullBranch(n: Json): void {
  delete n.nullable;
  const allOf = n.allOf as Json[] | undefined;
  if (allOf?.length === 1 && n.anyOf === undefined) {
    n.anyOf = [allOf[0], { ...NULL_ONLY }];
    delete n.allOf;
  } else if (Array.isArray(n.anyOf) && n.allOf === undefined) n.anyOf = [...n.anyOf, { ...NULL_ONLY }];
  else {
    // Any other shape (oneOf, an untyped enum, {}): the schema as it is, or null.
    const { description, ...rest } = n;
    for (const key of Object.keys(n)) delete n[key];
    if (description !== undefined) n.description = description;
    n.anyOf = [rest, { ...NULL_ONLY }];
  }
}

/**
 * What an operation's 415 and 503 mean for its caller: which media types its body may have, and
 * what may be unavailable (the database; for a token, the identity provider that issued it) and how
 * to retry (a POST with the same Idempotency-Key).
 */
function describeProblems(op: Json, method: string, responses: Record<string, Json>): void {
  const unsupported = responses['415'];
  if (unsupported) {
    const types = Object.keys(((op.requestBody as Json | undefined)?.content as Json | undefined) ?? {});
    unsupported.description =
      types.length > 0
        ? `Unsupported Media Type: send the body as ${types.join(' or ')}, in UTF-8 (a charset other than utf-8 or us-ascii is refused) and uncompressed (a Content-Encoding other than identity is refused).`
        : 'Unsupported Media Type: this operation takes no body; send none (an empty one with Content-Type application/json counts as none), not a body of another media type.';
  }
  const unavailable = responses['503'];
  if (unavailable && unavailable.description !== SHUTTING_DOWN_ONLY) {
    const cause = authenticated(op)
      ? 'the database cannot be reached (database-unavailable), the identity provider that issued an OpenID Connect token cannot be reached to check it (identity-provider-unavailable), or the request reached an instance that is shutting down (shutting-down; another instance answers the retry)'
      : 'the database cannot be reached (database-unavailable), or the request reached an instance that is shutting down (shutting-down; another instance answers the retry)';
    const retry: Record<string, string> = {
      get: 'Retry after the seconds in Retry-After.',
      post: 'Retry after the seconds in Retry-After, with the same Idempotency-Key: the change may or may not have been made.',
    };
    unavailable.description = `Service Unavailable for a moment: ${cause}. ${
      retry[method] ??
      'Retry after the seconds in Retry-After. The change may or may not have been made: a retry refused because it was (412, the version moved on; 404, already deleted) says so; read the resource again.'
    }`;
  }
}

/**
 * Completes what route schemas cannot say: response headers (API-Version and X-Request-Id everywhere, ETag on
 * single resources and on 412 with the current version, Link on pages, Retry-After on 429/503, Accept-Encoding on 415,
 * what routes declared with declareResponseHeaders and what plugins send: pluginHeaders), clear
 * 415 and 503 texts (describeProblems), shared header components, and the CORS header of the
 * document itself.
 */
function completeDocument(doc: Json): Json {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const schemas = ((doc.components as Json | undefined)?.schemas ?? {}) as Record<string, Json>;
  for (const [path, item] of Object.entries(paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const responses = (op.responses ?? {}) as Record<string, Json>;
      const declared = (op[RESPONSE_HEADERS] ?? {}) as Record<string, HeaderName[]>;
      delete op[RESPONSE_HEADERS];
      if (op[OPTIONAL_BODY] === true && op.requestBody) (op.requestBody as Json).required = false;
      delete op[OPTIONAL_BODY];
      // A public operation says so (`security: []`) rather than leaving it out, as the others name the bearer token.
      op.security ??= [];
      // A parameter whose schema is deprecated (an old name still accepted) is a deprecated parameter, where generators look for it.
      for (const param of (op.parameters ?? []) as Json[])
        if ((param.schema as Json | undefined)?.deprecated === true) param.deprecated = true;
      describeProblems(op, method, responses);
      for (const [status, response] of Object.entries(responses)) {
        if (response.description === 'Default Response') response.description = SUCCESS_DESCRIPTIONS[status] ?? 'Success.';
        const headers: Record<string, unknown> = { 'API-Version': ref('API-Version'), 'X-Request-Id': ref('X-Request-Id') };
        const component = responseComponent(response);
        if (/^2/.test(status) && component) {
          const props = (schemas[component]?.properties ?? {}) as Json;
          if (component.endsWith('Page')) headers.Link = ref('Link');
          else if ('version' in props) headers.ETag = ref('ETag');
        }
        if (status === '304') headers.ETag = ref('ETag');
        if (status === '412') headers.ETag = ref('CurrentETag');
        if (status === '429' || status === '503') headers['Retry-After'] = ref('Retry-After');
        if (status === '415') headers['Accept-Encoding'] = ref('Accept-Encoding');
        for (const name of declared[status] ?? []) headers[HEADER_NAME[name] ?? name] = ref(name);
        Object.assign(headers, pluginHeaders(op, status, response));
        if (path === '/openapi.json') {
          // Every answer of the document's path is CORS-open (routes/openapi-document.ts); lower case: the ADR 2.1 linter matches it exactly.
          headers['access-control-allow-origin'] = ref('Access-Control-Allow-Origin');
          if (status === '200' || status === '304') headers.ETag = ref('DocumentETag');
        }
        response.headers = { ...((response.headers as Json | undefined) ?? {}), ...headers };
      }
    }
  }
  generatorFriendly(doc.paths);
  generatorFriendly(schemas);
  const components = (doc.components ?? {}) as Json;
  doc.components = { ...components, headers: { ...((components.headers as Json | undefined) ?? {}), ...HEADERS } };
  return doc;
}

/**
 * The requests the service makes itself, as OpenAPI callbacks of the operation that asks for them:
 * an event delivered to a subscription's callbackUrl (schemas/events.ts). Added before the schemas
 * are tidied, so that the event's schema is kept as a referenced one.
 */
function withCallbacks(doc: Json): Json {
  const create = (doc.paths as Record<string, Record<string, Json>> | undefined)?.['/subscriptions']?.post;
  if (!create) throw new Error('the document has no POST /subscriptions to describe its deliveries under');
  create.callbacks = { event: eventDelivery };
  return doc;
}

export interface OpenApiOptions {
  publicBaseUrl: string;
}

/**
 * The OpenAPI 3.0.3 document, generated from the routes' zod schemas. Routes live under /v1 and
 * the document's server URL ends in /v1, so its paths are written without the prefix. Routes
 * outside /v1 (health, docs) are not part of the contract and are left out.
 */
export default fp(
  async function openapi(app: FastifyInstance, opts: OpenApiOptions) {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Enforcement Registry API',
          version: API_VERSION,
          description:
            'Register of the administrative enforcement actions (bestuurlijke handhavingsmaatregelen) that Dutch municipalities take against licensed and unlicensed sex establishments (seksinrichtingen), and the statistics drawn from it. Records establishments and decisions, never people: do not send personal data of sex workers or anyone else.',
          contact: {
            name: 'Enforcement Registry maintainers',
            url: 'https://github.com/enforcement-registry/enforcement-registry',
            email: 'registry-maintainers@example.nl',
          },
          license: { name: 'EUPL-1.2', url: 'https://joinup.ec.europa.eu/collection/eupl/eupl-text-eupl-12' },
        },
        servers: [{ url: opts.publicBaseUrl, description: 'This service' }],
        tags: [
          { name: 'Municipalities', description: 'Gemeenten, by CBS code.' },
          { name: 'Establishments', description: 'Seksinrichtingen and their exploitatievergunningen.' },
          { name: 'Enforcement actions', description: 'Bestuurlijke handhavingsmaatregelen.' },
          { name: 'Statistics', description: 'Handhavingsstatistiek: exact figures for analysts, and open data.' },
          { name: 'API clients', description: 'Who may call this API, and with which role.' },
          { name: 'Audit trail', description: 'Audittrail: who changed what, when and why; append-only and hash-chained.' },
          { name: 'Subscriptions', description: 'Notifications: webhooks with CloudEvents (NL GOV profile) when records change.' },
          {
            name: 'Reporting attestations',
            description: 'Verklaringen van volledigheid: a municipality’s statement that a year’s records are complete.',
          },
          {
            name: 'Import and export',
            description: 'Bulk import (jobs, CSV and NDJSON, dry-run) and streamed export of a municipality’s records.',
          },
          { name: 'Documentation', description: 'This document.' },
        ],
        components: {
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              description:
                'A token from POST /api-clients (or REGISTRY_ADMIN_TOKEN for the bootstrap admin), or an OpenID Connect / OAuth 2 access token (JWT, RS256 or ES256) from an identity provider the deployment trusts (OIDC_ISSUER, OIDC_ISSUERS): its role and municipality come from configured claims.',
            },
          },
        },
      },
      transform: (input) => {
        if (!input.url.startsWith('/v1/')) return { schema: { hide: true } as never, url: input.url };
        const out = jsonSchemaTransform(input);
        return { ...out, url: out.url.slice('/v1'.length) };
      },
      transformObject: (input) => completeDocument(tidySchemas(withCallbacks(jsonSchemaTransformObject(input) as Json))) as never,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/v1/openapi.json' } as never });
  },
  { name: 'openapi' },
);

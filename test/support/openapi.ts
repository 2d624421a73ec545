import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

type Json = Record<string, unknown>;

/** The committed contract: what integrators generate clients from. */
export const DOCUMENT_PATH = path.resolve(import.meta.dirname, '../../openapi/openapi.json');
export const openapiDocument = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8')) as Json;

/**
 * OpenAPI 3.0 schemas are not quite JSON Schema: `nullable: true` means "or null", and exclusive
 * bounds are booleans. Rewrite both so that ajv reads the schema as the document means it, and as
 * strictly as OpenAPI 3.0.3 says: `nullable` adds null to the `type` beside it and does nothing
 * where there is none, so a response that relies on it elsewhere fails here as in a strict client.
 */
export function toJsonSchema(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(toJsonSchema);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node as Json)) out[k] = toJsonSchema(v);
  if (out.nullable === true && typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
  }
  delete out.nullable;
  // 3.0 (draft 4) writes exclusive bounds as booleans beside minimum/maximum.
  for (const [ex, bound] of [
    ['exclusiveMinimum', 'minimum'],
    ['exclusiveMaximum', 'maximum'],
  ] as const) {
    if (typeof out[ex] === 'boolean') {
      if (out[ex] && typeof out[bound] === 'number') {
        out[ex] = out[bound];
        delete out[bound];
      } else delete out[ex];
    }
  }
  return out;
}

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addSchema({ $id: 'openapi', components: toJsonSchema(openapiDocument.components) as Json });

export interface Operation {
  method: string;
  path: string;
  operationId: string;
  op: Json;
}

export const operations: Operation[] = Object.entries(openapiDocument.paths as Record<string, Record<string, Json>>).flatMap(([p, item]) =>
  Object.entries(item)
    .filter(([m]) => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
    .map(([m, op]) => ({ method: m.toUpperCase(), path: p, operationId: op.operationId as string, op })),
);

const cache = new Map<string, ValidateFunction>();

/** A validator for a schema taken from the document (its $refs resolved against the document). */
export function validatorFor(schema: unknown): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = cache.get(key);
  if (!v) {
    const text = JSON.stringify(toJsonSchema(schema)).replaceAll('"#/components/', '"openapi#/components/');
    v = ajv.compile(JSON.parse(text));
    cache.set(key, v);
  }
  return v;
}

export const problemValidator = () => validatorFor({ $ref: '#/components/schemas/Problem' });

/** The operation of the document that a request hits (path template match), if any. */
export function operationFor(method: string, url: string): Operation | undefined {
  const p = url.split('?')[0]?.replace(/^\/v1/, '') ?? '';
  return operations.find((o) => o.method === method && new RegExp(`^${o.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(p));
}

/**
 * The response headers of the contract: wherever one is sent, the document must declare it on that
 * response (a generated client reads only what is declared).
 */
export const CONTRACT_HEADERS = [
  'api-version',
  'x-request-id',
  'etag',
  'link',
  'location',
  'idempotent-replayed',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'www-authenticate',
  'content-disposition',
  'vary',
];

/** Headers a success declares only where it is sent: a client that reads a declared Location, ETag or Vary must find one. */
const SENT_WHERE_DECLARED = ['etag', 'location', 'vary'];

/** What is wrong with the headers of one response: a contract header sent but not declared, or (a success) declared but not sent. */
function checkHeaders(where: string, status: number, declared: Json, headers: Record<string, unknown>): string[] {
  const names = new Set(Object.keys((declared.headers as Json | undefined) ?? {}).map((h) => h.toLowerCase()));
  const sent = (h: string) => headers[h] !== undefined;
  const undeclared = CONTRACT_HEADERS.filter((h) => sent(h) && !names.has(h)).map((h) => `${where} sends ${h}, which it does not declare`);
  const unsent =
    status >= 200 && status < 300
      ? SENT_WHERE_DECLARED.filter((h) => names.has(h) && !sent(h)).map((h) => `${where} declares ${h}, not sent`)
      : [];
  return [...undeclared, ...unsent];
}

/**
 * Checks one response against the document: its status is one the operation declares, its body
 * matches that status's schema for its media type and, when `headers` are given (lower-case names, as
 * node gives them), its contract headers are declared. Returns what is wrong, or [].
 */
export function checkResponse(
  method: string,
  url: string,
  status: number,
  contentType: string | undefined,
  body: string,
  headers?: Record<string, unknown>,
): string[] {
  const op = operationFor(method, url);
  if (!op) return [`${method} ${url} is not in the document`];
  const responses = op.op.responses as Record<string, Json>;
  const declared = responses[String(status)];
  if (!declared) return [`${op.operationId} answered ${status}, which the document does not declare`];
  return [
    ...(headers ? checkHeaders(`${op.operationId} ${status}`, status, declared, headers) : []),
    ...checkBody(op, status, declared, contentType, body),
  ];
}

function checkBody(op: Operation, status: number, declared: Json, contentType: string | undefined, body: string): string[] {
  const content = declared.content as Record<string, { schema: unknown }> | undefined;
  if (!content) return body === '' ? [] : [`${op.operationId} ${status} has a body the document does not declare`];
  const media = (contentType ?? '').split(';')[0]?.trim() ?? '';
  const entry = content[media];
  if (!entry) return [`${op.operationId} ${status} sent ${media}, the document declares ${Object.keys(content).join(', ')}`];
  // A text body (text/csv, NDJSON) is a string by its schema; only JSON documents are parsed and validated.
  if (!/[/+]json$/.test(media)) return [];
  const validate = validatorFor(entry.schema);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [`${op.operationId} ${status}: body is not JSON`];
  }
  return validate(parsed) ? [] : [`${op.operationId} ${status}: ${ajv.errorsText(validate.errors)}`];
}

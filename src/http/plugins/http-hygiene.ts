import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { REPEATED_MEMBER, repeatedMembers } from '../../lib/json.js';
import { mediaTypeOf } from '../../lib/media-type.js';
import { firstInvalidUtf8Byte, headerAsUtf8 } from '../../lib/utf8.js';
import { API_VERSION } from '../../lib/version.js';
import { API_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from '../headers.js';
import { badRequest, HttpProblem, INVALID_INPUT, type InvalidParam } from '../problem.js';
import { bodyMayBeOmitted } from './openapi.js';
import { schemaInvalidParams, sendProblem } from './problems.js';

/**
 * Headers every response carries: API-Version (NL GOV ADR /core/version-header) and the security
 * headers the Design Rules list (/core/transport/security-headers). The interactive docs under
 * /docs need scripts and styles of their own, so they get a looser Content-Security-Policy.
 */
export function setCommonHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('API-Version', API_VERSION);
  reply.headers(SECURITY_HEADERS);
  if (request.url.startsWith('/docs')) {
    reply.header(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
    );
    reply.header('Cache-Control', 'no-cache');
  } else {
    reply.header('Content-Security-Policy', API_CONTENT_SECURITY_POLICY);
    reply.header('Cache-Control', 'no-store');
  }
  // The contract is open to every origin (NL GOV /core/publish-openapi): every answer of its path, a 404 or 405 too.
  if (request.url.split('?')[0] === '/v1/openapi.json') reply.header('Access-Control-Allow-Origin', '*');
}

/**
 * Fastify's `frameworkErrors`: errors found before routing (a URL that does not decode) skip the
 * hooks and the error handler, so they get the common headers and their problem+json here.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  setCommonHeaders(request, reply);
  reply.header('X-Request-Id', request.id);
  // Always 400 (never an undocumented 414): the path itself is the invalid input.
  const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
  return sendProblem(request, reply, {
    ...INVALID_INPUT,
    detail: tooLong ? 'A path parameter is too long.' : 'The URL is not validly percent-encoded or cannot be routed.',
    invalidParams: [{ name: 'path', code: tooLong ? 'too_long' : 'malformed', reason: err.message }],
  });
}

const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/** Methods whose body fastify never reads (its `bodyless` methods): a body sent with them is ignored, whatever its kind. */
const BODY_IGNORED = new Set(['GET', 'HEAD', 'TRACE']);

/** Whether the request has a body the service reads. */
function readsBody(request: FastifyRequest): boolean {
  if (BODY_IGNORED.has(request.method)) return false;
  return request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
}

/** `{}` sent where no body is read is no body (many clients send one); anything else stays for preconditions.ts to refuse. */
const noneIfEmpty = (parsed: unknown) =>
  typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && Object.keys(parsed).length === 0 ? undefined : parsed;

/** A media-type parameter (RFC 9110 §5.6.6): a token name, and a token or quoted-string value. */
const MEDIA_TYPE_PARAMETER = /;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)/g;

/** The media type to name in an answer about a request's body: the one it sent where the operation reads it, else those it reads. */
function bodyTypeFor(request: FastifyRequest): string {
  const sent = mediaTypeOf(request.headers['content-type']);
  const read = (request.routeOptions.schema as { consumes?: string[] } | undefined)?.consumes ?? ['application/json'];
  return read.includes(sent) ? sent : read.join(' or ');
}

/** The charset parameter of a request that has a body, lower-cased and unquoted; null when none is given. */
function bodyCharset(request: FastifyRequest): string | null {
  const hasBody = readsBody(request);
  const type = request.headers['content-type'];
  if (!hasBody || typeof type !== 'string') return null;
  // Every charset parameter (a quoted value is one value, whatever it holds); of several, one that is not UTF-8 decides.
  const charsets = [...type.matchAll(MEDIA_TYPE_PARAMETER)]
    .filter((m) => m[1]?.toLowerCase() === 'charset')
    .map((m) =>
      (m[2] ?? '')
        .replace(/^"(.*)"$/, '$1')
        .replace(/\\(.)/g, '$1')
        .toLowerCase(),
    );
  return charsets.find((c) => !UTF8_CHARSETS.has(c)) ?? charsets[0] ?? null;
}

/** The request's Content-Encoding when it names a coding other than identity (lower-cased); null when none or identity only. */
function contentCoding(request: FastifyRequest): string | null {
  const given = request.headers['content-encoding'];
  if (given === undefined) return null;
  const codings = String(given)
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  return codings.length > 0 ? codings.join(', ') : null;
}

/** `+` is a space in a query (application/x-www-form-urlencoded); decodeURIComponent throws on a bad escape or bytes that are not UTF-8. */
const decodeQueryPart = (part: string): string | null => {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return null;
  }
};

/**
 * The query keys whose key or value is not validly percent-encoded UTF-8 (`%ZZ`, `%E0%A4%A`, `%FF`):
 * the query parser would keep such a value as it is or patch it up, and the request would then ask
 * something the client did not write. Each is listed (a key that does not decode by its raw text).
 */
function malformedQueryKeys(url: string): InvalidParam[] {
  const at = url.indexOf('?');
  if (at === -1) return [];
  const invalid: InvalidParam[] = [];
  for (const pair of url.slice(at + 1).split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const key = decodeQueryPart(rawKey);
    const value = eq === -1 ? '' : decodeQueryPart(pair.slice(eq + 1));
    if (key !== null && value !== null) continue;
    invalid.push({
      name: key ?? rawKey.slice(0, 40),
      code: 'malformed',
      reason: 'is not validly percent-encoded UTF-8: a % must be followed by two hex digits, and the bytes must be UTF-8',
    });
  }
  return invalid;
}

/**
 * Headers that hold one value, not a list (RFC 9110 §5.3): Node keeps the first of two tokens or body
 * types and silently drops the rest (a request that is ambiguous), and joins two of the headers the
 * audit trail keeps with ", " (an acting person "a, b" who is nobody, a reason of two), and an
 * Idempotency-Key (two keys joined are a third, and the retry would not be recognised).
 */
const ONE_VALUE_ONLY = new Set([
  'authorization',
  'content-type',
  'x-acting-user',
  'x-acting-user-name',
  'x-audit-reason',
  'idempotency-key',
]);

/** Each one-value header the request sends more than once, as an invalid parameter. */
function repeatedHeaders(request: FastifyRequest): InvalidParam[] {
  const raw = request.raw.rawHeaders;
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    if (!ONE_VALUE_ONLY.has(name)) continue;
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
  }
  return [...repeated].map((name) => ({ name, code: 'repeated_header', reason: 'is sent more than once; send it once' }));
}

/** The headers the audit trail keeps as text (plugins/auth.ts): read as UTF-8, as they are sent. */
const STORED_TEXT_HEADERS = ['x-audit-reason', 'x-acting-user', 'x-acting-user-name'] as const;

/**
 * Node hands header values over as latin1 (one character per byte), so `X-Audit-Reason: café` sent
 * in UTF-8 would be stored as `cafÃ©`. Each stored header that is valid UTF-8 is decoded as such in
 * place; one that is not keeps its ISO-8859-1 reading (lib/utf8.ts): never mojibake in the trail.
 */
function decodeStoredHeaders(request: FastifyRequest): void {
  for (const name of STORED_TEXT_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') request.headers[name] = headerAsUtf8(value);
  }
}

export default fp(
  async function httpHygiene(app: FastifyInstance) {
    app.addHook('onRequest', async (request, reply) => {
      setCommonHeaders(request, reply);
      // HTTP/1.1 requires Host (RFC 9112 §3.2); Node's own check would answer an empty 400 (app.ts turns it off).
      if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
        throw new HttpProblem({ status: 400, code: 'missing-host', detail: 'An HTTP/1.1 request needs a Host header.' });
      }
      const repeated = repeatedHeaders(request);
      if (repeated.length > 0) throw badRequest(repeated);
      // A trailing slash names no resource of the API (ADR /core/no-trailing-slash): 404, never a redirect.
      // Checked here, after the headers every response needs, because the router would read
      // `/establishments/` as an empty `:id`. Outside /v1 the router decides (the interactive docs
      // redirect to `/docs/` themselves).
      const path = request.url.split('?')[0] ?? '';
      if (path.startsWith('/v1/') && path.endsWith('/')) {
        throw new HttpProblem({ status: 404, code: 'not-found', detail: `No resource at ${path}; paths have no trailing slash.` });
      }
      // No body is decompressed here: a gzip or br body would be read as garbled JSON. RFC 7694 §3: 415, with the codings accepted.
      const coding = readsBody(request) ? contentCoding(request) : null;
      if (coding !== null) {
        throw new HttpProblem({
          status: 415,
          code: 'unsupported-content-encoding',
          detail: `Send the body uncompressed (Content-Encoding identity or none); ${coding.slice(0, 40)} is not decoded here.`,
          headers: { 'Accept-Encoding': 'identity' },
        });
      }
      // A Content-Type with no body, sent to an operation that takes none, describes nothing: fastify would look for
      // its parser and answer 415 (a DELETE with Content-Type text/plain); dropped, the request is one without a body.
      // (Where a body is required, its absence stays a 400 empty-body, or a 415 for a type no operation reads.)
      const takesNone =
        (!request.routeOptions.schema?.body || bodyMayBeOmitted(request.routeOptions.schema)) && request.routeOptions.url !== undefined;
      if (takesNone && !readsBody(request) && !BODY_IGNORED.has(request.method)) delete request.raw.headers['content-type'];
      decodeStoredHeaders(request);
      // JSON is UTF-8 (RFC 8259 §8.1). The parser reads every body as UTF-8, so a body declared in
      // another charset would be silently misread: refuse it instead (US-ASCII is a subset of UTF-8).
      const charset = bodyCharset(request);
      if (charset !== null && !UTF8_CHARSETS.has(charset)) {
        throw new HttpProblem({
          status: 415,
          code: 'unsupported-media-type',
          detail: `Send the body as ${bodyTypeFor(request)} in UTF-8; charset=${charset.slice(0, 40)} is not accepted.`,
        });
      }
    });

    // An error answered before the request's body arrived whole (an import refused at its header line, a 413):
    // Node no longer reads that body once a route began to, so the next request on the connection would wait
    // behind it. The connection closes after the answer instead.
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode >= 400 && !request.raw.complete) reply.header('Connection', 'close');
      return payload;
    });

    // A query string that is not validly percent-encoded: checked once the route is known (after
    // authentication, as every 400) and listed with whatever else the route's schemas find wrong, in
    // one 400. The contract's operations only, as strict-query.ts: outside /v1 nothing is checked.
    app.addHook('preValidation', async (request) => {
      if (!request.routeOptions.url?.startsWith('/v1/')) return;
      const malformed = malformedQueryKeys(request.url);
      if (malformed.length === 0) return;
      const named = new Set(malformed.map((p) => p.name));
      const others = schemaInvalidParams(request).filter((p) => !named.has(p.name));
      throw badRequest(
        [...malformed, ...others],
        `${malformed.length} query parameter${malformed.length === 1 ? ' is' : 's are'} not validly percent-encoded${others.length > 0 ? `, and ${others.length} other parameter${others.length === 1 ? ' is' : 's are'} invalid` : ''}; see invalidParams.`,
      );
    });

    // Only JSON bodies are accepted (and JSON Merge Patch for PATCH, plugins/preconditions.ts); anything else is a 415.
    // Both are read as bytes and must be UTF-8 (RFC 8259 §8.1): decoding them as a string would turn
    // each invalid byte into U+FFFD and store that, silently. An operation without a body (a DELETE,
    // a POST that acts) reads an empty body sent with a JSON Content-Type, as many HTTP clients send
    // one, as no body, and so `{}`; anything else sent to it is a 400 naming what it holds, never
    // ignored (a DELETE with {"revokedAt": …} does not do what its sender meant; preconditions.ts).
    // Where a body is required an empty one stays a 400 empty-body.
    const secureParse = app.getDefaultJsonParser('error', 'error');
    // Valid JSON all the same: a member that could change an object's prototype once read (`__proto__`,
    // `constructor.prototype`) is refused by name, not called malformed.
    // A member named twice in one object is refused by name too: JSON.parse would keep the last, silently.
    const parseJson: typeof secureParse = (request, body, done) =>
      secureParse(request, body, (err, parsed) => {
        if (!err) {
          const repeated = repeatedMembers(body.toString());
          if (repeated.length === 0) return done(null, parsed);
          return done(badRequest(repeated.map((name) => ({ name, code: 'repeated_member', reason: REPEATED_MEMBER }))));
        }
        if (!isJson(body)) return done(err, parsed);
        const reason = 'a member named __proto__, or a constructor member holding prototype, is refused anywhere in the body';
        done(badRequest([{ name: 'body', code: 'forbidden_member', reason }], `The body is JSON, but ${reason}: leave it out.`));
      });
    /** Whether the text is JSON to the plain parser, which makes a `__proto__` member an own property and sets no prototype. */
    const isJson = (text: string | Buffer) => {
      try {
        JSON.parse(text.toString());
        return true;
      } catch {
        return false;
      }
    };
    const strictJson = (request: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) => {
      // A path or method no route serves: its 404 or 405, whatever the body holds (it is not read).
      if (request.routeOptions.url === undefined) return done(null, undefined);
      const takesNone = !request.routeOptions.schema?.body;
      // An empty body is none where none is taken, or where it may be left out (openapi.ts optionalBody).
      if (body.length === 0 && (takesNone || bodyMayBeOmitted(request.routeOptions.schema))) return done(null, undefined);
      const at = firstInvalidUtf8Byte(body);
      // Parsed all the same, so that plugins/preconditions.ts can refuse it (after a missing If-Match's 428); {} is none.
      if (at === -1 && takesNone) return parseJson(request, body.toString('utf8'), (err, parsed) => done(err, noneIfEmpty(parsed)));
      if (at === -1) return parseJson(request, body.toString('utf8'), done);
      const byte = `0x${(body[at] ?? 0).toString(16).toUpperCase().padStart(2, '0')}`;
      done(
        new HttpProblem({
          status: 400,
          code: 'invalid-encoding',
          detail: `The body is not valid UTF-8 at byte offset ${at} (${byte}); send JSON in UTF-8.`,
          invalidParams: [{ name: 'body', code: 'invalid_encoding', reason: `byte offset ${at} (${byte}) is not valid UTF-8` }],
        }),
      );
    };
    app.removeContentTypeParser(['text/plain', 'application/json']);
    app.addContentTypeParser(['application/json', 'application/merge-patch+json'], { parseAs: 'buffer' }, strictJson);
  },
  { name: 'http-hygiene' },
);

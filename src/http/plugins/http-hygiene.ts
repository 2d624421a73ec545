import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { API_VERSION } from '../../lib/version.js';
import { HttpProblem } from '../problem.js';
import { sendProblem } from './problems.js';

/**
 * Headers every response carries: API-Version (NL GOV ADR /core/version-header) and the security
 * headers the Design Rules list (/core/transport/security-headers). The interactive docs under
 * /docs need scripts and styles of their own, so they get a looser Content-Security-Policy.
 */
function setCommonHeaders(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('API-Version', API_VERSION);
  reply.header('X-Content-Type-Options', 'nosniff');
  reply.header('X-Frame-Options', 'DENY');
  reply.header('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  reply.header('Referrer-Policy', 'no-referrer');
  if (request.url.startsWith('/docs')) {
    reply.header(
      'Content-Security-Policy',
      "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'",
    );
    reply.header('Cache-Control', 'no-cache');
  } else {
    reply.header('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
    reply.header('Cache-Control', 'no-store');
  }
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
    status: 400,
    code: 'invalid-input',
    title: 'Invalid input',
    detail: tooLong ? 'A path parameter is too long.' : 'The URL is not validly percent-encoded or cannot be routed.',
    invalidParams: [{ name: 'path', code: tooLong ? 'too_long' : 'malformed', reason: err.message }],
  });
}

const UTF8_CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii']);

/** The charset parameter of a request that has a body, lower-cased and unquoted; null when none is given. */
function bodyCharset(request: FastifyRequest): string | null {
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  const type = request.headers['content-type'];
  if (!hasBody || typeof type !== 'string') return null;
  const m = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i.exec(type);
  return m ? (m[2] ?? '').toLowerCase() : null;
}

export default fp(
  async function httpHygiene(app: FastifyInstance) {
    app.addHook('onRequest', async (request, reply) => {
      setCommonHeaders(request, reply);
      // A trailing slash names no resource (ADR /core/no-trailing-slash): 404, never a redirect.
      // Checked here, after the headers every response needs, because the router would read
      // `/establishments/` as an empty `:id`.
      const path = request.url.split('?')[0] ?? '';
      if (path.length > 1 && path.endsWith('/')) {
        throw new HttpProblem({ status: 404, code: 'not-found', detail: `No resource at ${path}; paths have no trailing slash.` });
      }
      // JSON is UTF-8 (RFC 8259 §8.1). The parser reads every body as UTF-8, so a body declared in
      // another charset would be silently misread: refuse it instead (US-ASCII is a subset of UTF-8).
      const charset = bodyCharset(request);
      if (charset !== null && !UTF8_CHARSETS.has(charset)) {
        throw new HttpProblem({
          status: 415,
          code: 'unsupported-media-type',
          detail: `Send the body as application/json in UTF-8; charset=${charset.slice(0, 40)} is not accepted.`,
        });
      }
    });

    // Only JSON bodies are accepted (and JSON Merge Patch for PATCH, plugins/preconditions.ts); anything else is a 415.
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser(['text/plain', 'application/json']);
    // An operation without a body (a DELETE, a POST that acts) reads an empty body sent with a JSON
    // Content-Type, as many HTTP clients send one, as no body; where a body is required it stays a 400 empty-body.
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      if (body === '' && !request.routeOptions.schema?.body) return done(null, undefined);
      return parseJson(request, body as string, done);
    });
    app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, parseJson);
  },
  { name: 'http-hygiene' },
);

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Created } from '../../application/commands/run.js';
import type { IdempotencyRecord } from '../../infrastructure/idempotency.js';
import { HttpProblem } from '../problem.js';

/** How routes answer: ETags and If-Match, creates (and their idempotent replays), pages with links. */

export const etag = (version: number) => `"${version}"`;

/** The version named by a required If-Match header: 428 without it, 412 when it cannot match. */
export function expectedVersion(request: FastifyRequest): number {
  const header = request.headers['if-match'];
  if (header === undefined || header === '') {
    throw new HttpProblem({
      status: 428,
      code: 'if-match-required',
      detail: 'Send If-Match with the ETag of the version you are changing, so that no one else’s change is overwritten.',
    });
  }
  const m = /^\s*"([1-9][0-9]{0,9})"\s*$/.exec(header);
  if (!m) {
    throw new HttpProblem({
      status: 412,
      code: 'version-mismatch',
      detail: 'If-Match must be one strong ETag as returned by this API, such as "3".',
    });
  }
  const version = Number(m[1]);
  // If-None-Match beside it (RFC 9110 §13.1.2): `*`, or the very version If-Match names, cannot hold
  // when If-Match does, so the write is refused as a failed precondition; other tags let it through.
  const inm = request.headers['if-none-match'];
  if (typeof inm === 'string' && namesVersion(inm, version, 'weak')) {
    throw new HttpProblem({
      status: 412,
      code: 'version-mismatch',
      detail: 'If-None-Match names the version If-Match asks for (or is *): both cannot hold, so nothing was changed.',
    });
  }
  return version;
}

/**
 * Whether a list of entity tags (If-Match, If-None-Match) names `version`; `*` names any. The weak
 * comparison (If-None-Match, RFC 9110 §13.1.2) takes `W/"3"` for 3; the strong one (If-Match) does not.
 */
const namesVersion = (list: string, version: number, comparison: 'weak' | 'strong') =>
  list.split(',').some((item) => {
    const tag = item.trim();
    return tag === '*' || (comparison === 'weak' ? tag.replace(/^W\//, '') : tag) === etag(version);
  });

/**
 * Sends a single resource with its ETag. A read (GET, HEAD) evaluates the preconditions in RFC 9110
 * §13.2.2's order: If-Match first, by the strong comparison (`"3"` or `*`; a weak `W/"3"` names
 * nothing), a 412 with the current ETag when it names another version; then If-None-Match, a 304
 * when it names this one, by the weak comparison §13.1.2 prescribes for it (`W/"3"` names 3 too).
 * A write (PUT, DELETE, a rotation's POST) has been made by now: it is answered with what it wrote,
 * never a 304 without a body (a rotated secret would be shown nowhere).
 */
export function sendResource<T extends { version: number }>(request: FastifyRequest, reply: FastifyReply, resource: T, status = 200) {
  const tag = etag(resource.version);
  reply.header('ETag', tag);
  const read = request.method === 'GET' || request.method === 'HEAD';
  if (!read || status !== 200) return reply.code(status).send(resource);
  const im = request.headers['if-match'];
  if (typeof im === 'string' && im !== '' && !namesVersion(im, resource.version, 'strong')) {
    throw new HttpProblem({
      status: 412,
      code: 'version-mismatch',
      detail: `If-Match does not name the current version: it is at version ${resource.version} (ETag ${tag}).`,
      headers: { ETag: tag },
    });
  }
  const inm = request.headers['if-none-match'];
  if (typeof inm === 'string' && namesVersion(inm, resource.version, 'weak')) {
    return reply.code(304).send();
  }
  return reply.code(status).send(resource);
}

/**
 * A stored response, sent again for a retry with the same Idempotency-Key (Idempotent-Replayed: true).
 * One with a field shown only once (a token, a secret) is not stored whole: its retry is a 409.
 */
export function replay(reply: FastifyReply, record: IdempotencyRecord) {
  const headers = record.responseHeaders as Record<string, string>;
  if (record.withheld && record.withheld.length > 0) {
    const fields = record.withheld.join(', ');
    throw new HttpProblem({
      status: 409,
      code: 'idempotent-replay-withheld',
      title: 'Conflict',
      detail:
        record.responseStatus === 201
          ? `This Idempotency-Key already created ${headers.location ?? 'a resource'}; its ${fields} was shown only once and is not stored. Revoke it if it was lost, and create another with a new key.`
          : `This Idempotency-Key was already used for this request, which succeeded and stands; its ${fields} was shown only once and is not stored. If it was lost, send the request again with a new key, and with If-Match the current ETag (the first request changed the version).`,
      headers: headers.location ? { Location: headers.location } : {},
    });
  }
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  reply.header('Idempotent-Replayed', 'true');
  return reply.code(record.responseStatus).send(record.responseBody);
}

/** Answers a POST that acts once (a checkpoint, a cancel, a redelivery): `status` with what it did, or the first response again for a replayed Idempotency-Key. */
export function sendOnce<T>(reply: FastifyReply, outcome: Created<T>, status: number) {
  if (outcome.replayed) return replay(reply, outcome.record);
  return reply.code(status).send(outcome.value);
}

/** Answers a create: 201 with Location and ETag, or the first response again for a replayed Idempotency-Key. */
export function sendCreated<T extends { version: number }>(
  request: FastifyRequest,
  reply: FastifyReply,
  created: Created<T>,
  location: (resource: T) => string,
) {
  if (created.replayed) return replay(reply, created.record);
  reply.header('Location', location(created.value));
  return sendResource(request, reply, created.value, 201);
}

/** Sets the RFC 8288 Link header for a page and returns the page envelope. */
export function paged<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  page: { page: number; pageSize: number },
  result: { items: T[]; totalItems: number },
) {
  const totalPages = Math.max(1, Math.ceil(result.totalItems / page.pageSize));
  const url = new URL(request.url, 'http://localhost');
  const link = (p: number, rel: string) => {
    url.searchParams.set('page', String(p));
    url.searchParams.set('pageSize', String(page.pageSize));
    return `<${url.pathname}${url.search}>; rel="${rel}"`;
  };
  const links = [link(1, 'first')];
  if (page.page > 1) links.push(link(Math.min(page.page - 1, totalPages), 'prev'));
  if (page.page < totalPages) links.push(link(page.page + 1, 'next'));
  links.push(link(totalPages, 'last'));
  reply.header('Link', links.join(', '));
  return { items: result.items, page: page.page, pageSize: page.pageSize, totalItems: result.totalItems, totalPages };
}

import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { API_VERSION } from '../lib/version.js';
import { problemType, titleFor } from './problem.js';

/** Node's parser errors (before fastify sees a request) → status, problem code and detail. */
function classify(code: string | undefined): { status: number; code: string; detail: string } {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return { status: 408, code: 'request-timeout', detail: 'The request did not arrive in time.' };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return {
      status: 431,
      code: 'headers-too-large',
      detail: 'The request line and headers together are larger than this service accepts.',
    };
  }
  return { status: 400, code: 'malformed-request', detail: 'The request is not valid HTTP/1.1 (a malformed request line or header).' };
}

/**
 * Fastify's `clientErrorHandler`: a request Node's HTTP parser refuses (a bad byte in a header, headers
 * too large, a timeout) never becomes a fastify request, so no hook or error handler runs. Fastify's
 * default logs the error with `rawPacket`, the raw bytes, which hold the Authorization header;
 * this one logs the error's code only and answers with problem+json and the common headers like
 * every other error, then closes the connection (the parser cannot go on after such an error).
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const p = classify(err.code);
  this.log.debug({ clientError: { code: err.code ?? null, status: p.status } }, 'malformed request refused');
  if (socket.writable) {
    const body = JSON.stringify({ type: problemType(p.code), title: titleFor(p.status), status: p.status, detail: p.detail, code: p.code });
    const headers = [
      `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? 'Bad Request'}`,
      'Content-Type: application/problem+json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(body)}`,
      `API-Version: ${API_VERSION}`,
      'X-Content-Type-Options: nosniff',
      "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'",
      'Connection: close',
    ];
    socket.end(`${headers.join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroySoon?.();
}

import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { finished } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { API_VERSION } from '../lib/version.js';
import { API_CONTENT_SECURITY_POLICY, SECURITY_HEADERS } from './headers.js';
import { problemType, titleFor } from './problem.js';
import { requestIdFor } from './request-id.js';

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
 * Bytes the parser refuses may follow a request it took (a pipelined one, or a body longer than its
 * Content-Length): that request's answer, perhaps of a write that commits, goes out first.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed || refusing.has(socket)) return;
  // Node reports each later chunk again: one refusal a connection, and nothing more is read meanwhile.
  refusing.add(socket);
  socket.pause();
  const p = { ...classify(err.code), id: requestIdFor() };
  this.log.debug({ reqId: p.id, clientError: { code: err.code ?? null, status: p.status } }, 'malformed request refused');
  afterAnswersDue(socket, () => refuse(socket, p));
}

/** The path of a request target, also of one in absolute form (`GET http://host/v1/x`): no scheme or host in an instance. */
function pathOf(target: string | undefined): string {
  try {
    return new URL(target ?? '', 'http://localhost').pathname;
  } catch {
    return '';
  }
}

/** Connections whose refusal is made or waiting for the answers due before it. */
const refusing = new WeakSet<Socket>();

/** The answer Node is sending on this connection, if any (Node's own client-error answer looks at the same field). */
const inFlight = (socket: Socket) => (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage ?? null;

/**
 * Runs `then` once no answer is due on the connection to a request that arrived whole: when the one
 * in flight has finished, Node hands the connection to the next pipelined one, so look again. A
 * request whose body is still arriving is the one the error cut short (a client that hung up
 * mid-body): it is refused at once, as its handler waits for bytes that will not come.
 */
function afterAnswersDue(socket: Socket, then: () => void): void {
  const res = inFlight(socket);
  if (!res || res.writableFinished || socket.destroyed || !res.req.complete) {
    then();
    return;
  }
  finished(res, () => afterAnswersDue(socket, then));
}

/**
 * A refusal made outside fastify; `path` is the request's path where one could be read, `id` its
 * request id; `keepAlive` when the connection may carry on (else it is closed after the answer).
 */
type Refusal = { status: number; code: string; detail: string; id: string; path?: string; keepAlive?: boolean };

/** The body and headers of a refusal made outside fastify: problem+json with the headers every answer has. */
function refusal(p: Refusal): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    type: problemType(p.code),
    title: titleFor(p.status),
    status: p.status,
    detail: p.detail,
    instance: `${p.path ?? ''}#request-${p.id}`,
    code: p.code,
  });
  const headers = {
    'Content-Type': 'application/problem+json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    'API-Version': API_VERSION,
    'X-Request-Id': p.id,
    ...SECURITY_HEADERS,
    'Content-Security-Policy': API_CONTENT_SECURITY_POLICY,
    'Cache-Control': 'no-store',
    ...(p.keepAlive ? {} : { Connection: 'close' }),
  };
  return { body, headers };
}

/** Answers a problem on a socket fastify never turned into a request, and closes the connection. */
function refuse(socket: Socket, p: Refusal): void {
  if (socket.writable) {
    const { body, headers } = refusal(p);
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
    socket.end(`HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? 'Bad Request'}\r\n${lines.join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroySoon?.();
}

/**
 * The requests Node's HTTP server answers itself, with an empty body, unless told otherwise: an
 * `Expect` other than 100-continue (417), CONNECT (the connection just closed) and an HTTP/1.1
 * request without Host (400). Here they get problem+json like every other refusal (the server is
 * created with `requireHostHeader: false`, so that the last reaches plugins/http-hygiene.ts).
 */
export function refuseWhatNodeWould(app: FastifyInstance): void {
  // Through the request's own response, which Node queues behind the answers still due on the connection.
  app.server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    // The connection carries on (Node reads past this request's body, if any): a request pipelined behind it has run
    // by the time a closed connection would drop its answer. A client that held its body back may send it or close.
    const { body, headers } = refusal({
      status: 417,
      code: 'expectation-failed',
      detail: 'The only Expect this service meets is 100-continue.',
      id: requestIdFor(req),
      path: pathOf(req.url),
      keepAlive: true,
    });
    res.writeHead(417, headers).end(body);
  });
  app.server.on('connect', (req: IncomingMessage, socket: Socket) => {
    const id = requestIdFor(req);
    refuse(socket, { status: 405, code: 'method-not-allowed', detail: 'CONNECT is not allowed: this is not a proxy.', id });
  });
}

import { createServer, type OutgoingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from '../infrastructure/metrics.js';

/** How long a scrape in flight at close may take to be answered before its connection is cut. */
export const METRICS_CLOSE_GRACE_MS = 1000;

/**
 * The metrics listener: `GET /metrics` in the Prometheus text format, on its own port
 * (METRICS_PORT), apart from the API. It has no token: keep the port off the public network (the
 * load balancer forwards only the API port); a scraper reaches it on the instance's address.
 *
 * `close()` is prompt: it stops accepting, ends the idle keep-alive connections, answers a scrape in
 * flight with `Connection: close`, and cuts what is still open after `graceMs` (a request whose
 * headers never complete). Otherwise a scraper's kept-alive connection would hold the process's
 * exit for the keep-alive timeout (5 s), or a stuck one until SHUTDOWN_GRACE_MS ran out.
 */
export async function serveMetrics(
  metrics: Metrics,
  port: number,
  host: string,
  graceMs = METRICS_CLOSE_GRACE_MS,
): Promise<{ url: string; close(): Promise<void> }> {
  let closing = false;
  const answer = (res: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: string) =>
    res.writeHead(status, closing ? { ...headers, connection: 'close' } : headers).end(body);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      answer(res, 404, { 'content-type': 'text/plain' }, 'not found: GET /metrics\n');
      return;
    }
    metrics.scrape().then(
      ({ contentType, body }) => answer(res, 200, { 'content-type': contentType }, body),
      (err: Error) => answer(res, 503, { 'content-type': 'text/plain' }, `metrics unavailable: ${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${address.port}/metrics`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        const cut = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections(); // after close(), so that no connection slips in between
      });
      return closed;
    },
  };
}

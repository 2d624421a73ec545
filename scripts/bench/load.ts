import http from 'node:http';

export interface LoadResult {
  requests: number;
  errors: number;
  /** requests per second over the measured window */
  throughput: number;
  p50: number;
  p99: number;
  firstError?: string;
}

export interface RequestSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
  /** A fresh body per request (creates need unique content only where the API demands it). */
  body?: () => string;
  /** Headers fresh per request, such as an Idempotency-Key. */
  freshHeaders?: () => Record<string, string>;
  /**
   * Per request: another path and headers (e.g. the record to PATCH and its If-Match), and what to
   * do with the answer (e.g. keep the new ETag). Called when the request is sent.
   */
  prepare?: () => { path: string; headers: Record<string, string>; done(status: number, etag: string | undefined): void };
  expectStatus: number;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * A closed-loop load: `clients` concurrent keep-alive connections, each sending its next request
 * as soon as the previous answer arrived, for `seconds` (bounded also by `maxRequests`).
 * Latency is measured per request in the client, in milliseconds.
 */
export async function runLoad(baseUrl: string, spec: RequestSpec, clients: number, seconds: number, maxRequests = 1_000_000) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const url = new URL(baseUrl);
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  let firstError: string | undefined;
  const deadline = performance.now() + seconds * 1000;
  const one = () =>
    new Promise<void>((resolve) => {
      const body = spec.body?.();
      const prepared = spec.prepare?.();
      const t0 = performance.now();
      const req = http.request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: spec.method,
          path: prepared?.path ?? spec.path,
          headers: {
            ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
            ...spec.headers,
            ...spec.freshHeaders?.(),
            ...prepared?.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            latencies.push(performance.now() - t0);
            const etag = res.headers.etag;
            prepared?.done(res.statusCode ?? 0, typeof etag === 'string' ? etag : undefined);
            if (res.statusCode !== spec.expectStatus) {
              errors += 1;
              firstError ??= `${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 300)}`;
            }
            resolve();
          });
        },
      );
      req.on('error', (err) => {
        errors += 1;
        firstError ??= String(err);
        resolve();
      });
      if (body) req.write(body);
      req.end();
    });
  const started = performance.now();
  const worker = async () => {
    while (performance.now() < deadline && sent < maxRequests) {
      sent += 1;
      await one();
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const result: LoadResult = {
    requests: latencies.length,
    errors,
    throughput: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
  if (firstError) result.firstError = firstError;
  return result;
}

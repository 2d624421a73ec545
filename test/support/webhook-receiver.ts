import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** What a receiver got: the verified CloudEvent, which secret verified it, and the raw headers. */
export interface Received {
  path: string;
  event: {
    specversion: string;
    id: string;
    source: string;
    type: string;
    subject: string;
    time: string;
    /** The CloudEvents Sequence extension: the event's place in the registry's outbox. */
    sequence: string;
    dataref: string;
    datacontenttype: string;
    data: Record<string, unknown>;
  };
  contentType: string | undefined;
  headers: http.IncomingHttpHeaders;
}

/** How the receiver answers a verified request: 204; 500; never; 410 Gone; `busyStatus` (429) with `retryAfter` as Retry-After. */
export type Behaviour = 'ok' | 'fail' | 'hang' | 'gone' | 'busy';

/**
 * A real webhook receiver on loopback. Each path (`/hooks/<name>`) has the secrets it accepts; every
 * request is verified with the `standardwebhooks` package (signature and timestamp), and one that
 * does not verify is counted in `rejected` and answered 401. `behaviour` makes it answer 500, 410
 * or 429, or never answer; `stop()` and `start()` take it off the network and back on the same port.
 */
export async function webhookReceiver() {
  const secrets = new Map<string, string[]>();
  const received: Received[] = [];
  const rejected: string[] = [];
  const requests: string[] = []; // every request's path, verified or not
  const held: string[] = []; // the event ids of requests left unanswered ('hang')
  let behaviour: Behaviour = 'ok';
  let retryAfter: () => string = () => '1';
  let busyStatus = 429;
  const hanging = new Set<http.ServerResponse>();
  const waiters: (() => void)[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '';
      requests.push(path);
      let verified = false;
      for (const secret of secrets.get(path) ?? []) {
        try {
          new Webhook(secret).verify(body, req.headers as Record<string, string>);
          verified = true;
          break;
        } catch {
          // try the next secret
        }
      }
      if (!verified) {
        rejected.push(path);
        res.writeHead(401).end('bad signature');
        return;
      }
      if (behaviour === 'hang') {
        held.push(String(req.headers['webhook-id']));
        hanging.add(res);
        for (const w of waiters.splice(0)) w();
        return;
      }
      if (behaviour === 'fail') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('receiver broken\u0000 for now');
        return;
      }
      if (behaviour === 'gone' || behaviour === 'busy') {
        res.writeHead(behaviour === 'gone' ? 410 : busyStatus, behaviour === 'busy' ? { 'retry-after': retryAfter() } : {}).end();
        for (const w of waiters.splice(0)) w();
        return;
      }
      received.push({ path, event: JSON.parse(body), contentType: req.headers['content-type'], headers: req.headers });
      res.writeHead(204).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: (name: string) => `http://127.0.0.1:${port}/hooks/${name}`,
    accept(name: string, ...secret: string[]) {
      secrets.set(`/hooks/${name}`, secret);
    },
    received,
    rejected,
    held,
    requests,
    at: (name: string) => received.filter((r) => r.path === `/hooks/${name}`),
    set behaviour(b: Behaviour) {
      behaviour = b;
    },
    /** The Retry-After a 'busy' receiver sends, made as it answers. */
    set retryAfter(value: () => string) {
      retryAfter = value;
    },
    /** The status a 'busy' receiver answers: 429 or 503. */
    set busyStatus(status: 429 | 503) {
      busyStatus = status;
    },
    /** Resolves once `predicate` holds, checked after every delivery and every 20 ms. */
    async until(predicate: () => boolean, what: string, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 20);
        });
      }
    },
    async stop() {
      for (const r of hanging) r.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    start: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type Receiver = Awaited<ReturnType<typeof webhookReceiver>>;

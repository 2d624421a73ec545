import http from 'node:http';
import net from 'node:net';
import t from 'tap';
import { clientErrorHandler } from '../../src/http/client-errors.js';

/**
 * A refusal of bytes Node's parser rejects waits for the answer due before it (a slow one here);
 * meanwhile every further chunk the client sends is reported again by Node. One refusal a
 * connection: before, each chunk added listeners to the waiting answer and a log line (a review,
 * 5 December 2026: 9,000 of each in 11 s).
 */
t.test('bytes refused behind a slow answer: one refusal, however many more chunks arrive', async (t) => {
  const logged: string[] = [];
  const app = { log: { debug: (_o: unknown, msg: string) => logged.push(msg) } };
  let finishListeners = 0;
  const server = http.createServer((_req, res) => {
    setTimeout(() => {
      finishListeners = res.listenerCount('finish');
      res.writeHead(200, { 'content-type': 'text/plain' }).end('slow');
    }, 400);
  });
  server.on('clientError', (err: Error, socket: net.Socket) => clientErrorHandler.call(app as never, err, socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const { port } = server.address() as net.AddressInfo;

  const answer = await new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
    });
    socket.on('close', () => resolve(text));
    socket.on('error', () => resolve(text));
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\ngarbage\r\n\r\n');
    let n = 0;
    const more = setInterval(() => {
      if (socket.destroyed || ++n > 30) return clearInterval(more);
      socket.write('more garbage\r\n');
    }, 5);
  });
  t.same(
    [...answer.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1])),
    [200, 400],
    'the slow answer, then the refusal',
  );
  t.equal(logged.filter((m) => m === 'malformed request refused').length, 1, 'refused once');
  t.ok(finishListeners < 10, `the waiting answer did not gather a listener per chunk (${finishListeners})`);
});

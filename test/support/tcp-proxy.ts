import net from 'node:net';

/**
 * A TCP proxy between the service's pool and PostgreSQL that a test can break and mend, to
 * simulate an outage without touching the shared cluster:
 * - `cut()`: drops every open connection and refuses new ones (like a restart or a crash);
 * - `blackhole()`: drops open connections and accepts new ones that never answer (a network
 *   partition: only the pool's connect timeout ends the wait);
 * - `freeze()`: as blackhole(), but the open connections stay open and carry nothing more either way
 *   (a partition or a hung failover under a pooled connection: no error, no answer);
 * - `restore()`: passes traffic again.
 */
export class TcpProxy {
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  private pairs = new Set<[net.Socket, net.Socket]>();
  private mode: 'pass' | 'refuse' | 'blackhole' = 'pass';
  port = 0;

  constructor(
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  private track(s: net.Socket) {
    this.sockets.add(s);
    s.on('close', () => this.sockets.delete(s));
    s.on('error', () => s.destroy());
  }

  private accept(client: net.Socket) {
    this.track(client);
    if (this.mode === 'refuse') {
      client.destroy();
      return;
    }
    if (this.mode === 'blackhole') {
      client.pause(); // read nothing, answer nothing
      return;
    }
    const upstream = net.connect(this.upstreamPort, this.upstreamHost);
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    this.pairs.add(pair);
    client.on('close', () => {
      upstream.destroy();
      this.pairs.delete(pair);
    });
    upstream.on('close', () => client.destroy());
  }

  private dropAll() {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  cut() {
    this.mode = 'refuse';
    this.dropAll();
  }

  blackhole() {
    this.mode = 'blackhole';
    this.dropAll();
  }

  freeze() {
    this.mode = 'blackhole';
    for (const [client, upstream] of this.pairs) {
      client.unpipe(upstream);
      upstream.unpipe(client);
      client.pause();
      upstream.pause();
    }
  }

  restore() {
    this.dropAll(); // black-holed connections included
    this.mode = 'pass';
  }

  async close() {
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

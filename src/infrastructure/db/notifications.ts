import pg from 'pg';

export interface ChannelHandlers {
  /** A notification's payload. */
  message(payload: string): void;
  /** The channel is down (or not yet up): notifications may be missed from now on. */
  down(): void;
  /** The channel is (again) listening: anything sent while it was down was missed. */
  up(): void;
}

export interface ChannelOptions {
  url: string;
  /** How often the listening connection is checked; a check that fails takes the channel down. */
  heartbeatMs?: number;
  /** Wait between reconnection attempts. */
  retryMs?: number;
}

/**
 * LISTEN on a PostgreSQL channel over a connection of its own (outside the pool: a pooled one would
 * be handed to requests), kept alive: it starts down, reports up once LISTEN succeeded, reports down
 * as soon as the connection errors, ends or misses a heartbeat (a connection that died without a
 * word), and reconnects. Callers treat "down" as "anything may have changed": see
 * src/application/services.ts, where the token cache stops trusting itself until the channel is up.
 */
export function listenChannel(channel: string, handlers: ChannelHandlers, o: ChannelOptions): { close(): Promise<void> } {
  const heartbeatMs = o.heartbeatMs ?? 1000;
  const retryMs = o.retryMs ?? 500;
  let closed = false;
  let client: pg.Client | null = null;
  let heartbeat: NodeJS.Timeout | null = null;
  let retry: NodeJS.Timeout | null = null;

  const drop = (c: pg.Client) => {
    if (client !== c) return;
    client = null;
    if (heartbeat) clearInterval(heartbeat);
    heartbeat = null;
    handlers.down();
    c.end().catch(() => {});
    if (!closed) retry = setTimeout(connect, retryMs);
  };

  async function connect() {
    retry = null;
    if (closed) return;
    const c = new pg.Client({
      connectionString: o.url,
      connectionTimeoutMillis: heartbeatMs * 5,
      query_timeout: heartbeatMs,
      application_name: 'enforcement-registry listener',
      keepAlive: true,
    });
    client = c;
    c.on('error', () => drop(c));
    c.on('end', () => drop(c));
    c.on('notification', (n) => {
      if (n.channel === channel && n.payload !== undefined) handlers.message(n.payload);
    });
    try {
      await c.connect();
      await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch {
      drop(c);
      return;
    }
    if (client !== c || closed) return;
    handlers.up();
    heartbeat = setInterval(() => {
      c.query('select 1').catch(() => drop(c));
    }, heartbeatMs);
    heartbeat.unref();
  }

  handlers.down();
  void connect();
  return {
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      if (heartbeat) clearInterval(heartbeat);
      const c = client;
      client = null;
      await c?.end().catch(() => {});
    },
  };
}

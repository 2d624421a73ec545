import { sql } from 'drizzle-orm';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Admission } from './db/admission.js';
import type { Database, Tx } from './db/client.js';
import { withTenant } from './db/tenant.js';
import { backlog, givenUp } from './repositories/notifications.js';
import { rawRows } from './repositories/rows.js';

/** How long a scrape waits for the figures read from the database before it answers with the last ones. */
export const FIGURES_WAIT_MS = 2000;

/**
 * The service's Prometheus metrics, one registry per service instance (so tests can build several).
 * Request figures are recorded by the HTTP layer; the database figures are read at scrape time.
 * Served in the Prometheus text format on METRICS_PORT by server.ts (docs/operations.md#metrics).
 */
export function createMetrics(database: Database, writes?: Admission) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry }); // process_* and nodejs_*: CPU, memory, event loop, handles

  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, per method, route (the route pattern, not the URL) and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from the request’s arrival to its response, per method, route and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  new Gauge({
    name: 'registry_db_pool_connections',
    help: 'PostgreSQL pool connections by state: in_use, idle, and clients waiting for one (the primary pool).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const stats = database.poolStats?.();
      if (!stats) return;
      this.set({ state: 'in_use' }, stats.total - stats.idle);
      this.set({ state: 'idle' }, stats.idle);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });

  new Gauge({
    name: 'registry_write_transactions',
    help: 'Write transactions running, and waiting for admission (DATABASE_WRITE_CONCURRENCY).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!writes) return;
      const stats = writes.stats();
      this.set({ state: 'running' }, stats.running);
      this.set({ state: 'waiting' }, stats.waiting);
    },
  });

  /**
   * The figures read from the database, once per scrape (prom-client collects every metric at once, so
   * the gauges share one read), in one transaction across every tenant (subscriptions are
   * under row-level security): one pool connection, however many gauges. Null when the database cannot
   * answer: the gauges then keep their last values, so a scrape during an outage still answers (the pool
   * and process figures matter most then).
   */
  let reading: Promise<Figures | null> | null = null;
  const figures = (): Promise<Figures | null> => {
    reading ??= withTenant(database.db, { kind: 'all' }, readFigures)
      .catch(() => null)
      .finally(() => {
        reading = null;
      });
    // A server that stops answering on an open connection holds a read until statement_timeout and its
    // margin (32 s by default), past a scraper's timeout (Prometheus: 10 s), which would lose the whole
    // scrape. The scrape waits FIGURES_WAIT_MS and answers with the last values; the read goes on, and a
    // scrape while it lasts waits on it too, rather than start a second one.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), FIGURES_WAIT_MS).unref();
    });
    return Promise.race([reading, late]).finally(() => clearTimeout(timer));
  };
  /** A gauge set from the figures at each scrape. */
  const fromFigures = (name: string, help: string, set: (gauge: Gauge, f: Figures) => void, labelNames: string[] = []) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const f = await figures();
        if (f) set(this, f);
      },
    });
  fromFigures('registry_audit_chain_length', 'Entries in the audit chain (its highest seq).', (g, f) => g.set(f.auditChainLength));
  fromFigures('registry_idempotency_keys', 'Idempotency keys stored (live and not yet purged).', (g, f) => g.set(f.idempotencyKeys));
  fromFigures(
    'registry_subscriptions',
    'Webhook subscriptions by status; a disabled one (paused by a client, or given up) gets nothing until re-enabled.',
    (g, f) => {
      for (const [status, n] of Object.entries(f.subscriptions)) g.set({ status }, n);
    },
    ['status'],
  );
  fromFigures(
    'registry_subscriptions_given_up',
    'Subscriptions the service disabled because their deliveries failed for the give-up period, or their receiver answered 410 Gone: alert on it.',
    (g, f) => g.set(f.givenUp),
  );
  fromFigures(
    'registry_notifications_backlog',
    'Events not yet fanned out plus deliveries waiting for an attempt, of active subscriptions.',
    (g, f) => g.set(f.backlog.backlog),
  );
  fromFigures(
    'registry_notifications_oldest_undelivered_age_seconds',
    'How long the oldest undelivered event has waited (0 with none).',
    (g, f) => g.set(f.backlog.oldestUndeliveredAgeSeconds ?? 0),
  );
  // Set by the audit checkpoint code when it writes one; absent until the first checkpoint.
  const CHECKPOINT = 'registry_audit_last_checkpoint_timestamp_seconds';
  const checkpoint = new Gauge({
    name: CHECKPOINT,
    help: 'When the last audit checkpoint was written (Unix seconds); its age is time() minus this.',
    registers: [],
  });

  return {
    registry,
    /** One answered request (the HTTP layer's onResponse). */
    observeRequest(method: string, route: string, statusCode: number, seconds: number) {
      const labels = { method, route, status_code: String(statusCode) };
      requests.inc(labels);
      duration.observe(labels, seconds);
    },
    /** For the audit checkpoint code: note a checkpoint written at this moment. */
    auditCheckpointWritten(at: Date) {
      if (!registry.getSingleMetric(CHECKPOINT)) registry.registerMetric(checkpoint);
      checkpoint.set(at.getTime() / 1000);
    },
    /** The Prometheus text format (and its content type). */
    async scrape(): Promise<{ contentType: string; body: string }> {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

interface Figures {
  auditChainLength: number;
  idempotencyKeys: number;
  subscriptions: Record<'active' | 'disabled', number>;
  givenUp: number;
  backlog: Awaited<ReturnType<typeof backlog>>;
}

async function readFigures(tx: Tx): Promise<Figures> {
  const [row] = await rawRows<{ chain: number | string; keys: number | string; active: number; disabled: number; given_up: number }>(
    tx,
    sql`select (select coalesce(max(seq), 0) from audit_log) as chain,
               (select count(*)::int from idempotency_keys) as keys,
               count(*) filter (where status = 'active')::int as active,
               count(*) filter (where status = 'disabled')::int as disabled,
               count(*) filter (where ${givenUp})::int as given_up
          from subscriptions`,
  );
  return {
    auditChainLength: Number(row?.chain ?? 0),
    idempotencyKeys: Number(row?.keys ?? 0),
    subscriptions: { active: Number(row?.active ?? 0), disabled: Number(row?.disabled ?? 0) },
    givenUp: Number(row?.given_up ?? 0),
    backlog: await backlog(tx),
  };
}

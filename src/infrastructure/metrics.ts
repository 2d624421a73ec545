import { sql } from 'drizzle-orm';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Admission } from './db/admission.js';
import type { Database } from './db/client.js';
import { withTenant } from './db/tenant.js';
import { backlog } from './repositories/notifications.js';
import { rawRows } from './repositories/rows.js';

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
   * A figure read from the database, or null when it cannot answer: the gauge then keeps its last
   * value, so a scrape during an outage still answers (the pool and process figures matter most then).
   */
  const count = async (query: ReturnType<typeof sql>): Promise<number | null> => {
    try {
      const result = (await database.db.execute(query)) as unknown as { rows: { n: number | string }[] };
      return Number(result.rows[0]?.n ?? 0);
    } catch {
      return null;
    }
  };
  new Gauge({
    name: 'registry_audit_chain_length',
    help: 'Entries in the audit chain (its highest seq).',
    registers: [registry],
    async collect() {
      const n = await count(sql`select coalesce(max(seq), 0) as n from audit_log`);
      if (n !== null) this.set(n);
    },
  });
  new Gauge({
    name: 'registry_idempotency_keys',
    help: 'Idempotency keys stored (live and not yet purged).',
    registers: [registry],
    async collect() {
      const n = await count(sql`select count(*)::int as n from idempotency_keys`);
      if (n !== null) this.set(n);
    },
  });
  // Notifications, read across every tenant (subscriptions are under row-level security).
  const ALL = { kind: 'all' } as const;
  new Gauge({
    name: 'registry_subscriptions',
    help: 'Webhook subscriptions by status; a disabled one (paused by a client, or given up) gets nothing until re-enabled.',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      try {
        const rows = await withTenant(database.db, ALL, (tx) =>
          rawRows<{ status: string; n: number | string }>(
            tx,
            sql`select s.status, count(x.id)::int as n from (values ('active'), ('disabled')) as s(status)
                left join subscriptions x on x.status = s.status group by s.status`,
          ),
        );
        for (const r of rows) this.set({ status: r.status }, Number(r.n));
      } catch {
        // the database away: the gauge keeps its last values
      }
    },
  });
  new Gauge({
    name: 'registry_subscriptions_given_up',
    help: 'Subscriptions the service disabled because their deliveries failed for the give-up period, or their receiver answered 410 Gone: alert on it.',
    registers: [registry],
    async collect() {
      try {
        // The dispatcher's reasons start with 'deliveries ' (application/notifications/dispatcher.ts); a client's do not.
        const [row] = await withTenant(database.db, ALL, (tx) =>
          rawRows<{ n: number | string }>(
            tx,
            sql`select count(*)::int as n from subscriptions where status = 'disabled' and disabled_reason like 'deliveries %'`,
          ),
        );
        this.set(Number(row?.n ?? 0));
      } catch {
        // the database away: the gauge keeps its last value
      }
    },
  });
  // One query for the two backlog gauges: a scrape collects every metric at once, and both share it.
  let backlogRead: Promise<Awaited<ReturnType<typeof backlog>> | null> | null = null;
  const waiting = () => {
    backlogRead ??= withTenant(database.db, ALL, (tx) => backlog(tx))
      .catch(() => null)
      .finally(() => {
        backlogRead = null;
      });
    return backlogRead;
  };
  new Gauge({
    name: 'registry_notifications_backlog',
    help: 'Events not yet fanned out plus deliveries waiting for an attempt, of active subscriptions.',
    registers: [registry],
    async collect() {
      const b = await waiting();
      if (b) this.set(b.backlog);
    },
  });
  new Gauge({
    name: 'registry_notifications_oldest_undelivered_age_seconds',
    help: 'How long the oldest undelivered event has waited (0 with none).',
    registers: [registry],
    async collect() {
      const b = await waiting();
      if (b) this.set(b.oldestUndeliveredAgeSeconds ?? 0);
    },
  });
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

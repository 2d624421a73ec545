-- 1. Rate-limit counts shared by every instance (RATE_LIMIT_STORE=postgres): one row per client and
--    window. Unlogged: counts of the current minute need no crash safety, replication or backup, and
--    unlogged writes are cheaper. src/infrastructure/rate-limit-store.ts increments them.
CREATE UNLOGGED TABLE IF NOT EXISTS rate_limit_counters (
  key text PRIMARY KEY,
  window_start timestamptz NOT NULL,
  count integer NOT NULL
);
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON rate_limit_counters TO registry_app;

-- 1. The audit trail is append-only in the database too: UPDATE, DELETE and TRUNCATE are refused
--    for everyone, owner included. A superuser can still disable the trigger; that is what the
--    hash chain is for (verification finds the edit).
CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change();
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log;
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();
--> statement-breakpoint

-- 2. The role the service's transactions run as (withTenant in src/infrastructure/db/tenant.ts:
--    set_config('role', 'registry_app', true)).
--    Superusers bypass row-level security, so the service switches to this NOLOGIN role per
--    transaction. Roles are per cluster, databases are not: creation is idempotent and tolerates
--    another database's migration creating it at the same moment.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'registry_app') THEN
    CREATE ROLE registry_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
  NULL;
END;
$$;
--> statement-breakpoint
-- A non-superuser that runs the migrations must be a member to switch to it.
DO $$
BEGIN
  IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    EXECUTE format('GRANT registry_app TO %I', current_user);
  END IF;
END;
$$;
--> statement-breakpoint
GRANT USAGE ON SCHEMA public TO registry_app;
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO registry_app;
--> statement-breakpoint
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO registry_app;
--> statement-breakpoint
-- Schemas, tables and sequences that later migrations create (run by the same user), in any
-- schema, get the same grants, so other areas' tables work inside client transactions.
ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO registry_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO registry_app;
--> statement-breakpoint
ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO registry_app;
--> statement-breakpoint
-- The service only ever appends to the trail.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM registry_app;
--> statement-breakpoint

-- 3. Tenant isolation: row-level security on the establishment-level tables, forced (so the
--    owner is bound too), keyed on the transaction's municipality. (Migration 0010 replaced the
--    predicate below with a fail-closed one: no setting means no rows, 'all' must be explicit.)
CREATE OR REPLACE FUNCTION registry_tenant_allows(code text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT coalesce(current_setting('app.municipality', true), '') = ''
      OR code = current_setting('app.municipality', true)
$$;
--> statement-breakpoint
ALTER TABLE establishments ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE establishments FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
DROP POLICY IF EXISTS establishments_tenant ON establishments;
--> statement-breakpoint
CREATE POLICY establishments_tenant ON establishments
  USING (registry_tenant_allows(municipality_code))
  WITH CHECK (registry_tenant_allows(municipality_code));
--> statement-breakpoint
ALTER TABLE licences ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE licences FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
DROP POLICY IF EXISTS licences_tenant ON licences;
--> statement-breakpoint
CREATE POLICY licences_tenant ON licences
  USING (registry_tenant_allows(municipality_code))
  WITH CHECK (registry_tenant_allows(municipality_code));
--> statement-breakpoint
ALTER TABLE enforcement_actions ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE enforcement_actions FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
DROP POLICY IF EXISTS enforcement_actions_tenant ON enforcement_actions;
--> statement-breakpoint
CREATE POLICY enforcement_actions_tenant ON enforcement_actions
  USING (registry_tenant_allows(municipality_code))
  WITH CHECK (registry_tenant_allows(municipality_code));
--> statement-breakpoint
-- audit_log gets no read policy on purpose: the chain head is read inside the writer's transaction
-- (since migration 0008 by the deferred trigger at COMMIT), and an officer who saw only its own
-- municipality's entries would fork the chain.
-- Its reads are scoped by the audit-trail routes instead.
SELECT 1;
--> statement-breakpoint
-- An establishment's trail includes its licences' entries, also of licences deleted since
-- (licences are deleted outright): find them by the establishmentId in their snapshots.
CREATE INDEX IF NOT EXISTS audit_log_licence_establishment_idx
  ON audit_log ((coalesce("after" ->> 'establishmentId', "before" ->> 'establishmentId')), seq)
  WHERE object_type = 'licence';

-- Row-level security, fail-closed. Until now an empty or missing app.municipality meant every
-- municipality, so a query that ran without the tenant setting saw everything. From here on a
-- transaction names its scope explicitly (src/infrastructure/db/tenant.ts):
--   app.scope = 'municipality' with app.municipality = 'GM….': that municipality's rows only;
--   app.scope = 'all': every municipality (analysts, admins, the service's own work);
--   anything else, a missing setting included: no rows at all.
CREATE OR REPLACE FUNCTION registry_tenant_allows(code text) RETURNS boolean
LANGUAGE sql STABLE AS $$
  SELECT CASE current_setting('app.scope', true)
    WHEN 'all' THEN true
    WHEN 'municipality' THEN code = nullif(current_setting('app.municipality', true), '')
    ELSE false
  END
$$;
--> statement-breakpoint
-- The service may log in as its own non-superuser role (DATABASE_URL) while migrations run through a
-- privileged one (DATABASE_MIGRATION_URL); the migrating side makes the service's role a member of
-- registry_app, so it can switch to it per transaction and has its table privileges, nothing more.
CREATE OR REPLACE FUNCTION registry_grant_app_role(login text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF NOT pg_has_role(login, 'registry_app', 'MEMBER') THEN
    EXECUTE format('GRANT registry_app TO %I', login);
  END IF;
END;
$$;

-- Issue 15. Three record kinds the statistics need, kept out of the drizzle schema files (their
-- repositories are plain SQL, like the statistics rollups' readers).
--
-- reporting_attestations: a municipality states that its records for a year are complete
-- (possibly "nothing to report"). A record like any other: version, audit trail, withdrawal as a
-- tombstone with a reason. One live attestation per municipality and year.
CREATE TABLE reporting_attestations (
  id uuid PRIMARY KEY,
  municipality_code text NOT NULL REFERENCES municipalities(code),
  year integer NOT NULL,
  complete boolean NOT NULL,
  nothing_to_report boolean NOT NULL,
  statement text,
  attested_at timestamp (3) with time zone NOT NULL,
  attested_by text NOT NULL,
  created_at timestamp (3) with time zone NOT NULL,
  updated_at timestamp (3) with time zone NOT NULL,
  created_by uuid NOT NULL,
  updated_by uuid NOT NULL,
  version integer NOT NULL DEFAULT 1,
  deleted_at timestamp (3) with time zone,
  deleted_by uuid,
  delete_reason text,
  CONSTRAINT reporting_attestations_year CHECK (year BETWEEN 1900 AND 2200),
  CONSTRAINT reporting_attestations_complete CHECK (complete)
);
--> statement-breakpoint
CREATE UNIQUE INDEX reporting_attestations_live ON reporting_attestations (municipality_code, year) WHERE deleted_at IS NULL;
--> statement-breakpoint
ALTER TABLE reporting_attestations ENABLE ROW LEVEL SECURITY;
--> statement-breakpoint
ALTER TABLE reporting_attestations FORCE ROW LEVEL SECURITY;
--> statement-breakpoint
CREATE POLICY reporting_attestations_tenant ON reporting_attestations
  USING (registry_tenant_allows(municipality_code))
  WITH CHECK (registry_tenant_allows(municipality_code));
--> statement-breakpoint
GRANT SELECT, INSERT, UPDATE ON reporting_attestations TO registry_app;
--> statement-breakpoint
-- statistics_releases: an immutable, numbered table of figures (the question, the counting rule,
-- the numbers, when it held). Cited by number; append-only.
CREATE TABLE statistics_releases (
  number integer PRIMARY KEY,
  published_at timestamp (3) with time zone NOT NULL,
  published_by uuid,
  as_of timestamp (3) with time zone NOT NULL,
  title text NOT NULL,
  query jsonb NOT NULL,
  counting_rule jsonb NOT NULL,
  items jsonb NOT NULL
);
--> statement-breakpoint
GRANT SELECT, INSERT ON statistics_releases TO registry_app;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON statistics_releases FROM registry_app;
--> statement-breakpoint
-- open_data_releases: the open data as computed at a fixed moment (one per moment), served
-- unchanged until the next moment. Append-only.
CREATE TABLE open_data_releases (
  moment timestamp (3) with time zone PRIMARY KEY,
  computed_at timestamp (3) with time zone NOT NULL,
  content jsonb NOT NULL
);
--> statement-breakpoint
GRANT SELECT, INSERT ON open_data_releases TO registry_app;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON open_data_releases FROM registry_app;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION registry_release_is_immutable() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: a release never changes', TG_TABLE_NAME USING ERRCODE = '55000';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER statistics_releases_immutable BEFORE UPDATE OR DELETE ON statistics_releases
  FOR EACH ROW EXECUTE FUNCTION registry_release_is_immutable();
--> statement-breakpoint
CREATE TRIGGER statistics_releases_no_truncate BEFORE TRUNCATE ON statistics_releases
  FOR EACH STATEMENT EXECUTE FUNCTION registry_release_is_immutable();
--> statement-breakpoint
CREATE TRIGGER open_data_releases_immutable BEFORE UPDATE OR DELETE ON open_data_releases
  FOR EACH ROW EXECUTE FUNCTION registry_release_is_immutable();
--> statement-breakpoint
CREATE TRIGGER open_data_releases_no_truncate BEFORE TRUNCATE ON open_data_releases
  FOR EACH STATEMENT EXECUTE FUNCTION registry_release_is_immutable();

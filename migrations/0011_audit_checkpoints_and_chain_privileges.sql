CREATE TABLE "audit_checkpoints" (
	"id" uuid PRIMARY KEY NOT NULL,
	"seq" bigint NOT NULL,
	"head_hash" text NOT NULL,
	"signed_at" timestamp (3) with time zone NOT NULL,
	"key_id" text NOT NULL,
	"signature" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "audit_checkpoints_seq_idx" ON "audit_checkpoints" USING btree ("seq","signed_at");--> statement-breakpoint
-- Why (issue 11, finding 9): the service's role could INSERT into audit_log directly and append
-- forged entries that verified. From here on registry_app writes the trail only through
-- audit_pending: the deferred chaining function runs as its owner (the migrating role:
-- SECURITY DEFINER, with a fixed search_path so no caller's schema can stand in for audit_log).
REVOKE INSERT ON audit_log FROM registry_app;
--> statement-breakpoint
ALTER FUNCTION audit_chain_pending() SECURITY DEFINER;
--> statement-breakpoint
ALTER FUNCTION audit_chain_pending() SET search_path = public, pg_temp;
--> statement-breakpoint
-- Checkpoints are append-only too: the service inserts and reads them, nobody changes them.
CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
GRANT SELECT, INSERT ON audit_checkpoints TO registry_app;
--> statement-breakpoint
REVOKE UPDATE, DELETE, TRUNCATE ON audit_checkpoints FROM registry_app;
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_log_reject_change();
--> statement-breakpoint
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_reject_change();

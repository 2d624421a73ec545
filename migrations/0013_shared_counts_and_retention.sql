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
--> statement-breakpoint

-- 2. Destruction under the Archiefwet (src/application/commands/retention.ts). A record past its
--    retention period is deleted, and the payloads of its audit entries (before, after, reason)
--    are blanked. Everything else of those entries stays, their stored content_hash and hash
--    included, so the chain still links; a 'destroy' entry, itself chained, lists the blanked
--    entries' seq, which is how the verifier (src/infrastructure/audit/chain.ts) tells a destroyed
--    payload from a tampered one.
--
--    The trail stays append-only for everyone: the only UPDATE the trigger lets through is
--    one that blanks exactly those three fields, inside registry_destroy_trail() (the flag below
--    is set there; registry_app has no UPDATE privilege on audit_log at all, so the function,
--    which runs as its owner, is the only way the service can reach it).
CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND current_setting('registry.destroying', true) = 'on'
     AND NEW."before" IS NULL AND NEW."after" IS NULL AND NEW.reason IS NULL
     AND (NEW.seq, NEW.id, NEW.occurred_at, NEW.client_id, NEW.client_role, NEW.action, NEW.object_type,
          NEW.object_id, NEW.municipality_code, NEW.request_id, NEW.prev_hash, NEW.hash, NEW.content_hash)
         IS NOT DISTINCT FROM
         (OLD.seq, OLD.id, OLD.occurred_at, OLD.client_id, OLD.client_role, OLD.action, OLD.object_type,
          OLD.object_id, OLD.municipality_code, OLD.request_id, OLD.prev_hash, OLD.hash, OLD.content_hash)
  THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
-- Blanks the payloads of every entry about these records (not 'destroy' entries) and answers which
-- entries it blanked. Refuses while any of the records still exists: the record goes first.
CREATE OR REPLACE FUNCTION registry_destroy_trail(kind text, ids text[])
RETURNS TABLE (destroyed_object_id text, destroyed_seq bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  remaining bigint;
BEGIN
  IF kind = 'establishment' THEN
    SELECT count(*) INTO remaining FROM establishments WHERE id::text = ANY(ids);
  ELSIF kind = 'licence' THEN
    SELECT count(*) INTO remaining FROM licences WHERE id::text = ANY(ids);
  ELSIF kind = 'enforcement_action' THEN
    SELECT count(*) INTO remaining FROM enforcement_actions WHERE id::text = ANY(ids);
  ELSE
    RAISE EXCEPTION 'records of type % are not destroyed', kind USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF remaining > 0 THEN
    RAISE EXCEPTION '% %(s) still exist: destroy the record before its trail', remaining, kind
      USING ERRCODE = 'object_in_use';
  END IF;
  PERFORM set_config('registry.destroying', 'on', true);
  RETURN QUERY
    UPDATE audit_log a SET "before" = NULL, "after" = NULL, reason = NULL
    WHERE a.object_type = kind AND a.object_id = ANY(ids) AND a.action <> 'destroy'
    RETURNING a.object_id, a.seq;
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION registry_destroy_trail(text, text[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION registry_destroy_trail(text, text[]) TO registry_app;
--> statement-breakpoint
-- Statistics keep the counts of destroyed actions (they hold no record content): a delete in a
-- destroying transaction leaves the rollups alone. statistics_rebuild_rollups() counts the rows
-- that exist, so after a destruction it would drop those counts: do not run it then.
CREATE OR REPLACE FUNCTION statistics_on_action_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('registry.destroying', true) = 'on' THEN
    RETURN NULL;
  END IF;
  PERFORM audit_chain_lock();
  IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
    PERFORM statistics_apply_action(OLD, -1);
  END IF;
  IF TG_OP = 'UPDATE' OR TG_OP = 'INSERT' THEN
    PERFORM statistics_apply_action(NEW, 1);
  END IF;
  RETURN NULL;
END
$$;

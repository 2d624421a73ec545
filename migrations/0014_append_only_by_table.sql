-- One append-only trigger function serves audit_log (0002) and audit_checkpoints (0011). Migration
-- 0013 let it allow the controlled blanking of destroyed records' audit payloads, reading NEW's
-- audit_log columns; on audit_checkpoints, which has none of them, that read failed before the
-- refusal. Now the audit_log exception is looked at only for audit_log, and every other change is
-- refused naming its table.
CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'audit_log' AND TG_OP = 'UPDATE' AND current_setting('registry.destroying', true) = 'on' THEN
    IF NEW."before" IS NULL AND NEW."after" IS NULL AND NEW.reason IS NULL
       AND (NEW.seq, NEW.id, NEW.occurred_at, NEW.client_id, NEW.client_role, NEW.action, NEW.object_type,
            NEW.object_id, NEW.municipality_code, NEW.request_id, NEW.prev_hash, NEW.hash, NEW.content_hash)
           IS NOT DISTINCT FROM
           (OLD.seq, OLD.id, OLD.occurred_at, OLD.client_id, OLD.client_role, OLD.action, OLD.object_type,
            OLD.object_id, OLD.municipality_code, OLD.request_id, OLD.prev_hash, OLD.hash, OLD.content_hash)
    THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

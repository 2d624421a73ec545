-- Redaction of personal data (src/application/commands/redaction.ts, docs/audit-trail.md#redaction).
-- Text written before the personal-data rule (src/domain/personal-data.ts) refused it may hold an
-- e-mail address, a phone number or a BSN, and audit entries keep it in their reason, before and
-- after. A redaction replaces such a text in an entry with the fixed text '[removed: personal data]'
-- (REDACTED in src/domain/personal-data.ts), and a 'redact' entry, itself chained, records which
-- fields of which entries and the content hash each has since, which is how the verifier tells a
-- redaction from tampering. Everything else of a redacted entry stays, its stored content_hash and
-- hash included, so the chain still links.
--
-- The trail stays append-only for everyone: besides the destruction's blanking (0013), the only
-- UPDATE the trigger lets through is one made inside registry_redact_entry() (the flag below is set
-- there; registry_app has no UPDATE privilege on audit_log), which can do nothing but put that fixed
-- text in place of a text.
CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Nested: NEW and OLD have audit_log's columns only when the table is audit_log and the operation an
  -- UPDATE (the function also guards audit_checkpoints, 0014).
  IF TG_TABLE_NAME = 'audit_log' AND TG_OP = 'UPDATE' THEN
    IF (NEW.seq, NEW.id, NEW.occurred_at, NEW.client_id, NEW.client_role, NEW.action, NEW.object_type,
        NEW.object_id, NEW.municipality_code, NEW.request_id, NEW.prev_hash, NEW.hash, NEW.content_hash,
        NEW.actor_id, NEW.actor_name, NEW.actor_verified)
       IS NOT DISTINCT FROM
       (OLD.seq, OLD.id, OLD.occurred_at, OLD.client_id, OLD.client_role, OLD.action, OLD.object_type,
        OLD.object_id, OLD.municipality_code, OLD.request_id, OLD.prev_hash, OLD.hash, OLD.content_hash,
        OLD.actor_id, OLD.actor_name, OLD.actor_verified)
    THEN
      IF current_setting('registry.destroying', true) = 'on'
         AND NEW."before" IS NULL AND NEW."after" IS NULL AND NEW.reason IS NULL THEN
        RETURN NEW;
      END IF;
      IF current_setting('registry.redacting', true) = 'on' THEN
        RETURN NEW;
      END IF;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
-- Puts '[removed: personal data]' in place of each named text of one entry: 'reason', or the free text
-- of the record it keeps ('before.address.street', 'after.legalBasis'; FREE_TEXT_FIELDS in
-- src/domain/personal-data.ts, listed again below so that not even the service's own credentials can
-- put it over a code, a date or a reference), which must hold a text. Refuses entries of chain format
-- 1 (their hash covers the content itself), destroy and redact entries, and a field that holds no text.
CREATE OR REPLACE FUNCTION registry_redact_entry(p_seq bigint, p_fields text[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  marker CONSTANT text := '[removed: personal data]';
  e audit_log%ROWTYPE;
  f text;
  p text[];
BEGIN
  SELECT * INTO e FROM audit_log WHERE seq = p_seq FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'there is no audit entry %', p_seq USING ERRCODE = 'no_data_found';
  END IF;
  IF e.content_hash IS NULL OR e.action IN ('destroy', 'redact') THEN
    RAISE EXCEPTION 'audit entry % (%, chain format %) is not redacted', p_seq, e.action,
      CASE WHEN e.content_hash IS NULL THEN 1 ELSE 2 END USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF coalesce(cardinality(p_fields), 0) = 0 THEN
    RAISE EXCEPTION 'no field of audit entry % named', p_seq USING ERRCODE = 'invalid_parameter_value';
  END IF;
  FOREACH f IN ARRAY p_fields LOOP
    p := string_to_array(f, '.');
    IF f <> 'reason' AND NOT (p[1] IN ('before', 'after') AND (e.object_type, array_to_string(p[2:], '.')) IN (
         ('establishment', 'name'), ('establishment', 'address.street'), ('establishment', 'address.city'),
         ('enforcement_action', 'legalBasis'), ('reporting_attestation', 'statement'),
         ('subscription', 'description'), ('api_client', 'name'), ('statistics_release', 'title'))) THEN
      RAISE EXCEPTION '% of audit entry % is no free text', f, p_seq USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF f = 'reason' AND e.reason IS NOT NULL THEN
      e.reason := marker;
    ELSIF p[1] = 'before' AND cardinality(p) > 1 AND jsonb_typeof(e."before" #> p[2:]) = 'string' THEN
      e."before" := jsonb_set(e."before", p[2:], to_jsonb(marker));
    ELSIF p[1] = 'after' AND cardinality(p) > 1 AND jsonb_typeof(e."after" #> p[2:]) = 'string' THEN
      e."after" := jsonb_set(e."after", p[2:], to_jsonb(marker));
    ELSE
      RAISE EXCEPTION 'audit entry % holds no text at %', p_seq, f USING ERRCODE = 'invalid_parameter_value';
    END IF;
  END LOOP;
  PERFORM set_config('registry.redacting', 'on', true);
  UPDATE audit_log SET "before" = e."before", "after" = e."after", reason = e.reason WHERE seq = p_seq;
  PERFORM set_config('registry.redacting', 'off', true);
END;
$$;
--> statement-breakpoint
REVOKE ALL ON FUNCTION registry_redact_entry(bigint, text[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION registry_redact_entry(bigint, text[]) TO registry_app;

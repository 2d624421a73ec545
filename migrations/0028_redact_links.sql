-- As in 0025, with the links the personal-data rule now judges too (LINK_FIELDS in
-- src/domain/personal-data.ts): an action's zaakUrl and besluitUrl and a subscription's callbackUrl
-- could carry an e-mail address or a BSN in their path or query, and what the rule finds there must be
-- removable from the audit trail as free text is.
--
-- Puts '[removed: personal data]' in place of each named text of one entry: 'reason', or the free text
-- or a link of the record it keeps ('before.address.street', 'after.legalBasis', 'after.zaakUrl';
-- FREE_TEXT_FIELDS and LINK_FIELDS in src/domain/personal-data.ts, listed again below so that not even
-- the service's own credentials can put it over a code, a date or a reference), which must hold a text.
-- Refuses entries of chain format 1 (their hash covers the content itself), destroy and redact entries,
-- and a field that holds no text.
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
         ('enforcement_action', 'legalBasis'), ('enforcement_action', 'zaakUrl'), ('enforcement_action', 'besluitUrl'),
         ('reporting_attestation', 'statement'), ('subscription', 'description'), ('subscription', 'callbackUrl'),
         ('api_client', 'name'), ('statistics_release', 'title'))) THEN
      RAISE EXCEPTION '% of audit entry % is no free text or link', f, p_seq USING ERRCODE = 'invalid_parameter_value';
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
-- CREATE OR REPLACE keeps the grants of 0025 (EXECUTE for registry_app only); stated again all the same.
REVOKE ALL ON FUNCTION registry_redact_entry(bigint, text[]) FROM PUBLIC;
--> statement-breakpoint
GRANT EXECUTE ON FUNCTION registry_redact_entry(bigint, text[]) TO registry_app;

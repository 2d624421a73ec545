-- Issue 12: the acting person in every audit entry (an officer from the municipality's identity
-- provider, or the person a system token declares), and links from an enforcement action to its
-- zaak and besluit in the municipality's ZGW APIs.
ALTER TABLE "audit_log" ADD COLUMN "actor_id" text;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "actor_name" text;--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "actor_verified" boolean;--> statement-breakpoint
ALTER TABLE "audit_pending" ADD COLUMN "actor_id" text;--> statement-breakpoint
ALTER TABLE "audit_pending" ADD COLUMN "actor_name" text;--> statement-breakpoint
ALTER TABLE "audit_pending" ADD COLUMN "actor_verified" boolean;--> statement-breakpoint
ALTER TABLE "enforcement_actions" ADD COLUMN "zaak_url" text;--> statement-breakpoint
ALTER TABLE "enforcement_actions" ADD COLUMN "besluit_url" text;--> statement-breakpoint
CREATE INDEX "audit_log_actor_idx" ON "audit_log" USING btree ("actor_id","seq");--> statement-breakpoint
CREATE INDEX "enforcement_actions_zaak_url_idx" ON "enforcement_actions" USING btree ("zaak_url");--> statement-breakpoint
CREATE INDEX "enforcement_actions_besluit_url_idx" ON "enforcement_actions" USING btree ("besluit_url");--> statement-breakpoint
-- The chaining at commit (0008, owner's rights since 0011) copies the actor too.
CREATE OR REPLACE FUNCTION audit_chain_pending() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
  head_seq bigint;
  head_hash text;
BEGIN
  PERFORM audit_chain_lock();
  SELECT a.seq, a.hash INTO head_seq, head_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
  head_seq := coalesce(head_seq, 0) + 1;
  head_hash := coalesce(head_hash, repeat('0', 64));
  INSERT INTO audit_log (seq, id, occurred_at, client_id, client_role, action, object_type, object_id,
    municipality_code, "before", "after", reason, request_id, actor_id, actor_name, actor_verified,
    prev_hash, hash, content_hash)
  VALUES (head_seq, NEW.id, NEW.occurred_at, NEW.client_id, NEW.client_role, NEW.action, NEW.object_type,
    NEW.object_id, NEW.municipality_code, NEW."before", NEW."after", NEW.reason, NEW.request_id,
    NEW.actor_id, NEW.actor_name, NEW.actor_verified, head_hash,
    encode(sha256(convert_to(head_seq::text || ':' || head_hash || ':' || NEW.content_hash, 'UTF8')), 'hex'),
    NEW.content_hash);
  DELETE FROM audit_pending WHERE id = NEW.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- The controlled blanking of a destroyed record's payload (0013, 0014) may not touch the actor either.
CREATE OR REPLACE FUNCTION audit_log_reject_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'audit_log' AND TG_OP = 'UPDATE' AND current_setting('registry.destroying', true) = 'on' THEN
    IF NEW."before" IS NULL AND NEW."after" IS NULL AND NEW.reason IS NULL
       AND (NEW.seq, NEW.id, NEW.occurred_at, NEW.client_id, NEW.client_role, NEW.action, NEW.object_type,
            NEW.object_id, NEW.municipality_code, NEW.request_id, NEW.prev_hash, NEW.hash, NEW.content_hash,
            NEW.actor_id, NEW.actor_name, NEW.actor_verified)
           IS NOT DISTINCT FROM
           (OLD.seq, OLD.id, OLD.occurred_at, OLD.client_id, OLD.client_role, OLD.action, OLD.object_type,
            OLD.object_id, OLD.municipality_code, OLD.request_id, OLD.prev_hash, OLD.hash, OLD.content_hash,
            OLD.actor_id, OLD.actor_name, OLD.actor_verified)
    THEN
      RETURN NEW;
    END IF;
  END IF;
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TABLE "audit_pending" (
	"id" uuid PRIMARY KEY NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"client_id" uuid,
	"client_role" text NOT NULL,
	"action" text NOT NULL,
	"object_type" text NOT NULL,
	"object_id" text NOT NULL,
	"municipality_code" text,
	"before" jsonb,
	"after" jsonb,
	"reason" text,
	"request_id" text,
	"content_hash" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "audit_log" ADD COLUMN "content_hash" text;--> statement-breakpoint
-- Why: every write used to take the chain's advisory lock in the middle of its transaction
-- (audit_chain_head) and hold it through the service's remaining round trips and the commit, so
-- all writes in the country queued on one lock held for milliseconds of Node work. Now a write
-- inserts its entries into audit_pending (no lock), and the deferred trigger below chains them at
-- COMMIT, inside the database: the lock is held only for the commit itself.
--
-- Chain format 2 (entries with content_hash): content_hash = SHA-256 (hex) of the RFC 8785
-- canonical JSON of the entry's content, computed by the service (src/infrastructure/audit/chain.ts
-- contentHash); hash = SHA-256 (hex) of the UTF-8 text `seq:prev_hash:content_hash`.
-- Entries written before this migration keep format 1 (content_hash null) and verify as before.
CREATE OR REPLACE FUNCTION audit_chain_lock() RETURNS void
LANGUAGE sql VOLATILE AS $$ SELECT pg_advisory_xact_lock(7240001) $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION audit_chain_pending() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  head_seq bigint;
  head_hash text;
BEGIN
  PERFORM audit_chain_lock();
  -- A new snapshot per statement (READ COMMITTED), taken after the lock: sees every entry
  -- committed before it, and this transaction's own.
  SELECT a.seq, a.hash INTO head_seq, head_hash FROM audit_log a ORDER BY a.seq DESC LIMIT 1;
  head_seq := coalesce(head_seq, 0) + 1;
  head_hash := coalesce(head_hash, repeat('0', 64));
  INSERT INTO audit_log (seq, id, occurred_at, client_id, client_role, action, object_type, object_id,
    municipality_code, "before", "after", reason, request_id, prev_hash, hash, content_hash)
  VALUES (head_seq, NEW.id, NEW.occurred_at, NEW.client_id, NEW.client_role, NEW.action, NEW.object_type,
    NEW.object_id, NEW.municipality_code, NEW."before", NEW."after", NEW.reason, NEW.request_id, head_hash,
    encode(sha256(convert_to(head_seq::text || ':' || head_hash || ':' || NEW.content_hash, 'UTF8')), 'hex'),
    NEW.content_hash);
  DELETE FROM audit_pending WHERE id = NEW.id;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Deferred: fires at COMMIT, in the order the entries were written.
CREATE CONSTRAINT TRIGGER audit_pending_chain AFTER INSERT ON audit_pending
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_chain_pending();
--> statement-breakpoint
DROP FUNCTION IF EXISTS audit_chain_head(bigint);
--> statement-breakpoint
-- The statistics rollups move to commit time as well: a national cell is one row that every
-- create of that year, measure and stage updates, and its row lock was held from the insert to
-- the end of the transaction. Deferred, the cells are updated at COMMIT, after taking the chain
-- lock first: every writing transaction's commit work then runs one at a time in one lock order
-- (chain, then cells), so no two writes can deadlock on cells, and nobody waits on a cell while
-- the service works.
CREATE OR REPLACE FUNCTION statistics_on_action_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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
--> statement-breakpoint
DROP TRIGGER IF EXISTS statistics_actions_insert_delete ON enforcement_actions;
--> statement-breakpoint
DROP TRIGGER IF EXISTS statistics_actions_update ON enforcement_actions;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER statistics_actions_insert_delete AFTER INSERT OR DELETE ON enforcement_actions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION statistics_on_action_change();
--> statement-breakpoint
-- Only updates that change what a cell holds: version bumps alone do not touch the rollups.
CREATE CONSTRAINT TRIGGER statistics_actions_update AFTER UPDATE ON enforcement_actions
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (
    OLD.decision_date IS DISTINCT FROM NEW.decision_date OR OLD.municipality_code IS DISTINCT FROM NEW.municipality_code
    OR OLD.licence_status IS DISTINCT FROM NEW.licence_status OR OLD.measure IS DISTINCT FROM NEW.measure
    OR OLD.stage IS DISTINCT FROM NEW.stage OR OLD.grounds IS DISTINCT FROM NEW.grounds
    OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.fine_amount_cents IS DISTINCT FROM NEW.fine_amount_cents
    OR OLD.penalty_maximum_cents IS DISTINCT FROM NEW.penalty_maximum_cents
    OR OLD.penalty_forfeited_cents IS DISTINCT FROM NEW.penalty_forfeited_cents)
  EXECUTE FUNCTION statistics_on_action_change();

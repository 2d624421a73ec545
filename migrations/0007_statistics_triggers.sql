-- Statistics rollups kept up to date in the same transaction as every write to enforcement_actions.
-- A live (not deleted) action adds +1 and its amounts to its cells; the old row version is subtracted
-- on update and delete, so stage changes, moved decision dates, re-derived licence statuses and
-- tombstones (deleted_at set) all land in the right cells. Four rollups: per municipality and national
-- (all municipalities together), each also per ground. PostgreSQL 15 compatible.
-- The rollup tables have no row-level security: they hold counts, not records, and the trigger
-- functions must update them whichever municipality the writing transaction is scoped to.
CREATE OR REPLACE FUNCTION statistics_apply_action(r enforcement_actions, sign integer) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF r.deleted_at IS NOT NULL THEN
    RETURN;
  END IF;
  INSERT INTO statistics_action_cells AS c
    (year, municipality_code, licence_status, measure, stage, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  VALUES (
    extract(year FROM r.decision_date)::int, r.municipality_code, r.licence_status, r.measure, r.stage, sign,
    sign * coalesce(r.fine_amount_cents, 0), sign * coalesce(r.penalty_maximum_cents, 0), sign * coalesce(r.penalty_forfeited_cents, 0))
  ON CONFLICT (year, municipality_code, licence_status, measure, stage) DO UPDATE SET
    actions = c.actions + excluded.actions,
    fine_amount_cents = c.fine_amount_cents + excluded.fine_amount_cents,
    penalty_maximum_cents = c.penalty_maximum_cents + excluded.penalty_maximum_cents,
    penalty_forfeited_cents = c.penalty_forfeited_cents + excluded.penalty_forfeited_cents;
  INSERT INTO statistics_action_ground_cells AS c
    (year, municipality_code, licence_status, measure, stage, ground, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  SELECT extract(year FROM r.decision_date)::int, r.municipality_code, r.licence_status, r.measure, r.stage, g.ground, sign,
    sign * coalesce(r.fine_amount_cents, 0), sign * coalesce(r.penalty_maximum_cents, 0), sign * coalesce(r.penalty_forfeited_cents, 0)
  FROM (SELECT DISTINCT unnest(r.grounds) AS ground) g
  ON CONFLICT (year, municipality_code, licence_status, measure, stage, ground) DO UPDATE SET
    actions = c.actions + excluded.actions,
    fine_amount_cents = c.fine_amount_cents + excluded.fine_amount_cents,
    penalty_maximum_cents = c.penalty_maximum_cents + excluded.penalty_maximum_cents,
    penalty_forfeited_cents = c.penalty_forfeited_cents + excluded.penalty_forfeited_cents;
  INSERT INTO statistics_national_cells AS c
    (year, licence_status, measure, stage, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  VALUES (
    extract(year FROM r.decision_date)::int, r.licence_status, r.measure, r.stage, sign,
    sign * coalesce(r.fine_amount_cents, 0), sign * coalesce(r.penalty_maximum_cents, 0), sign * coalesce(r.penalty_forfeited_cents, 0))
  ON CONFLICT (year, licence_status, measure, stage) DO UPDATE SET
    actions = c.actions + excluded.actions,
    fine_amount_cents = c.fine_amount_cents + excluded.fine_amount_cents,
    penalty_maximum_cents = c.penalty_maximum_cents + excluded.penalty_maximum_cents,
    penalty_forfeited_cents = c.penalty_forfeited_cents + excluded.penalty_forfeited_cents;
  INSERT INTO statistics_national_ground_cells AS c
    (year, licence_status, measure, stage, ground, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  SELECT extract(year FROM r.decision_date)::int, r.licence_status, r.measure, r.stage, g.ground, sign,
    sign * coalesce(r.fine_amount_cents, 0), sign * coalesce(r.penalty_maximum_cents, 0), sign * coalesce(r.penalty_forfeited_cents, 0)
  FROM (SELECT DISTINCT unnest(r.grounds) AS ground) g
  ON CONFLICT (year, licence_status, measure, stage, ground) DO UPDATE SET
    actions = c.actions + excluded.actions,
    fine_amount_cents = c.fine_amount_cents + excluded.fine_amount_cents,
    penalty_maximum_cents = c.penalty_maximum_cents + excluded.penalty_maximum_cents,
    penalty_forfeited_cents = c.penalty_forfeited_cents + excluded.penalty_forfeited_cents;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION statistics_on_action_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
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
CREATE OR REPLACE FUNCTION statistics_on_actions_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE statistics_action_cells, statistics_action_ground_cells, statistics_national_cells, statistics_national_ground_cells;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Rebuilds both rollups from enforcement_actions in one statement each: used after a bulk load
-- with the triggers disabled (scripts/bench-statistics.ts) and here for rows that already exist.
CREATE OR REPLACE FUNCTION statistics_rebuild_rollups() RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM statistics_action_cells;
  DELETE FROM statistics_action_ground_cells;
  DELETE FROM statistics_national_cells;
  DELETE FROM statistics_national_ground_cells;
  INSERT INTO statistics_action_cells
    (year, municipality_code, licence_status, measure, stage, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  SELECT extract(year FROM decision_date)::int, municipality_code, licence_status, measure, stage, count(*),
    coalesce(sum(fine_amount_cents), 0), coalesce(sum(penalty_maximum_cents), 0), coalesce(sum(penalty_forfeited_cents), 0)
  FROM enforcement_actions WHERE deleted_at IS NULL
  GROUP BY 1, 2, 3, 4, 5;
  INSERT INTO statistics_action_ground_cells
    (year, municipality_code, licence_status, measure, stage, ground, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  SELECT extract(year FROM a.decision_date)::int, a.municipality_code, a.licence_status, a.measure, a.stage, g.ground, count(*),
    coalesce(sum(a.fine_amount_cents), 0), coalesce(sum(a.penalty_maximum_cents), 0), coalesce(sum(a.penalty_forfeited_cents), 0)
  FROM enforcement_actions a CROSS JOIN LATERAL (SELECT DISTINCT unnest(a.grounds) AS ground) g
  WHERE a.deleted_at IS NULL
  GROUP BY 1, 2, 3, 4, 5, 6;
  INSERT INTO statistics_national_cells
    (year, licence_status, measure, stage, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  SELECT year, licence_status, measure, stage, sum(actions), sum(fine_amount_cents), sum(penalty_maximum_cents), sum(penalty_forfeited_cents)
  FROM statistics_action_cells GROUP BY 1, 2, 3, 4;
  INSERT INTO statistics_national_ground_cells
    (year, licence_status, measure, stage, ground, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  SELECT year, licence_status, measure, stage, ground, sum(actions), sum(fine_amount_cents), sum(penalty_maximum_cents), sum(penalty_forfeited_cents)
  FROM statistics_action_ground_cells GROUP BY 1, 2, 3, 4, 5;
END
$$;
--> statement-breakpoint
CREATE TRIGGER statistics_actions_insert_delete AFTER INSERT OR DELETE ON enforcement_actions
  FOR EACH ROW EXECUTE FUNCTION statistics_on_action_change();
--> statement-breakpoint
-- Only updates that change what a cell holds: version bumps alone do not touch the rollups.
CREATE TRIGGER statistics_actions_update AFTER UPDATE ON enforcement_actions
  FOR EACH ROW WHEN (
    OLD.decision_date IS DISTINCT FROM NEW.decision_date OR OLD.municipality_code IS DISTINCT FROM NEW.municipality_code
    OR OLD.licence_status IS DISTINCT FROM NEW.licence_status OR OLD.measure IS DISTINCT FROM NEW.measure
    OR OLD.stage IS DISTINCT FROM NEW.stage OR OLD.grounds IS DISTINCT FROM NEW.grounds
    OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at OR OLD.fine_amount_cents IS DISTINCT FROM NEW.fine_amount_cents
    OR OLD.penalty_maximum_cents IS DISTINCT FROM NEW.penalty_maximum_cents
    OR OLD.penalty_forfeited_cents IS DISTINCT FROM NEW.penalty_forfeited_cents)
  EXECUTE FUNCTION statistics_on_action_change();
--> statement-breakpoint
CREATE TRIGGER statistics_actions_truncate AFTER TRUNCATE ON enforcement_actions
  FOR EACH STATEMENT EXECUTE FUNCTION statistics_on_actions_truncate();
--> statement-breakpoint
SELECT statistics_rebuild_rollups();

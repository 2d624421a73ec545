-- The national rollups (all municipalities together) join the municipal ones: same trigger, same
-- transaction. statistics_apply_action and statistics_rebuild_rollups are replaced to fill all four.
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
SELECT statistics_rebuild_rollups();

CREATE TABLE "statistics_destroyed_cells" (
	"year" integer NOT NULL,
	"municipality_code" text NOT NULL,
	"licence_status" text NOT NULL,
	"measure" text NOT NULL,
	"stage" text NOT NULL,
	"actions" bigint DEFAULT 0 NOT NULL,
	"fine_amount_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_maximum_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_forfeited_cents" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "statistics_destroyed_cells_pkey" PRIMARY KEY("year","municipality_code","licence_status","measure","stage")
);
--> statement-breakpoint
CREATE TABLE "statistics_destroyed_ground_cells" (
	"year" integer NOT NULL,
	"municipality_code" text NOT NULL,
	"licence_status" text NOT NULL,
	"measure" text NOT NULL,
	"stage" text NOT NULL,
	"actions" bigint DEFAULT 0 NOT NULL,
	"fine_amount_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_maximum_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_forfeited_cents" bigint DEFAULT 0 NOT NULL,
	"ground" text NOT NULL,
	CONSTRAINT "statistics_destroyed_ground_cells_pkey" PRIMARY KEY("year","municipality_code","licence_status","measure","stage","ground")
);
--> statement-breakpoint
-- Hand-written from here. Since 0013 a destroying delete (Archiefwet) left the rollups alone, so they
-- counted rows that no longer exist: a list's totalItems summed from them (queries/enforcement-actions.ts)
-- counted destroyed actions, and statistics_rebuild_rollups() dropped their counts. Now the rollups count
-- the rows that exist, and a destroying delete moves its counts to the destroyed cells, which the
-- statistics add (past years keep their figures) and a list's total does not.
CREATE OR REPLACE FUNCTION statistics_apply_destroyed(r enforcement_actions) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  IF r.deleted_at IS NOT NULL THEN
    RETURN;
  END IF;
  INSERT INTO statistics_destroyed_cells AS c
    (year, municipality_code, licence_status, measure, stage, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  VALUES (
    extract(year FROM r.decision_date)::int, r.municipality_code, r.licence_status, r.measure, r.stage, 1,
    coalesce(r.fine_amount_cents, 0), coalesce(r.penalty_maximum_cents, 0), coalesce(r.penalty_forfeited_cents, 0))
  ON CONFLICT (year, municipality_code, licence_status, measure, stage) DO UPDATE SET
    actions = c.actions + excluded.actions,
    fine_amount_cents = c.fine_amount_cents + excluded.fine_amount_cents,
    penalty_maximum_cents = c.penalty_maximum_cents + excluded.penalty_maximum_cents,
    penalty_forfeited_cents = c.penalty_forfeited_cents + excluded.penalty_forfeited_cents;
  INSERT INTO statistics_destroyed_ground_cells AS c
    (year, municipality_code, licence_status, measure, stage, ground, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
  SELECT extract(year FROM r.decision_date)::int, r.municipality_code, r.licence_status, r.measure, r.stage, g.ground, 1,
    coalesce(r.fine_amount_cents, 0), coalesce(r.penalty_maximum_cents, 0), coalesce(r.penalty_forfeited_cents, 0)
  FROM (SELECT DISTINCT unnest(r.grounds) AS ground) g
  ON CONFLICT (year, municipality_code, licence_status, measure, stage, ground) DO UPDATE SET
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
  PERFORM audit_chain_lock();
  IF TG_OP = 'UPDATE' OR TG_OP = 'DELETE' THEN
    PERFORM statistics_apply_action(OLD, -1);
  END IF;
  IF TG_OP = 'DELETE' AND current_setting('registry.destroying', true) = 'on' THEN
    PERFORM statistics_apply_destroyed(OLD);
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
  TRUNCATE statistics_action_cells, statistics_action_ground_cells, statistics_national_cells, statistics_national_ground_cells,
    statistics_destroyed_cells, statistics_destroyed_ground_cells;
  RETURN NULL;
END
$$;
--> statement-breakpoint
-- Counts of actions destroyed before this migration: what the rollups hold beyond the rows that exist.
INSERT INTO statistics_destroyed_cells
  (year, municipality_code, licence_status, measure, stage, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
SELECT c.year, c.municipality_code, c.licence_status, c.measure, c.stage, c.actions - coalesce(l.actions, 0),
  c.fine_amount_cents - coalesce(l.fine, 0), c.penalty_maximum_cents - coalesce(l.maximum, 0), c.penalty_forfeited_cents - coalesce(l.forfeited, 0)
FROM statistics_action_cells c
LEFT JOIN (
  SELECT extract(year FROM decision_date)::int AS year, municipality_code, licence_status, measure, stage, count(*) AS actions,
    coalesce(sum(fine_amount_cents), 0) AS fine, coalesce(sum(penalty_maximum_cents), 0) AS maximum, coalesce(sum(penalty_forfeited_cents), 0) AS forfeited
  FROM enforcement_actions WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5
) l USING (year, municipality_code, licence_status, measure, stage)
WHERE c.actions > coalesce(l.actions, 0);
--> statement-breakpoint
INSERT INTO statistics_destroyed_ground_cells
  (year, municipality_code, licence_status, measure, stage, ground, actions, fine_amount_cents, penalty_maximum_cents, penalty_forfeited_cents)
SELECT c.year, c.municipality_code, c.licence_status, c.measure, c.stage, c.ground, c.actions - coalesce(l.actions, 0),
  c.fine_amount_cents - coalesce(l.fine, 0), c.penalty_maximum_cents - coalesce(l.maximum, 0), c.penalty_forfeited_cents - coalesce(l.forfeited, 0)
FROM statistics_action_ground_cells c
LEFT JOIN (
  SELECT extract(year FROM a.decision_date)::int AS year, a.municipality_code, a.licence_status, a.measure, a.stage, g.ground, count(*) AS actions,
    coalesce(sum(a.fine_amount_cents), 0) AS fine, coalesce(sum(a.penalty_maximum_cents), 0) AS maximum,
    coalesce(sum(a.penalty_forfeited_cents), 0) AS forfeited
  FROM enforcement_actions a CROSS JOIN LATERAL (SELECT DISTINCT unnest(a.grounds) AS ground) g
  WHERE a.deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5, 6
) l USING (year, municipality_code, licence_status, measure, stage, ground)
WHERE c.actions > coalesce(l.actions, 0);
--> statement-breakpoint
-- The rollups now count the rows that exist (rebuilding them is safe after a destruction from here on).
SELECT statistics_rebuild_rollups();

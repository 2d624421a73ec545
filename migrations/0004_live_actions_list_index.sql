-- Lists of enforcement actions show live actions (deleted_at is null) of one municipality, newest
-- decision first, then by id, and count them for totalItems. This partial index has exactly that
-- order, so a page is read straight from it (no sort), and the count becomes an index-only scan over
-- the live rows of that municipality instead of a heap scan (about ten times less work; still
-- proportional to the municipality's rows: see "Growth" in the README).
CREATE INDEX IF NOT EXISTS "enforcement_actions_live_list_idx"
  ON "enforcement_actions" ("municipality_code", "decision_date" DESC, "id")
  WHERE "deleted_at" IS NULL;

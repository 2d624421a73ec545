-- An export walks a municipality's records by id (id > the last one, 1000 at a time). Without an index
-- that leads with (municipality_code, id), the planner read and sorted all the municipality's rows for
-- every page. Not partial (no WHERE deleted_at IS NULL): a partial index made on an empty table counts
-- as empty until the table is first analysed, so the planner took it for the bulk reference look-ups
-- of an import too, and scanned the municipality's rows once per reference. The export reads tombstones
-- as well and leaves them out itself.
CREATE INDEX "enforcement_actions_export_idx" ON "enforcement_actions" USING btree ("municipality_code","id");--> statement-breakpoint
CREATE INDEX "establishments_export_idx" ON "establishments" USING btree ("municipality_code","id");--> statement-breakpoint
CREATE INDEX "licences_export_idx" ON "licences" USING btree ("municipality_code","id");
CREATE INDEX "enforcement_actions_export_idx" ON "enforcement_actions" USING btree ("municipality_code","id") WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "establishments_export_idx" ON "establishments" USING btree ("municipality_code","id") WHERE deleted_at is null;--> statement-breakpoint
CREATE INDEX "licences_export_idx" ON "licences" USING btree ("municipality_code","id");
CREATE INDEX "deliveries_finished_idx" ON "deliveries" USING btree ("finished_at") WHERE status <> 'pending';--> statement-breakpoint
CREATE INDEX "deliveries_event_seq_idx" ON "deliveries" USING btree ("event_seq");--> statement-breakpoint
CREATE INDEX "delivery_attempts_delivery_idx" ON "delivery_attempts" USING btree ("delivery_id");
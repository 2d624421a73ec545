-- An import job is never 'interrupted': a job whose service stops keeps its state (running) and lease,
-- and is resumed when the lease expires (docs/import-export.md). 0016 allowed the state all the same,
-- and the contract listed it; both now name only the states a job can have.
ALTER TABLE "imports" DROP CONSTRAINT "imports_state_check";--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_state_check" CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled'));

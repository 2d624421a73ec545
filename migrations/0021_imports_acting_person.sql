ALTER TABLE "imports" ADD COLUMN "actor_id" text;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "actor_name" text;--> statement-breakpoint
ALTER TABLE "imports" ADD COLUMN "actor_verified" boolean;
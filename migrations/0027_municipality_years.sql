ALTER TABLE "municipalities" ADD COLUMN "first_year" integer;--> statement-breakpoint
ALTER TABLE "municipalities" ADD COLUMN "last_year" integer;--> statement-breakpoint
ALTER TABLE "municipalities" ADD CONSTRAINT "municipalities_first_year" CHECK ("municipalities"."first_year" between 1900 and 2200);--> statement-breakpoint
ALTER TABLE "municipalities" ADD CONSTRAINT "municipalities_last_year" CHECK ("municipalities"."last_year" between 1900 and 2200);--> statement-breakpoint
ALTER TABLE "municipalities" ADD CONSTRAINT "municipalities_years_in_order" CHECK ("municipalities"."first_year" <= "municipalities"."last_year");
CREATE TABLE "statistics_action_cells" (
	"year" integer NOT NULL,
	"municipality_code" text NOT NULL,
	"licence_status" text NOT NULL,
	"measure" text NOT NULL,
	"stage" text NOT NULL,
	"actions" bigint DEFAULT 0 NOT NULL,
	"fine_amount_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_maximum_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_forfeited_cents" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "statistics_action_cells_pkey" PRIMARY KEY("year","municipality_code","licence_status","measure","stage")
);
--> statement-breakpoint
CREATE TABLE "statistics_action_ground_cells" (
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
	CONSTRAINT "statistics_action_ground_cells_pkey" PRIMARY KEY("year","municipality_code","licence_status","measure","stage","ground")
);
--> statement-breakpoint
CREATE TABLE "statistics_national_cells" (
	"year" integer NOT NULL,
	"licence_status" text NOT NULL,
	"measure" text NOT NULL,
	"stage" text NOT NULL,
	"actions" bigint DEFAULT 0 NOT NULL,
	"fine_amount_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_maximum_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_forfeited_cents" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "statistics_national_cells_pkey" PRIMARY KEY("year","licence_status","measure","stage")
);
--> statement-breakpoint
CREATE TABLE "statistics_national_ground_cells" (
	"year" integer NOT NULL,
	"licence_status" text NOT NULL,
	"measure" text NOT NULL,
	"stage" text NOT NULL,
	"actions" bigint DEFAULT 0 NOT NULL,
	"fine_amount_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_maximum_cents" bigint DEFAULT 0 NOT NULL,
	"penalty_forfeited_cents" bigint DEFAULT 0 NOT NULL,
	"ground" text NOT NULL,
	CONSTRAINT "statistics_national_ground_cells_pkey" PRIMARY KEY("year","licence_status","measure","stage","ground")
);
--> statement-breakpoint
CREATE INDEX "statistics_action_cells_municipality_year_idx" ON "statistics_action_cells" USING btree ("municipality_code","year");--> statement-breakpoint
CREATE INDEX "statistics_action_ground_cells_municipality_year_idx" ON "statistics_action_ground_cells" USING btree ("municipality_code","year");
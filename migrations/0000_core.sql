CREATE TABLE "api_clients" (
	"id" uuid PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"role" text NOT NULL,
	"municipality_code" text,
	"token_hash" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"created_by" uuid,
	"revoked_at" timestamp (3) with time zone,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "api_clients_role" CHECK ("api_clients"."role" in ('officer', 'analyst', 'admin')),
	CONSTRAINT "api_clients_officer_has_municipality" CHECK (("api_clients"."role" = 'officer') = ("api_clients"."municipality_code" is not null))
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"client_id" uuid,
	"client_role" text NOT NULL,
	"action" text NOT NULL,
	"object_type" text NOT NULL,
	"object_id" text NOT NULL,
	"municipality_code" text,
	"before" jsonb,
	"after" jsonb,
	"reason" text,
	"request_id" text,
	"prev_hash" text NOT NULL,
	"hash" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "enforcement_actions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"establishment_id" uuid NOT NULL,
	"municipality_code" text NOT NULL,
	"licence_status" text NOT NULL,
	"measure" text NOT NULL,
	"grounds" text[] NOT NULL,
	"stage" text NOT NULL,
	"decision_date" date NOT NULL,
	"fine_amount_cents" bigint,
	"penalty_amount_cents" bigint,
	"penalty_unit" text,
	"penalty_maximum_cents" bigint,
	"penalty_compliance_deadline" date,
	"penalty_forfeited_cents" bigint,
	"closure_start_date" date,
	"closure_end_date" date,
	"legal_basis" text,
	"case_reference" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"created_by" uuid NOT NULL,
	"updated_by" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"deleted_by" uuid,
	"delete_reason" text,
	CONSTRAINT "enforcement_actions_licence_status" CHECK ("enforcement_actions"."licence_status" in ('licensed', 'unlicensed'))
);
--> statement-breakpoint
CREATE TABLE "establishments" (
	"id" uuid PRIMARY KEY NOT NULL,
	"municipality_code" text NOT NULL,
	"name" text NOT NULL,
	"kind" text NOT NULL,
	"street" text NOT NULL,
	"house_number" integer NOT NULL,
	"house_number_addition" text,
	"postal_code" text NOT NULL,
	"city" text NOT NULL,
	"kvk_number" text,
	"bag_id" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"created_by" uuid NOT NULL,
	"updated_by" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"deleted_at" timestamp (3) with time zone,
	"deleted_by" uuid,
	"delete_reason" text
);
--> statement-breakpoint
CREATE TABLE "licences" (
	"id" uuid PRIMARY KEY NOT NULL,
	"establishment_id" uuid NOT NULL,
	"municipality_code" text NOT NULL,
	"licence_number" text NOT NULL,
	"valid_from" date NOT NULL,
	"valid_until" date,
	"status_history" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"created_by" uuid NOT NULL,
	"updated_by" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "municipalities" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"programmes" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "municipalities_code_format" CHECK ("municipalities"."code" ~ '^GM[0-9]{4}$')
);
--> statement-breakpoint
ALTER TABLE "api_clients" ADD CONSTRAINT "api_clients_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enforcement_actions" ADD CONSTRAINT "enforcement_actions_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "enforcement_actions" ADD CONSTRAINT "enforcement_actions_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "establishments" ADD CONSTRAINT "establishments_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licences" ADD CONSTRAINT "licences_establishment_id_establishments_id_fk" FOREIGN KEY ("establishment_id") REFERENCES "public"."establishments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "licences" ADD CONSTRAINT "licences_municipality_code_municipalities_code_fk" FOREIGN KEY ("municipality_code") REFERENCES "public"."municipalities"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "api_clients_token_hash_key" ON "api_clients" USING btree ("token_hash");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_log_id_key" ON "audit_log" USING btree ("id");--> statement-breakpoint
CREATE INDEX "audit_log_object_idx" ON "audit_log" USING btree ("object_type","object_id","seq");--> statement-breakpoint
CREATE INDEX "audit_log_client_idx" ON "audit_log" USING btree ("client_id","seq");--> statement-breakpoint
CREATE INDEX "enforcement_actions_municipality_date_idx" ON "enforcement_actions" USING btree ("municipality_code","decision_date","id");--> statement-breakpoint
CREATE INDEX "enforcement_actions_establishment_idx" ON "enforcement_actions" USING btree ("establishment_id");--> statement-breakpoint
CREATE INDEX "enforcement_actions_decision_date_idx" ON "enforcement_actions" USING btree ("decision_date");--> statement-breakpoint
CREATE INDEX "establishments_municipality_name_idx" ON "establishments" USING btree ("municipality_code","name","id");--> statement-breakpoint
CREATE UNIQUE INDEX "licences_establishment_number_key" ON "licences" USING btree ("establishment_id","licence_number");--> statement-breakpoint
CREATE INDEX "licences_establishment_idx" ON "licences" USING btree ("establishment_id","valid_from");
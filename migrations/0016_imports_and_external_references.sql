CREATE TABLE "import_rows" (
	"import_id" uuid NOT NULL,
	"ord" integer NOT NULL,
	"line" integer NOT NULL,
	"municipality_code" text NOT NULL,
	"data" jsonb,
	"problems" jsonb,
	CONSTRAINT "import_rows_import_id_ord_pk" PRIMARY KEY("import_id","ord")
);--> statement-breakpoint
CREATE TABLE "imports" (
	"id" uuid PRIMARY KEY NOT NULL,
	"municipality_code" text NOT NULL,
	"client_id" uuid,
	"client_role" text NOT NULL,
	"request_id" text,
	"record_type" text NOT NULL,
	"format" text NOT NULL,
	"dry_run" boolean NOT NULL,
	"mode" text NOT NULL,
	"state" text NOT NULL,
	"phase" text,
	"rows_total" integer NOT NULL,
	"rows_done" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"rejected" integer DEFAULT 0 NOT NULL,
	"problems" jsonb NOT NULL,
	"problems_total" integer DEFAULT 0 NOT NULL,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"lease_owner" uuid,
	"lease_until" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone
);--> statement-breakpoint
ALTER TABLE "enforcement_actions" ADD COLUMN "external_reference" text;--> statement-breakpoint
ALTER TABLE "establishments" ADD COLUMN "external_reference" text;--> statement-breakpoint
ALTER TABLE "licences" ADD COLUMN "external_reference" text;--> statement-breakpoint
ALTER TABLE "import_rows" ADD CONSTRAINT "import_rows_import_id_imports_id_fk" FOREIGN KEY ("import_id") REFERENCES "public"."imports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "imports_municipality_created_idx" ON "imports" USING btree ("municipality_code","created_at");--> statement-breakpoint
CREATE INDEX "imports_pending_idx" ON "imports" USING btree ("created_at") WHERE state in ('queued', 'running');--> statement-breakpoint
CREATE UNIQUE INDEX "enforcement_actions_external_reference_key" ON "enforcement_actions" USING btree ("municipality_code","external_reference") WHERE external_reference is not null and deleted_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "establishments_external_reference_key" ON "establishments" USING btree ("municipality_code","external_reference") WHERE external_reference is not null and deleted_at is null;--> statement-breakpoint
CREATE UNIQUE INDEX "licences_external_reference_key" ON "licences" USING btree ("municipality_code","external_reference") WHERE external_reference is not null;--> statement-breakpoint
-- Hand-written: the allowed values, and tenancy. An import and its rows belong to one municipality;
-- row-level security (fail-closed, as in 0010) keeps them theirs.
ALTER TABLE "imports" ADD CONSTRAINT "imports_state_check" CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'interrupted'));--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_mode_check" CHECK (mode IN ('all-or-nothing', 'row-by-row'));--> statement-breakpoint
ALTER TABLE "imports" ADD CONSTRAINT "imports_record_type_check" CHECK (record_type IN ('establishments', 'licences', 'enforcement-actions'));--> statement-breakpoint
ALTER TABLE "imports" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "imports" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY imports_tenant ON "imports"
  USING (registry_tenant_allows(municipality_code)) WITH CHECK (registry_tenant_allows(municipality_code));--> statement-breakpoint
ALTER TABLE "import_rows" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "import_rows" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY import_rows_tenant ON "import_rows"
  USING (registry_tenant_allows(municipality_code)) WITH CHECK (registry_tenant_allows(municipality_code));

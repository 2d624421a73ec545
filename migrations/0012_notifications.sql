CREATE TABLE "deliveries" (
	"id" uuid PRIMARY KEY NOT NULL,
	"subscription_id" uuid NOT NULL,
	"event_seq" bigint NOT NULL,
	"subject" text NOT NULL,
	"status" text NOT NULL,
	"attempts" smallint DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone NOT NULL,
	"lease_until" timestamp (3) with time zone,
	"lease_id" uuid,
	"created_at" timestamp (3) with time zone NOT NULL,
	"due_since" timestamp (3) with time zone NOT NULL,
	"finished_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "delivery_attempts" (
	"id" uuid PRIMARY KEY NOT NULL,
	"delivery_id" uuid NOT NULL,
	"subscription_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"subject" text NOT NULL,
	"attempt" smallint NOT NULL,
	"outcome" text NOT NULL,
	"status_code" smallint,
	"duration_ms" integer NOT NULL,
	"error" text,
	"response_excerpt" text,
	"attempted_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "outbox_events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"id" uuid NOT NULL,
	"type" text NOT NULL,
	"subject" text NOT NULL,
	"municipality_code" text,
	"occurred_at" timestamp (3) with time zone NOT NULL,
	"event" jsonb NOT NULL,
	"fanned_out_at" timestamp (3) with time zone,
	CONSTRAINT "outbox_events_id_unique" UNIQUE("id")
);
--> statement-breakpoint
CREATE TABLE "subscriptions" (
	"id" uuid PRIMARY KEY NOT NULL,
	"callback_url" text NOT NULL,
	"event_types" text[] NOT NULL,
	"municipality_code" text,
	"description" text,
	"status" text NOT NULL,
	"disabled_at" timestamp (3) with time zone,
	"disabled_reason" text,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" timestamp (3) with time zone,
	"owner_client_id" uuid NOT NULL,
	"owner_role" text NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"created_by" uuid NOT NULL,
	"updated_by" uuid NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_subscription_id_subscriptions_id_fk" FOREIGN KEY ("subscription_id") REFERENCES "public"."subscriptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_event_seq_outbox_events_seq_fk" FOREIGN KEY ("event_seq") REFERENCES "public"."outbox_events"("seq") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "delivery_attempts" ADD CONSTRAINT "delivery_attempts_delivery_id_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "deliveries_due_idx" ON "deliveries" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "deliveries_subject_idx" ON "deliveries" USING btree ("subscription_id","subject","event_seq") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "delivery_attempts_subscription_idx" ON "delivery_attempts" USING btree ("subscription_id","attempted_at");--> statement-breakpoint
CREATE INDEX "outbox_events_pending_idx" ON "outbox_events" USING btree ("seq") WHERE fanned_out_at is null;--> statement-breakpoint
CREATE INDEX "subscriptions_municipality_idx" ON "subscriptions" USING btree ("municipality_code");--> statement-breakpoint
-- Hand-written: the subscriptions' allowed values, and their tenancy. An officer's subscription
-- carries its municipality; row-level security (fail-closed, as in 0010) keeps it theirs.
ALTER TABLE "subscriptions" ADD CONSTRAINT "subscriptions_status_check" CHECK (status IN ('active', 'disabled'));--> statement-breakpoint
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_status_check" CHECK (status IN ('pending', 'delivered', 'abandoned'));--> statement-breakpoint
ALTER TABLE "subscriptions" ENABLE ROW LEVEL SECURITY;--> statement-breakpoint
ALTER TABLE "subscriptions" FORCE ROW LEVEL SECURITY;--> statement-breakpoint
CREATE POLICY subscriptions_tenant ON "subscriptions"
  USING (registry_tenant_allows(municipality_code)) WITH CHECK (registry_tenant_allows(municipality_code));

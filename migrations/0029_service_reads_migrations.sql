-- The service's plain role may read which migrations are applied (drizzle's bookkeeping), so that it
-- starts without the owner's credentials (DATABASE_MIGRATION_URL) on a database migrated beforehand
-- (`npm run db:migrate` as the owner): migrateDatabase() in src/infrastructure/db/client.ts reads this
-- table first and runs the migrator, which must create the schema if it is missing, only when a
-- migration is pending. Reading, nothing more: registry_app cannot change the record of what ran.
GRANT USAGE ON SCHEMA drizzle TO registry_app;
--> statement-breakpoint
GRANT SELECT ON drizzle.__drizzle_migrations TO registry_app;

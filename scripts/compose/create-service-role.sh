#!/bin/sh
# Runs once, when the compose PostgreSQL volume is created (docker-entrypoint-initdb.d): the login
# role the registry connects as. It is no superuser and owns nothing; the registry's migrations
# (run as the owner through DATABASE_MIGRATION_URL) make it a member of registry_app, whose table
# privileges and row-level security policies are all it gets.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="$REGISTRY_SERVICE_PASSWORD" <<'SQL'
CREATE ROLE registry_service LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS PASSWORD :'password';
SQL

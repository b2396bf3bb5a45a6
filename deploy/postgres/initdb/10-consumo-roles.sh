#!/bin/sh
# Runs once, when the PostgreSQL container initialises an empty data volume (as the superuser).
# Creates the two roles Consumo needs and its database:
#   - the owner (CONSUMO_DB_OWNER): owns the database and the tables, runs the migrations;
#     CREATEROLE so the migration can create its helper role; not a superuser, so it cannot
#     bypass the row-level security that FORCE applies to table owners.
#   - the app role (consumo_app): the API's own connection; owns nothing, NOBYPASSRLS.
#   - the login-lookup role (consumo_app_login_lookup): NOLOGIN; the migration makes it the
#     owner of the one SECURITY DEFINER function that finds a login's tenant. A function's new
#     owner needs CREATE on its schema, which only a superuser could skip, so it is made here.
# The migration grants the app role what it may do; its password is set here, from the env.
set -eu

: "${CONSUMO_DB:?}" "${CONSUMO_DB_OWNER:?}" "${CONSUMO_OWNER_DB_PASSWORD:?}"
: "${CONSUMO_APP_DB_ROLE:?}" "${CONSUMO_APP_DB_PASSWORD:?}"

psql -v ON_ERROR_STOP=1 --no-psqlrc --username "${POSTGRES_USER:-postgres}" --dbname postgres \
  -v db="$CONSUMO_DB" -v owner="$CONSUMO_DB_OWNER" -v owner_password="$CONSUMO_OWNER_DB_PASSWORD" \
  -v app="$CONSUMO_APP_DB_ROLE" -v app_password="$CONSUMO_APP_DB_PASSWORD" \
  -v lookup="${CONSUMO_APP_DB_ROLE}_login_lookup" <<'SQL'
CREATE ROLE :"owner" LOGIN CREATEROLE NOSUPERUSER NOBYPASSRLS NOCREATEDB PASSWORD :'owner_password';
CREATE ROLE :"app" LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD :'app_password';
CREATE DATABASE :"db" OWNER :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"app";
CREATE ROLE :"lookup" NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
GRANT :"lookup" TO :"owner" WITH ADMIN OPTION;
-- An import's commit skips the per-row triggers of its one insert (it checks the references
-- once and refreshes the roll-ups set-based itself: migration 0010); without this it still
-- works, through the triggers, about twice as slowly.
GRANT SET ON PARAMETER session_replication_role TO :"owner";
\connect :"db"
GRANT CREATE ON SCHEMA public TO :"lookup";
SQL
echo "consumo: created database $CONSUMO_DB, owner role $CONSUMO_DB_OWNER and app role $CONSUMO_APP_DB_ROLE"

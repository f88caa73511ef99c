-- The database's two roles, made idempotently by a superuser before migrations run:
--   owner: owns the database and its schema; `manage.py migrate` runs as it;
--   app:   web, workers and beat connect as it; `migrate` grants it row access and keeps
--          the audit and evidence tables append-only for it (config/db_roles.py).
-- Neither is a superuser, so neither can disable a trigger or switch
-- session_replication_role; the app role owns nothing, so it cannot alter a table.
--
--   psql -v ON_ERROR_STOP=1 -v owner=redress -v owner_password=… \
--        -v app=redress_app -v app_password=… -v db=redress -f deploy/postgres/roles.sql
--
-- An empty password leaves a role's password as it is (local trust authentication).
\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec

-- Also for an owner made as a superuser by an earlier set-up (POSTGRES_USER).
SELECT format('ALTER ROLE %I LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS', name)
  FROM unnest(ARRAY[:'owner', :'app']) AS name \gexec
SELECT format('ALTER ROLE %I NOCREATEDB', :'app') \gexec

SELECT format('ALTER ROLE %I PASSWORD %L', :'owner', :'owner_password')
 WHERE :'owner_password' <> '' \gexec
SELECT format('ALTER ROLE %I PASSWORD %L', :'app', :'app_password')
 WHERE :'app_password' <> '' \gexec

SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db') \gexec
SELECT format('ALTER DATABASE %I OWNER TO %I', :'db', :'owner') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', :'db', :'app') \gexec

-- PostgreSQL 15 gives the public schema to the database owner; make it the owner's in
-- any case, so that migrations create tables the owner can grant on.
\connect :db
SELECT format('ALTER SCHEMA public OWNER TO %I', :'owner') \gexec
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

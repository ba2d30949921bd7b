-- casework on PostgreSQL: two roles, so that the web app cannot rewrite its own audit log.
--
--   casework_owner  owns the tables. Runs `flask --app wsgi db upgrade` (and other maintenance
--                   that changes the schema or the audit log: `data import`, `data anonymize`).
--   casework_app    what gunicorn and the everyday commands connect as. Reads and writes the
--                   records; on audit_log only SELECT and INSERT: UPDATE, DELETE and TRUNCATE
--                   are refused by the privileges, before the append-only triggers
--                   (migration 0003_audit) are even reached.
--
-- Run it as a superuser, connected to the casework database, AFTER the first `db upgrade`
-- (README.md, "Running on PostgreSQL" has the whole sequence):
--
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -d casework -f deploy/postgres-roles.sql
--
-- It is safe to run again (after an upgrade, or to repair privileges). Run before the schema
-- exists, it creates the roles and then stops with an error and grants nothing on tables: default
-- privileges set before audit_log exists would hand the app UPDATE/DELETE on it.
-- Passwords never go in this file: `\password casework_owner` and `\password casework_app` in psql.
-- Other role names: replace casework_owner and casework_app everywhere in this file (sed); the
-- test suite applies it that way (tests/test_postgres_roles.py).

-- 1. The roles, and who owns the database and may create tables in it.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'casework_owner') THEN
        CREATE ROLE casework_owner LOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'casework_app') THEN
        CREATE ROLE casework_app LOGIN;
    END IF;
    EXECUTE format('ALTER DATABASE %I OWNER TO casework_owner', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO casework_app', current_database());
END
$$;
-- Before PostgreSQL 15 every role may create tables in public: only the owner may.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE, CREATE ON SCHEMA public TO casework_owner;
GRANT USAGE ON SCHEMA public TO casework_app;

-- 2. What the app may do with the tables: all of it, or none of it.
BEGIN;

DO $$
BEGIN
    IF to_regclass('public.audit_log') IS NULL THEN
        RAISE EXCEPTION 'audit_log does not exist yet: run `flask --app wsgi db upgrade` as casework_owner first, then this file again (nothing was granted on tables)';
    END IF;
END
$$;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO casework_app;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO casework_app;
-- The audit log: read it, add to it; never change or remove an entry.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM casework_app;
-- The schema version is the migrations' business.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM casework_app;

-- Tables and sequences a later migration creates (as casework_owner) get the same privileges.
ALTER DEFAULT PRIVILEGES FOR ROLE casework_owner IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO casework_app;
ALTER DEFAULT PRIVILEGES FOR ROLE casework_owner IN SCHEMA public
    GRANT USAGE ON SEQUENCES TO casework_app;

COMMIT;

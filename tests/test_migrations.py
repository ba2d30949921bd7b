"""The schema exists only through migrations: from an empty database they build exactly what
the models describe, on SQLite and on PostgreSQL, and they can be undone."""

import warnings

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from casework import create_app
from casework.extensions import db
from tests.conftest import own_database


@pytest.fixture
def empty_database_url(migrated):
    with own_database("migrations-check.db") as url:
        yield url


def _differences(app) -> list:
    with app.app_context(), db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect an expression index (ix_migration_cases_cohort); Alembic then
        # skips it (with its own warning) and PostgreSQL compares it.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index",
                                sa.exc.SAWarning)
        warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression-based index")
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_from_empty_match_the_models_and_downgrade(empty_database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        assert _differences(app) == []
        tables = set(sa.inspect(db.engine).get_table_names())
        assert {"users", "audit_log", "alembic_version"} <= tables
        flask_migrate.downgrade(revision="base")
        assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade(revision="heads")
        assert _differences(app) == []
        db.engine.dispose()


def test_connections_are_configured_for_safe_concurrent_use(app):
    with app.app_context(), db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
            # SQLite takes the write lock at BEGIN, so "check then write" cannot race.
            assert conn.connection.dbapi_connection.in_transaction
        else:
            assert conn.dialect.driver == "psycopg"
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"

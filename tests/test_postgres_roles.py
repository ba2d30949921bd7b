"""deploy/postgres-roles.sql: on PostgreSQL the app connects as a role that may read and add to
the audit log but never change, delete or truncate it, while every other table stays writable,
including tables a later migration adds.

Roles exist on PostgreSQL only. Like the other checks that differ by database (test_migrations,
test_performance_plans), the test branches on the suite's database: on SQLite, a file with no
roles, the append-only triggers are the one guard and that is what it checks there. Roles are
cluster-wide: each test makes uniquely named ones and drops them whatever happens."""

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, ProgrammingError

from casework import create_app
from casework.auth.services import create_user
from casework.extensions import db
from tests.conftest import PASSWORD, _drop_postgres_database, _fresh_postgres_database, login
from tests.test_plans_fixtures import load_plan

ROLES_SQL = Path(__file__).resolve().parents[1] / "deploy" / "postgres-roles.sql"
PG_SERVER = os.environ.get("TEST_DATABASE_URL", "").strip() or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REFUSED = ("UPDATE audit_log SET username = 'forged'", "DELETE FROM audit_log", "TRUNCATE audit_log")


def roles_script(owner: str, app_role: str) -> str:
    """The DBA's file with the two role names replaced, as its header says to do."""
    text = ROLES_SQL.read_text(encoding="utf-8")
    return text.replace("casework_owner", owner).replace("casework_app", app_role)


def run_script(admin: psycopg.Connection, script: str) -> None:
    """Statement by statement, as psql runs the file: what came before an error stays done."""
    lines: list[str] = []
    in_body = False  # inside a DO block's $$ … $$, whose body holds semicolons of its own
    for line in script.splitlines():
        if not lines and (not line.strip() or line.lstrip().startswith("--")):
            continue
        lines.append(line)
        in_body ^= line.count("$$") % 2 == 1
        if not in_body and line.rstrip().endswith(";"):
            admin.execute("\n".join(lines))
            lines = []
    assert not lines, "the file ends inside a statement"


def libpq(url: str) -> str:
    return sa.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _end_failed_transaction(admin: psycopg.Connection) -> None:
    """An error inside the file's BEGIN … COMMIT leaves that transaction open and failed."""
    if admin.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        admin.execute("ROLLBACK")


def _drop_roles(admin: psycopg.Connection, *roles: str) -> None:
    existing = [r for r in roles if admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (r,)).fetchone()]
    for role in existing:
        # One role at a time: DROP OWNED BY owner, app trips over their shared default ACL.
        admin.execute(f'DROP OWNED BY "{role}"')
    for role in existing:
        admin.execute(f'DROP ROLE "{role}"')


@contextmanager
def roles_applied(url: str):
    """The roles file run in the database at ``url``; afterwards the database has its owner back
    and the roles are gone."""
    suffix = uuid.uuid4().hex[:10]
    owner, app_role = f"casework_test_owner_{suffix}", f"casework_test_app_{suffix}"
    with psycopg.connect(libpq(url), autocommit=True) as admin:
        (database_owner,) = admin.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()").fetchone()
        try:
            run_script(admin, roles_script(owner, app_role))
            yield admin, owner, app_role
        finally:
            _end_failed_transaction(admin)
            admin.execute(f'ALTER DATABASE "{admin.info.dbname}" OWNER TO "{database_owner}"')
            _drop_roles(admin, owner, app_role)


@contextmanager
def app_connected_as(url: str, role: str):
    """The real application whose every database connection runs as ``role`` (SET ROLE)."""
    role_app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "SQLALCHEMY_DATABASE_URI": url})

    def set_role(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'SET ROLE "{role}"')
        dbapi_connection.commit()  # a SET inside a rolled-back transaction would be undone

    with role_app.app_context():
        sa.event.listen(db.engine, "connect", set_role)
        try:
            yield role_app
        finally:
            db.session.remove()
            db.engine.dispose()


def _audit_count() -> int:
    return db.session.scalar(sa.text("SELECT count(*) FROM audit_log"))


def _triggers_refuse_changes(app) -> None:
    with app.app_context():
        create_user("someone", "counter", "long-enough-password")
        db.session.commit()
        count = _audit_count()
        for statement in REFUSED[:2]:  # SQLite has no TRUNCATE: DELETE FROM is its truncate
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        assert _audit_count() == count and count > 0


def test_the_app_role_adds_to_the_audit_log_and_can_never_change_it(app, runner, database_url):
    if not database_url.startswith("postgresql"):
        _triggers_refuse_changes(app)
        return
    with roles_applied(database_url) as (admin, owner, app_role):
        run_script(admin, roles_script(owner, app_role))  # a DBA may run it again: nothing breaks
        with app_connected_as(database_url, app_role) as role_app:
            assert db.session.scalar(sa.text("SELECT current_user")) == app_role
            # Everyday work, all of it writing to ordinary tables and to the audit log.
            load_plan(role_app.test_cli_runner())
            create_user("boss", "manager", PASSWORD)
            db.session.commit()
            client = role_app.test_client()
            assert login(client, "boss").status_code == 302
            assert client.get("/plans/?fy=2026").status_code == 200
            assert client.get("/reports/rollup.csv?fy=2026").status_code == 200
            db.session.execute(sa.text("UPDATE users SET display_name = '部長' WHERE username = 'boss'"))
            db.session.execute(sa.text("DELETE FROM plan_rollup_cache"))
            db.session.commit()
            count = _audit_count()
            assert db.session.scalar(sa.text("SELECT count(*) FROM audit_log WHERE action = 'export'")) == 1
            # The audit log itself: refused by the privileges, before any trigger runs.
            for statement in REFUSED:
                with pytest.raises(ProgrammingError, match="permission denied for table audit_log"):
                    db.session.execute(sa.text(statement))
                db.session.rollback()
            assert _audit_count() == count
            # A table a later migration creates (as the owner) is the app's to use as well.
            admin.execute(f'SET ROLE "{owner}"')
            admin.execute("CREATE TABLE later_records (id serial PRIMARY KEY, note text)")
            admin.execute("RESET ROLE")
            try:
                db.session.execute(sa.text("INSERT INTO later_records (note) VALUES ('新しい表')"))
                db.session.execute(sa.text("UPDATE later_records SET note = '更新'"))
                assert db.session.scalar(sa.text("SELECT note FROM later_records")) == "更新"
                db.session.execute(sa.text("DELETE FROM later_records"))
                db.session.commit()
            finally:
                db.session.rollback()
                admin.execute("DROP TABLE later_records")


def test_the_roles_file_grants_nothing_on_tables_before_the_schema_exists():
    """Run too early, default privileges would hand the app UPDATE/DELETE on the audit log the
    first migration then creates: the file stops instead and says what to do."""
    url, name = _fresh_postgres_database(PG_SERVER)
    owner, app_role = (f"casework_test_{kind}_{uuid.uuid4().hex[:10]}" for kind in ("owner", "app"))
    try:
        with psycopg.connect(libpq(url), autocommit=True) as admin:
            with pytest.raises(psycopg.errors.RaiseException, match="run `flask --app wsgi db upgrade` as"):
                run_script(admin, roles_script(owner, app_role))
            _end_failed_transaction(admin)
            assert admin.execute("SELECT count(*) FROM pg_default_acl").fetchone() == (0,)
            assert admin.execute("SELECT count(*) FROM pg_roles WHERE rolname IN (%s, %s)",
                                 (owner, app_role)).fetchone() == (2,)
    finally:
        _drop_postgres_database(PG_SERVER, name)
        with psycopg.connect(libpq(PG_SERVER), autocommit=True) as admin:
            _drop_roles(admin, owner, app_role)

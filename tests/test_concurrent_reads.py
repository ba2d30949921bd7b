"""Pages that only read do not hold SQLite's write lock while they render (gunicorn's workers
would take turns), and a page that reads and then writes (a view record) still succeeds when
another user commits in between. The same outcomes hold on PostgreSQL."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from casework.audit.models import AuditEntry
from casework.extensions import db
from casework.people.services import PersonFields, create_person


@pytest.fixture
def bystander_engine(app):
    """Another app server's connection, with a short wait for locks."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    connect_args = {"timeout": 0.3} if url.startswith("sqlite") else {}
    engine = sa.create_engine(url, poolclass=NullPool, connect_args=connect_args)
    yield engine
    engine.dispose()


def _another_user_saves(engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET display_name = display_name || '.' WHERE username = 'bystander'"))


@contextmanager
def when_the_page_runs(app, statement_start: str, action):
    """Runs action() once, just before the request sends a statement starting with statement_start."""
    done = []

    def before(_conn, _cursor, statement, *_args):
        if not done and statement.lstrip().upper().startswith(statement_start):
            done.append(True)
            action()

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield done
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def _person(app) -> int:
    with app.app_context():
        person = create_person(PersonFields("田中", "花子", "たなか", "はなこ"))
        db.session.commit()
        return person.id


def test_another_user_can_save_while_a_list_page_renders(app, login_as, make_user, bystander_engine):
    make_user("manager", "bystander")
    _person(app)
    client = login_as("counter")
    failures = []

    def save_elsewhere():
        try:
            _another_user_saves(bystander_engine)
        except sa.exc.OperationalError as exc:  # the page would be holding the write lock
            failures.append(str(exc.orig))

    with when_the_page_runs(app, "SELECT PEOPLE.", save_elsewhere) as ran:
        response = client.get("/people/")

    assert response.status_code == 200 and "田中 花子" in response.get_data(as_text=True)
    assert ran and failures == []


def test_a_page_that_reads_then_records_the_view_survives_a_commit_in_between(
        app, login_as, make_user, bystander_engine):
    make_user("manager", "bystander")
    person_id = _person(app)
    client = login_as("counter")

    with when_the_page_runs(app, "INSERT INTO AUDIT_LOG", lambda: _another_user_saves(bystander_engine)) as ran:
        response = client.get(f"/people/{person_id}")

    assert ran
    assert response.status_code == 200 and "田中 花子" in response.get_data(as_text=True)
    with app.app_context():
        views = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "view", AuditEntry.person_id == person_id)).all()
    assert len(views) == 1

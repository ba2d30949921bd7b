"""Every test runs against a real, migrated database: SQLite by default, PostgreSQL when
TEST_DATABASE_URL names a server (a fresh database is created on it for the run)."""

import os
import re
import shutil
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa

# One folder per test run, the same however this module is imported (pytest's conftest and
# `from tests.conftest import ...` are two module objects).
TMP = Path(os.environ.setdefault("CASEWORK_TEST_TMP", tempfile.mkdtemp(prefix="casework-tests-")))
os.environ["CASEWORK_INSTANCE"] = str(TMP / "instance")

PASSWORD = "correct-horse-battery"
SQLITE_DB = TMP / "test.db"
SQLITE_TEMPLATE = TMP / "template.db"


def _fresh_postgres_database(server_url: str) -> tuple[str, str]:
    """Create an empty database on the server and return (its URL, its name)."""
    url = sa.make_url(server_url).set(drivername="postgresql+psycopg")
    name = f"casework_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False), name


def _drop_postgres_database(server_url: str, name: str) -> None:
    url = sa.make_url(server_url).set(drivername="postgresql+psycopg", database="postgres")
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@contextmanager
def own_database(sqlite_file: str):
    """The URL of a new, empty database for tests that need their own: on the PostgreSQL server
    of TEST_DATABASE_URL (dropped afterwards), else the SQLite file of that name in TMP."""
    server = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not server.startswith("postgres"):
        path = TMP / sqlite_file
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    url, name = _fresh_postgres_database(server)
    try:
        yield url
    finally:
        _drop_postgres_database(server, name)


@pytest.fixture(scope="session")
def database_url():
    server = os.environ.get("TEST_DATABASE_URL", "").strip()
    if server.startswith("postgres"):
        url, name = _fresh_postgres_database(server)
        os.environ["DATABASE_URL"] = url
        yield url
        _drop_postgres_database(server, name)
    else:
        url = f"sqlite:///{SQLITE_DB}"
        os.environ["DATABASE_URL"] = url
        yield url


@pytest.fixture(scope="session")
def migrated(database_url):
    """The schema comes from the migrations, exactly as in production."""
    import flask_migrate

    from casework import create_app

    app = create_app({"TESTING": True})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
    from casework.extensions import db

    with app.app_context():
        db.engine.dispose()  # the last connection closed folds the WAL into the file
    if database_url.startswith("sqlite"):
        shutil.copyfile(SQLITE_DB, SQLITE_TEMPLATE)
    return database_url


def _empty_all_tables(db) -> None:
    """PostgreSQL: TRUNCATE (the audit log refuses DELETE, rightly). SQLite: put the freshly
    migrated file back."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            # One round trip finds the tables the test wrote to; truncating only those is
            # several times faster than truncating every table after every test.
            probe = " UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in db.metadata.sorted_tables)
            used = conn.exec_driver_sql(probe).scalars().all()
            if used:
                names = ", ".join(f'"{name}"' for name in used)
                conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        db.engine.dispose()
    else:
        db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(f"{SQLITE_DB}{suffix}").unlink(missing_ok=True)
        # A new file under the old name: a connection some other app in the test still holds
        # keeps the old file and cannot disturb the next test.
        fresh = SQLITE_DB.with_suffix(".fresh")
        shutil.copyfile(SQLITE_TEMPLATE, fresh)
        os.replace(fresh, SQLITE_DB)


@pytest.fixture(scope="session")
def _shared_app(migrated):
    """Building the app (compiling ~350 URL rules) costs more than most tests: one app serves
    every test, its configuration put back after each. A test that must change the app itself
    (add a route) builds its own with create_app()."""
    from casework import create_app

    return create_app({"TESTING": True, "WTF_CSRF_ENABLED": False})


@pytest.fixture
def app(_shared_app):
    from casework.extensions import db

    settings = dict(_shared_app.config)
    yield _shared_app
    _shared_app.config.clear()
    _shared_app.config.update(settings)
    with _shared_app.app_context():
        db.session.remove()
        _empty_all_tables(db)


@pytest.fixture
def csrf_app(migrated):
    """An app with CSRF protection on, as in production."""
    from casework import create_app
    from casework.extensions import db

    app = create_app({"TESTING": True})
    yield app
    with app.app_context():
        db.session.remove()
        _empty_all_tables(db)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    """make_user("counter") -> the User, created through the real service."""
    from casework.auth.services import create_user
    from casework.extensions import db

    counter = iter(range(1, 10_000))

    def make(role: str, username: str | None = None, password: str = PASSWORD, **changes):
        with app.app_context():
            user = create_user(username or f"{role}{next(counter)}", role, password,
                               display_name=f"{role} staff")
            for key, value in changes.items():
                setattr(user, key, value)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return make


def login(client, username: str, password: str = PASSWORD, follow: bool = False):
    return client.post("/login", data={"username": username, "password": password},
                       follow_redirects=follow)


@pytest.fixture
def login_as(app, make_user):
    """login_as("manager") -> a test client logged in as a new user with that role."""

    def log_in(role: str):
        user = make_user(role)
        client = app.test_client()
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        client.user = user
        return client

    return log_in


def table_row(page: str, marker: str) -> str:
    """The table row holding marker, its tags and text as a list draws them (whitespace folded)."""
    start = page.rindex("<tr", 0, page.index(marker))
    return " ".join(page[start:page.index("</tr>", start) + 5].split())


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- End-to-end: one live server and one browser for the whole run ---------------------------


@pytest.fixture(scope="session")
def live_url(migrated):
    from tests.browser import live_server

    with own_database("e2e.db") as url, live_server(url, TMP / "e2e-instance") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ja-JP", timezone_id="Asia/Tokyo", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)  # generous: CI machines have two cores
    yield page
    context.close()

"""casework: case management for Rumoi City's regional-industry programs."""

from datetime import UTC, datetime
from pathlib import Path

from babel import Locale
from flask import Flask, abort, request, session
from flask_login import current_user, logout_user
from sqlalchemy.exc import OperationalError
from werkzeug.routing import IntegerConverter

import config as settings
from casework.db import configure_sqlite, deferred_sqlite_transactions, lost_sqlite_snapshot
from casework.extensions import babel, csrf, db, login_manager, migrate
from casework.sessions import ReissuingSessionInterface

ROOT = Path(__file__).resolve().parent.parent

# Every area is one blueprint package; the order here is the order of the navigation.
BLUEPRINTS = (
    "casework.main",
    "casework.auth",
    "casework.admin",
    "casework.audit",
    "casework.people",
    "casework.startups",
    "casework.migrants",
    "casework.students",
    "casework.partnerships",
    "casework.plans",
    "casework.reports",
    "casework.api",
    "casework.imports",
)

# Every module that defines tables, so that the metadata (and Alembic) sees all of them.
MODEL_MODULES = (
    "casework.auth.models",
    "casework.audit.models",
    "casework.people.models",
    "casework.imports.models",
    "casework.startups.models",
    "casework.migrants.models",
    "casework.students.models",
    "casework.partnerships.models",
    "casework.plans.models",
    "casework.reports.models",
    "casework.api.models",
)


class RecordIdConverter(IntegerConverter):
    """<int:...> in URLs: ids beyond what the databases store answer 404, not an overflow."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(url_map, *args, **kwargs)


class Casework(Flask):
    """On SQLite, a request that only reads must not hold the write lock while it renders, or
    gunicorn's workers take turns. Reads begin deferred; the few that also write (a view record,
    the rollup cache) and lose the race to a writer's commit run once more holding the lock."""

    READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

    def full_dispatch_request(self):
        if request.method not in self.READ_METHODS or not self.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
            return super().full_dispatch_request()
        with deferred_sqlite_transactions():
            try:
                return super().full_dispatch_request()
            except OperationalError as exc:
                if not lost_sqlite_snapshot(exc):
                    raise
                db.session.rollback()
        return super().full_dispatch_request()


def create_app(test_config: dict | None = None) -> Flask:
    app = Casework(
        __name__,
        template_folder=str(ROOT / "templates"),
        instance_path=str(settings.INSTANCE_DIR.resolve()),
    )
    app.url_map.converters["int"] = RecordIdConverter
    app.session_interface = ReissuingSessionInterface()
    app.config.from_object(settings.TestConfig if test_config and test_config.get("TESTING") else settings.Config)
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.database_url()
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.secret_key()
    if test_config:
        app.config.update(test_config)
    if app.config["HTTPS"]:
        _behind_https_proxy(app)

    _init_extensions(app)
    _register_blueprints(app)
    _install_request_guards(app)

    from casework import errors, logs, web

    errors.register(app)
    web.register(app)
    logs.register(app)
    _ensure_every_view_is_guarded(app)
    return app


def _behind_https_proxy(app: Flask) -> None:
    """Production: nginx terminates HTTPS. A __Host- cookie is Secure, host-only, path /."""
    from werkzeug.middleware.proxy_fix import ProxyFix

    app.config.update(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-casework",
                      SESSION_COOKIE_PATH="/", SESSION_COOKIE_DOMAIN=None, PREFERRED_URL_SCHEME="https")
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


def _init_extensions(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, default_translation_directories="translations")


# Parsed once: Babel's Locale.parse ran on every request.
_LOCALES = {name: Locale.parse(name) for name in ("ja", "en")}


def _select_locale() -> Locale | str:
    if current_user and current_user.is_authenticated:
        return _LOCALES.get(current_user.locale, current_user.locale)
    return _LOCALES["ja"]


def _register_blueprints(app: Flask) -> None:
    import importlib

    for name in MODEL_MODULES:
        importlib.import_module(name)
    for name in BLUEPRINTS:
        module = importlib.import_module(name)
        app.register_blueprint(module.bp)
        if hasattr(module, "register"):
            module.register(app)


def _install_request_guards(app: Flask) -> None:
    @app.before_request
    def _refuse_oversized_bodies():
        # Before any view reads the body, whatever the route: 413, shown in Japanese.
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and request.content_length and request.content_length > limit:
            abort(413)

    @app.before_request
    def _login_needed_unless_public():
        view = app.view_functions.get(request.endpoint or "")
        if view is None or getattr(view, "is_public", False) or request.endpoint == "static":
            return None
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        login_at = session.get("login_at")
        limit = app.config["SESSION_ABSOLUTE_HOURS"] * 3600
        if login_at is None or datetime.now(UTC).timestamp() - login_at > limit:
            logout_user()
            session.clear()
            return login_manager.unauthorized()
        return None


def _ensure_every_view_is_guarded(app: Flask) -> None:
    """Deny by default: a view that is neither public nor guarded is a bug, found at start-up."""
    unguarded = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static"
        and not getattr(view, "is_public", False)
        and not hasattr(view, "required_capabilities")
    ]
    if unguarded:
        raise RuntimeError(f"views without an access rule: {', '.join(sorted(unguarded))}")

"""The declarative base, shared column helpers and the database-specific connection setup."""

import contextvars
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy import event

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(so.DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator):
    """Timestamps stored in UTC and always returned timezone-aware, on SQLite as on PostgreSQL."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given for a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Timestamps:
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Versioned:
    """Optimistic locking: a stale save raises StaleDataError instead of overwriting.

    Forms carry the version they were rendered with; see casework.forms.check_version.
    """

    version: so.Mapped[int] = so.mapped_column(sa.Integer, nullable=False, default=1)

    @so.declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


def personal(label: str, *, sensitive: bool = False) -> dict:
    """Column info marking personal data, for the register of personal-data fields
    (個人情報ファイル簿). sensitive: 要配慮個人情報 such as health information."""
    return {"personal": label, "sensitive": sensitive}


class Audited:
    """Marks a model whose every create, update and delete is written to the audit log."""

    __audited__ = True
    # Column names whose values never enter the audit log (only the fact that they changed).
    __audit_redact__: tuple[str, ...] = ()


# --- SQLite: foreign keys, WAL, busy timeout, and transactions that take the write lock at
# BEGIN. pysqlite's own transaction handling defers BEGIN and ignores SELECT ... FOR UPDATE, so
# "check then insert" races; SQLAlchemy's documented recipe hands BEGIN to us instead.
_sqlite_begin = contextvars.ContextVar("sqlite_begin", default="BEGIN IMMEDIATE")


def configure_sqlite(engine: sa.Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql(_sqlite_begin.get())


@contextmanager
def deferred_sqlite_transactions():
    """For long read-only work (exports, benchmarks) that must not hold SQLite's write lock."""
    token = _sqlite_begin.set("BEGIN")
    try:
        yield
    finally:
        _sqlite_begin.reset(token)


def lost_sqlite_snapshot(exc: Exception) -> bool:
    """A deferred SQLite transaction that read, then tried to write after another connection had
    committed: SQLite refuses the upgrade at once (SQLITE_BUSY_SNAPSHOT), whatever the busy timeout."""
    return getattr(getattr(exc, "orig", None), "sqlite_errorname", "") in {"SQLITE_BUSY_SNAPSHOT", "SQLITE_BUSY"}


def is_sqlite(engine_or_conn) -> bool:
    return engine_or_conn.dialect.name == "sqlite"

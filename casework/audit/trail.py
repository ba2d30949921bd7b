"""The audit trail: every write to an audited model is recorded in the same flush, so the
change and its record commit or roll back together. Logins, views and exports are recorded
with record_event()."""

import contextvars
import functools
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import has_request_context, request
from flask_login import current_user

from casework.audit.models import AuditEntry
from casework.db import utcnow

REDACTED = "***"

# Who acts outside a request (CLI commands, jobs): set with acting_as().
_cli_actor: contextvars.ContextVar[tuple[int | None, str] | None] = contextvars.ContextVar(
    "cli_actor", default=None
)


@contextmanager
def acting_as(username: str, user_id: int | None = None):
    token = _cli_actor.set((user_id, username))
    try:
        yield
    finally:
        _cli_actor.reset(token)


def current_actor() -> tuple[int | None, str]:
    actor = _cli_actor.get()
    if actor is not None:
        return actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.username
    return None, "system"


def _client_ip() -> str:
    return (request.remote_addr or "") if has_request_context() else ""


def _plain(value):
    if value is None or type(value) in (str, int, bool, float):
        return value  # most values: checked first, this runs for every column of every entry
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


# The bookkeeping columns an update entry leaves out: they change with every write.
UNLOGGED_CHANGES = frozenset({"updated_at", "version"})


@functools.cache
def _logged_columns(model) -> tuple[tuple[str, ...], frozenset[str]]:
    """(the model's column attributes in order, those redacted)."""
    return (tuple(attr.key for attr in sa.inspect(model).column_attrs),
            frozenset(getattr(model, "__audit_redact__", ())))


def record_values(model, values: dict) -> dict:
    """A whole record as a create or delete entry keeps it: every column in the model's order,
    as plain JSON values, secrets redacted. Shared by the ORM hook and the batched import loader
    (casework.imports.batch), so the two write the same entries."""
    keys, redact = _logged_columns(model)
    return {key: REDACTED if key in redact else _plain(values.get(key)) for key in keys}


def changed_values(model, old: dict, new: dict) -> tuple[dict, dict]:
    """(before, after) of an update entry, from the old and new values of the columns that
    changed. Shared like record_values."""
    keys, redact = _logged_columns(model)
    before, after = {}, {}
    for key in keys:
        if key not in new or key in UNLOGGED_CHANGES:
            continue
        old_value, new_value = (REDACTED, REDACTED) if key in redact else (old.get(key), new[key])
        before[key], after[key] = _plain(old_value), _plain(new_value)
    return before, after


def _column_values(obj) -> dict:
    mapper = sa.inspect(obj).mapper
    return record_values(mapper.class_, {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs})


def _changed_values(obj) -> tuple[dict, dict]:
    state = sa.inspect(obj)
    old, new = {}, {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            old[attr.key] = history.deleted[0] if history.deleted else None
            new[attr.key] = history.added[0] if history.added else None
    return changed_values(state.mapper.class_, old, new)


def _person_of(obj) -> int | None:
    person_id = getattr(obj, "audit_person_id", None)
    return person_id() if callable(person_id) else person_id


def _identity(obj) -> str:
    # In after_flush a new object has its primary key but not yet its identity key.
    state = sa.inspect(obj)
    ident = state.identity or state.mapper.primary_key_from_instance(obj)
    return ":".join(str(part) for part in ident) if ident and None not in ident else ""


def audit_entry(
    action: str,
    *,
    entity: str = "",
    entity_id: str | int = "",
    person_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    detail: str = "",
    user_id: int | None = None,
    username: str | None = None,
) -> dict:
    """The values of one audit_log row, for `sa.insert(AuditEntry)`: every writer of the log
    (the flush hook, record_event, the batched import loader) builds its rows here. Columns
    left out (none today) take the model's defaults."""
    actor_id, actor_name = current_actor()
    return {
        "at": utcnow(),
        "user_id": user_id if user_id is not None else actor_id,
        "username": username if username is not None else actor_name,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id),
        "person_id": person_id,
        "before": before,
        "after": after,
        "detail": detail[:2000],
        "ip": _client_ip(),
    }


def _entry(action: str, obj, before: dict | None, after: dict | None) -> dict:
    return audit_entry(action, entity=obj.__tablename__, entity_id=_identity(obj),
                       person_id=_person_of(obj), before=before, after=after)


def _is_audited(obj) -> bool:
    return getattr(obj, "__audited__", False)


def _collect_entries(session: so.Session) -> list[dict]:
    entries = []
    for obj in session.new:
        if _is_audited(obj):
            entries.append(_entry("create", obj, None, _column_values(obj)))
    for obj in session.dirty:
        if _is_audited(obj) and session.is_modified(obj, include_collections=False):
            before, after = _changed_values(obj)
            if after:
                entries.append(_entry("update", obj, before, after))
    for obj in session.deleted:
        if _is_audited(obj):
            entries.append(_entry("delete", obj, _column_values(obj), None))
    return entries


def _keep_old_value(target, value, oldvalue, initiator):
    return value


@sa.event.listens_for(so.Mapper, "mapper_configured")
def _load_old_values_of_audited_columns(mapper, cls):
    """An attribute set after a commit (expired) would otherwise have no known old value:
    active_history makes SQLAlchemy load it, so the log can show before and after."""
    if not getattr(cls, "__audited__", False):
        return
    for attr in mapper.column_attrs:
        sa.event.listen(getattr(cls, attr.key), "set", _keep_old_value, active_history=True, retval=True)


def install(session_class) -> None:
    """Idempotent: the listener is added once per process however many apps are created.

    Listen on the app's session: after each flush (ids known, history not yet reset) the
    audit rows are inserted on the same connection, inside the same transaction."""

    if not sa.event.contains(session_class, "after_flush", _write_audit):
        sa.event.listen(session_class, "after_flush", _write_audit)


def _write_audit(session, _flush_context) -> None:
    entries = _collect_entries(session)
    if entries:
        session.connection().execute(sa.insert(AuditEntry), entries)


def record_event(
    action: str,
    *,
    entity: str = "",
    entity_id: str | int = "",
    person_id: int | None = None,
    detail: str = "",
    user_id: int | None = None,
    username: str | None = None,
) -> None:
    """Record a login, a view of personal data, an export or a denial. Joins the current
    transaction; the caller commits."""
    from casework.extensions import db

    session = db.session()
    if session.autoflush:
        session.flush()  # as the ORM's own insert did: pending changes first, then the entry
    session.connection().execute(_INSERT_ENTRY, audit_entry(
        action, entity=entity, entity_id=entity_id, person_id=person_id, detail=detail,
        user_id=user_id, username=username))


# One row into the table: every page view of personal data writes one, and the ORM's bulk
# insert of the mapped class cost three times this plain INSERT.
_INSERT_ENTRY = sa.insert(AuditEntry.__table__)

"""Taking an anonymized person's personal values out of the audit log.

The log is append-only (database triggers); the one update they let through is the one made
here: each personal value in `before` / `after` replaced with "***" and `redacted_at` set, once
per entry (migration 0010_retention). The entry keeps who acted, what they did, to which record
and person, when and from where, so "who saw / who changed this person" stays answerable."""

from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.audit.trail import REDACTED
from casework.db import utcnow
from casework.extensions import db

_CHUNK = 500


def _chunks(values: list, size: int = _CHUNK) -> Iterable[list]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def masked(values: dict | None, personal: frozenset[str]) -> dict | None:
    """The values with every personal column's value replaced by the mask."""
    if not isinstance(values, dict):
        return values
    return {key: REDACTED if key in personal else value for key, value in values.items()}


def _entries_about(person_ids: list[int], records: Mapping[str, Iterable[int]]) -> list[AuditEntry]:
    """Entries not yet redacted that name one of the people, or one of the records (a record's
    older entries may name another person id: before a merge, or a model without
    audit_person_id)."""
    found: dict[int, AuditEntry] = {}
    pending = AuditEntry.redacted_at.is_(None)
    for chunk in _chunks(person_ids):
        for entry in db.session.scalars(sa.select(AuditEntry).where(pending, AuditEntry.person_id.in_(chunk))):
            found[entry.id] = entry
    for table, ids in records.items():
        ids = set(ids)
        for chunk in _chunks(sorted(str(i) for i in ids)):
            query = sa.select(AuditEntry).where(pending, AuditEntry.entity == table,
                                                AuditEntry.entity_id.in_(chunk))
            for entry in db.session.scalars(query):
                found[entry.id] = entry
        if ids:
            # Create entries written before the record had its id in entity_id: the id is in
            # the values.
            unnamed = sa.select(AuditEntry).where(pending, AuditEntry.entity == table, AuditEntry.entity_id == "")
            for entry in db.session.scalars(unnamed):
                if isinstance(entry.after, dict) and entry.after.get("id") in ids:
                    found[entry.id] = entry
    return [found[key] for key in sorted(found)]


def redact(person_ids: Iterable[int], records: Mapping[str, Iterable[int]],
           personal_columns: Mapping[str, frozenset[str]]) -> int:
    """Mask the personal values of every entry about these people or records. personal_columns:
    per table, the columns the register of personal data lists. Returns entries changed."""
    now = utcnow()
    changed = 0
    for entry in _entries_about(sorted(set(person_ids)), records):
        personal = personal_columns.get(entry.entity, frozenset())
        values = {}
        for column in ("before", "after"):
            old = getattr(entry, column)
            new = masked(old, personal)
            if new != old:
                values[column] = new
        if not values:
            continue
        # Core UPDATE naming only the columns that change: the trigger compares every other
        # column with its old value.
        db.session.execute(sa.update(AuditEntry).where(AuditEntry.id == entry.id)
                           .values(redacted_at=now, **values))
        changed += 1
    db.session.expire_all()
    return changed

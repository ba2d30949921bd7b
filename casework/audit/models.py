from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework.db import UTCDateTime, personal, utcnow
from casework.extensions import db


class AuditEntry(db.Model):
    """One thing that happened: a write, a login, a view of personal data, an export, a denial.

    Append-only: no code path updates or deletes these rows, and database triggers refuse it,
    with one exception (migration 0010_retention): when a person is anonymized, the personal
    values in `before` / `after` of entries about them are replaced with "***" once, stamping
    `redacted_at`; who did what to whom, and when, stays (casework.audit.redaction).
    """

    __tablename__ = "audit_log"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: so.Mapped[int | None] = so.mapped_column(index=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    action: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    entity: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    entity_id: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    # The person whose personal data was touched, when there is one: answers "who saw this".
    person_id: so.Mapped[int | None] = so.mapped_column(index=True)
    before: so.Mapped[dict | None] = so.mapped_column(sa.JSON, info=personal("変更前の値（記録の項目すべて）"))
    after: so.Mapped[dict | None] = so.mapped_column(sa.JSON, info=personal("変更後の値（記録の項目すべて）"))
    detail: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    ip: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    # When the personal values of before/after were masked (retention); empty: never.
    redacted_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    __table_args__ = (sa.Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),)


class AuditExportSubject(db.Model):
    """A person whose data was in an export (an `export` entry of the audit log): answers
    "whose data was in this export" and "which exports held this person" after an incident.
    Append-only like the log (migration 0011_export_subjects). A person id is no personal value:
    retention leaves these rows as they are, and no foreign key ties them to people (an entry
    about a person outlives whatever happens to the person's row, as audit_log.person_id does)."""

    __tablename__ = "audit_export_subjects"

    audit_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("audit_log.id"), primary_key=True)
    person_id: so.Mapped[int] = so.mapped_column(primary_key=True, index=True)

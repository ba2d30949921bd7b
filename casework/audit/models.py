from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework.db import UTCDateTime, personal, utcnow
from casework.extensions import db


class AuditEntry(db.Model):
    """One thing that happened: a write, a login, a view of personal data, an export, a denial.

    Append-only: no code path updates or deletes these rows.
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

    __table_args__ = (sa.Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),)

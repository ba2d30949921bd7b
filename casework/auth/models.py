import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from casework.auth.permissions import ROLE_LABELS, Role, capabilities_of
from casework.db import Audited, Timestamps, UTCDateTime, Versioned, personal
from casework.extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(Audited, Versioned, Timestamps, UserMixin, db.Model):
    """A staff account. Deactivated, never deleted, so history keeps its names."""

    __tablename__ = "users"
    __audit_redact__ = ("password_hash", "session_token")

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    display_name: so.Mapped[str] = so.mapped_column(sa.String(100), info=personal("職員の氏名"))
    role: so.Mapped[str] = so.mapped_column(sa.String(20))
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    locale: so.Mapped[str] = so.mapped_column(sa.String(8), default="ja")
    # Part of the login cookie: renewing it logs out every copy of an old cookie.
    session_token: so.Mapped[str] = so.mapped_column(sa.String(64), default=new_session_token)
    failed_logins: so.Mapped[int] = so.mapped_column(default=0)
    last_failed_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    locked_until: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    last_login_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    password_changed_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(
            sa.column("role").in_([r.value for r in Role]), name="role_known"
        ),
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(Role(self.role), self.role)

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities_of(self.role)

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def renew_session_token(self) -> None:
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

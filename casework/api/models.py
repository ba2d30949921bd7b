"""Tables of this area: API tokens. The token itself is shown once when created; only its
SHA-256 digest is stored."""

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework.db import Audited, Timestamps, UTCDateTime, Versioned
from casework.extensions import db

TOKEN_PREFIX = "cw_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(Audited, Versioned, Timestamps, db.Model):
    __tablename__ = "api_tokens"
    __audit_redact__ = ("token_hash",)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    # The first characters, so an administrator can tell tokens apart; never enough to use one.
    hint: so.Mapped[str] = so.mapped_column(sa.String(12), default="")
    created_by: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    revoked_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)
    revoked_by: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    last_used_at: so.Mapped[datetime | None] = so.mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

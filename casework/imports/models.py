from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework.db import UTCDateTime, personal, utcnow
from casework.extensions import db


class PendingImport(db.Model):
    """An uploaded file between its preview and the user's confirmation. Kept in the database
    so that any worker can apply it; removed once applied or abandoned."""

    __tablename__ = "pending_imports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(40))
    filename: so.Mapped[str] = so.mapped_column(sa.String(255), default="")
    data: so.Mapped[bytes] = so.mapped_column(
        sa.LargeBinary, info=personal("取込確認待ちのCSVファイル（氏名・生年月日等を含みうる。2時間で消去）"))
    user_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("users.id"))
    created_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

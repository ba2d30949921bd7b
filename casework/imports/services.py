"""The steps every upload page shares: keep the file until the user confirms the preview, take
it back, and import it once confirmed. Used by the shared CSV取込 pages and by the observations page."""

from datetime import timedelta

import sqlalchemy as sa

from casework.db import utcnow
from casework.extensions import db
from casework.imports.framework import ImportResult, run_import
from casework.imports.models import PendingImport

PENDING_LIFETIME = timedelta(hours=2)


def forget_abandoned_uploads() -> int:
    """Uploads nobody confirmed within PENDING_LIFETIME hold personal data for no purpose."""
    return db.session.execute(
        sa.delete(PendingImport).where(PendingImport.created_at < utcnow() - PENDING_LIFETIME)).rowcount


def keep_upload(kind_name: str, upload, user_id: int) -> PendingImport:
    """Store the uploaded file (and forget abandoned ones). Commits: the preview is another request."""
    forget_abandoned_uploads()
    pending = PendingImport(kind=kind_name, filename=(upload.filename or "")[:255],
                            data=upload.read(), user_id=user_id)
    db.session.add(pending)
    db.session.commit()
    return pending


def pending_upload(pending_id: int, user_id: int, kind_name: str | None = None) -> PendingImport | None:
    """The user's own pending upload (of that kind), or None: someone else's is as good as missing."""
    pending = db.session.get(PendingImport, pending_id)
    if pending is None or pending.user_id != user_id or (kind_name and pending.kind != kind_name):
        return None
    return pending


def import_confirmed(kind, pending: PendingImport) -> ImportResult:
    """The user confirmed the preview: the kept file is used up first (a second click finds
    nothing to import twice), then imported, all or nothing."""
    data, filename = pending.data, pending.filename
    db.session.delete(pending)
    db.session.commit()
    return run_import(kind, data, commit=True, filename=filename)

"""The audit trail of exports holding personal data: one `export` entry, and a row for each
person whose data was in the file (casework.audit.models.AuditExportSubject)."""

from collections.abc import Iterable

import sqlalchemy as sa

from casework.audit.models import AuditEntry, AuditExportSubject
from casework.audit.trail import audit_entry
from casework.extensions import db

_BATCH = 1000


def record_export(*, entity: str, entity_id: str | int = "", detail: str = "",
                  person_ids: Iterable[int] = ()) -> int:
    """Write the export's entry and its people; returns the entry's id. Joins the current
    transaction (flushes, never commits)."""
    entry = audit_entry("export", entity=entity, entity_id=entity_id, detail=detail)
    audit_id = db.session.execute(sa.insert(AuditEntry).values(**entry).returning(AuditEntry.id)).scalar_one()
    people = sorted(set(person_ids))
    for start in range(0, len(people), _BATCH):
        part = people[start:start + _BATCH]
        db.session.execute(sa.insert(AuditExportSubject),
                           [{"audit_id": audit_id, "person_id": person_id} for person_id in part])
    return audit_id


def exported_people(audit_id: int) -> list[int]:
    return list(db.session.scalars(sa.select(AuditExportSubject.person_id)
                                   .where(AuditExportSubject.audit_id == audit_id)
                                   .order_by(AuditExportSubject.person_id)))


def exports_holding(person_id: int) -> sa.Select:
    """The ids of the export entries whose file held the person's data."""
    return sa.select(AuditExportSubject.audit_id).where(AuditExportSubject.person_id == person_id)

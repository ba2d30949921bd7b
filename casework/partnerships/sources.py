"""The rollup source behind 1-01-06-1 域外企業との連携件数: one row per partnership with an
organization from outside the region, placed by its agreement date. Cancelled partnerships
are left out; partnerships still in talks (協議中) have no event date yet ("not yet countable")."""

import sqlalchemy as sa

from casework.partnerships.models import COUNTED_ON, KIND_LABELS, Organization, Partnership
from casework.plans.sources import Source


def _rows() -> sa.Select:
    return (
        sa.select(
            Partnership.id.label("record_id"),
            Partnership.id.label("subject_key"),
            COUNTED_ON.label("event_date"),
            sa.literal(1).label("weight"),
        )
        .join(Organization, Partnership.organization_id == Organization.id)
        .where(Organization.outside_region.is_(True), Partnership.status != "cancelled")
    )


def _describe(ids: sa.Select) -> sa.Select:
    title = sa.case(*((Partnership.kind == code, label) for code, label in KIND_LABELS.items()),
                    else_=Partnership.kind)
    return (
        sa.select(
            Partnership.id.label("record_id"),
            title.label("title"),
            Organization.name.label("person"),
            Partnership.status.label("status"),
        )
        .join(Organization, Partnership.organization_id == Organization.id)
        .where(Partnership.id.in_(ids))
    )


def _export_describe(ids: sa.Select) -> sa.Select:
    """An organization, not a person: its name, no furigana. No `people`: no personal data."""
    return (
        sa.select(Partnership.id.label("record_id"), Partnership.ref.label("ref"),
                  Organization.name.label("name"), sa.literal("").label("furigana"))
        .join(Organization, Partnership.organization_id == Organization.id)
        .where(Partnership.id.in_(ids))
    )


PARTNERSHIPS_SOURCE = Source(
    name="partnerships",
    label="域外企業との連携",
    program="partnerships",
    rows=_rows,
    describe=_describe,
    export_describe=_export_describe,
    record_endpoint="partnerships.partnership_detail",
    record_id_arg="partnership_id",
    subject_word="件",
    date_word="協定日",
)

"""Startup-support cases (創業相談) and their consultation log."""

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework.db import Audited, Timestamps, Versioned, personal
from casework.extensions import db

# Status codes (stored) → Japanese labels (shown). 取消 marks a record entered in error.
STATUS_LABELS = {
    "consulting": "相談中",
    "supporting": "支援中",
    "supported": "支援完了",
    "founded": "創業済",
    "suspended": "中断",
    "cancelled": "取消",
}
# The workflow: from each status, where a case may go next.
TRANSITIONS = {
    "consulting": ("supporting", "founded", "suspended", "cancelled"),
    "supporting": ("supported", "founded", "suspended", "cancelled"),
    "supported": ("founded", "suspended", "cancelled"),
    "founded": ("cancelled",),
    "suspended": ("consulting", "supporting", "cancelled"),
    "cancelled": ("consulting",),
}
BODY_LABELS = {
    "city": "市",
    "shinkin": "留萌信用金庫",
    "cci": "留萌商工会議所",
}
CHANNEL_LABELS = {
    "counter": "窓口",
    "phone": "電話",
    "email": "メール",
    "online": "オンライン",
}
# The four fields 特定創業支援等事業 must cover.
TOPIC_LABELS = {
    "management": "経営",
    "finance": "財務",
    "hr": "人材育成",
    "sales": "販路開拓",
}


class StartupCase(Audited, Versioned, Timestamps, db.Model):
    """One person's startup support (創業支援), from the first consultation to the founding."""

    __tablename__ = "startup_cases"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ref: so.Mapped[str | None] = so.mapped_column(sa.String(40), unique=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    business_idea: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("創業の構想"))
    industry: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    supporting_body: so.Mapped[str] = so.mapped_column(sa.String(20), default="city")
    staff_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="consulting", index=True)
    first_consulted_on: so.Mapped[date | None] = so.mapped_column(index=True)
    founded_on: so.Mapped[date | None]
    certificate_number: so.Mapped[str] = so.mapped_column(
        sa.String(40), default="", info=personal("特定創業支援等事業の証明書番号"))
    certificate_issued_on: so.Mapped[date | None] = so.mapped_column(info=personal("証明書の発行日"))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("創業相談の備考"))

    person = so.relationship("Person", lazy="joined", innerjoin=True)
    staff = so.relationship("User", lazy="joined")
    consultations: so.Mapped[list["Consultation"]] = so.relationship(
        back_populates="case", order_by="(Consultation.held_on, Consultation.id)")

    __table_args__ = (
        sa.CheckConstraint(sa.column("status").in_(list(STATUS_LABELS)), name="status_known"),
        sa.CheckConstraint(sa.column("supporting_body").in_(list(BODY_LABELS)), name="body_known"),
        # Covering index of the rollup source startup_cases (bench/README.md).
        sa.Index("ix_startup_cases_rollup", "first_consulted_on", "status", "person_id"),
    )

    def audit_person_id(self) -> int:
        return self.person_id

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def body_label(self) -> str:
        return BODY_LABELS.get(self.supporting_body, self.supporting_body)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def title(self) -> str:
        return case_title(self.business_idea)


def case_title(business_idea: str) -> str:
    """What a case is called in lists: the first line of the business idea."""
    return business_idea.splitlines()[0][:60] if business_idea.strip() else "創業相談"


# The case list's default order, newest first. PostgreSQL reads DESC NULLS LAST only from an
# index declared so (migration 0010 writes plain DESC on SQLite, whose DESC puts NULLs last).
# status and person_id make it a covering index of the rollup too, which PostgreSQL's planner
# may pick for it instead of ix_startup_cases_rollup.
sa.Index("ix_startup_cases_newest", StartupCase.first_consulted_on.desc().nulls_last(), StartupCase.id.desc(),
         StartupCase.status, StartupCase.person_id)


class Consultation(Audited, Versioned, Timestamps, db.Model):
    """One consultation session (相談記録) of a startup case."""

    __tablename__ = "startup_consultations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("startup_cases.id"), index=True)
    held_on: so.Mapped[date]
    channel: so.Mapped[str] = so.mapped_column(sa.String(20), default="counter")
    staff_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    # Topic codes separated by spaces ("management finance"); see TOPIC_LABELS.
    topics: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    minutes: so.Mapped[int | None]
    notes: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("創業相談の内容"))

    case: so.Mapped[StartupCase] = so.relationship(back_populates="consultations")
    staff = so.relationship("User", lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(sa.column("channel").in_(list(CHANNEL_LABELS)), name="channel_known"),
    )

    def audit_person_id(self) -> int | None:
        return self.case.person_id if self.case is not None else None

    @property
    def topic_list(self) -> list[str]:
        return [t for t in self.topics.split() if t in TOPIC_LABELS]

    @property
    def topic_labels(self) -> list[str]:
        return [TOPIC_LABELS[t] for t in self.topic_list]

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

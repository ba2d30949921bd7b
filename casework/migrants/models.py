"""Tables of this area: migration-support cases (移住受入支援), the household, the support given,
every contact, and the settlement follow-up checks."""

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework.db import Audited, Timestamps, Versioned, personal
from casework.extensions import db

# Status codes (English) and their Japanese labels, in workflow order.
STATUS_LABELS = {
    "consulting": "相談",
    "considering": "検討中",
    "supporting": "支援中",
    "moved_in": "転入済",
    "settled": "定住確認済",
    "moved_out": "転出",
    "suspended": "中断",
    "cancelled": "取消",
}

# Which status may follow which (the status form offers only these).
TRANSITIONS = {
    "consulting": ("considering", "supporting", "moved_in", "suspended", "cancelled"),
    "considering": ("consulting", "supporting", "moved_in", "suspended", "cancelled"),
    "supporting": ("considering", "moved_in", "suspended", "cancelled"),
    "moved_in": ("settled", "moved_out", "cancelled"),
    "settled": ("moved_in", "moved_out", "cancelled"),
    "moved_out": ("moved_in", "cancelled"),
    "suspended": ("consulting", "considering", "supporting", "cancelled"),
    "cancelled": ("consulting",),
}

CHANNEL_LABELS = {
    "counter": "窓口",
    "phone": "電話",
    "email": "メール",
    "online": "オンライン",
    "fair": "移住フェア",
}

WANT_LABELS = {
    "work": "仕事",
    "housing": "住まい",
    "farming": "就農・就漁",
    "childcare": "子育て",
}

SUPPORT_LABELS = {
    "grant": "移住支援金",
    "job_matching": "地元企業への就職マッチング",
    "housing": "住宅支援",
    "farming": "新規就農・就漁",
    "kyoryokutai": "地域おこし協力隊",
    "student_family": "越境学生の家族の転入",
}

OUTCOME_LABELS = {
    "staying": "定住中",
    "moved_out": "転出",
    "unknown": "不明",
}

RELATIONSHIP_SUGGESTIONS = ("配偶者", "子", "父", "母", "祖父", "祖母", "兄弟姉妹", "その他")


class MigrationCase(Audited, Versioned, Timestamps, db.Model):
    """One household's way from the first inquiry to settling in Rumoi (or leaving)."""

    __tablename__ = "migration_cases"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ref: so.Mapped[str | None] = so.mapped_column(sa.String(40), unique=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="consulting", index=True)
    # The first inquiry (移住相談).
    inquired_on: so.Mapped[date | None]
    channel: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    origin_prefecture: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    origin_municipality: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    # What they look for: comma-separated codes of WANT_LABELS.
    wants: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    # Applicant included. Kept as 1 + members whenever members are recorded in the UI.
    household_size: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)
    moved_in_on: so.Mapped[date | None] = so.mapped_column(index=True)
    moved_out_on: so.Mapped[date | None]
    # Staff may ask for settlement checks even without support that carries a duty to stay.
    followup_requested: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    # The placed student whose family this is (set by the support item 越境学生の家族の転入):
    # coordinators may open exactly these cases.
    student_person_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("移住相談の備考"))

    person = so.relationship("Person", foreign_keys=[person_id], lazy="joined")
    student = so.relationship("Person", foreign_keys=[student_person_id])
    members: so.Mapped[list["HouseholdMember"]] = so.relationship(
        back_populates="case", order_by="HouseholdMember.id", cascade="all, delete-orphan")
    supports: so.Mapped[list["SupportItem"]] = so.relationship(
        back_populates="case", order_by="SupportItem.given_on", cascade="all, delete-orphan")
    contacts: so.Mapped[list["Contact"]] = so.relationship(
        back_populates="case", order_by="Contact.contacted_on", cascade="all, delete-orphan")
    followups: so.Mapped[list["FollowUp"]] = so.relationship(
        back_populates="case", order_by="FollowUp.due_on", cascade="all, delete-orphan")

    __table_args__ = (
        sa.CheckConstraint("household_size >= 1", name="household_size_positive"),
        # Covering index of the rollup source migration_cases (bench/README.md).
        sa.Index("ix_migration_cases_rollup", "moved_in_on", "status", "household_size"),
    )

    def audit_person_id(self) -> int:
        return self.person_id

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def want_codes(self) -> list[str]:
        return [w for w in self.wants.split(",") if w]

    @property
    def want_labels(self) -> list[str]:
        return [WANT_LABELS.get(w, w) for w in self.want_codes]

    @property
    def origin(self) -> str:
        return origin_text(self.origin_prefecture, self.origin_municipality)

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    @property
    def title(self) -> str:
        where = f"{self.origin}から" if self.origin else ""
        return f"移住支援 {where}（{self.household_size}人世帯）"


def origin_text(prefecture: str, municipality: str) -> str:
    """Where the household came from, as lists and the case page show it."""
    return f"{prefecture}{municipality}"


# The case list's order and fiscal-year filter: the cohort date (migrants.reporting.cohort_date).
sa.Index("ix_migration_cases_cohort", sa.func.coalesce(MigrationCase.inquired_on, MigrationCase.moved_in_on),
         MigrationCase.id)


class HouseholdMember(Audited, Versioned, Timestamps, db.Model):
    """A member of the applicant's household other than the applicant."""

    __tablename__ = "migration_household_members"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("migration_cases.id"), index=True)
    family_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="", info=personal("世帯員の氏名（姓）"))
    given_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="", info=personal("世帯員の氏名（名）"))
    relationship: so.Mapped[str] = so.mapped_column(sa.String(40), default="", info=personal("世帯員の続柄"))
    birth_date: so.Mapped[date | None] = so.mapped_column(info=personal("世帯員の生年月日"))

    case: so.Mapped[MigrationCase] = so.relationship(back_populates="members")

    def audit_person_id(self) -> int | None:
        return self.case.person_id if self.case is not None else None

    @property
    def full_name(self) -> str:
        return f"{self.family_name} {self.given_name}".strip()


class SupportItem(Audited, Versioned, Timestamps, db.Model):
    """One piece of support given, dated. Grants carry an amount; 地域おこし協力隊 a term."""

    __tablename__ = "migration_supports"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("migration_cases.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), index=True)
    given_on: so.Mapped[date | None]
    amount: so.Mapped[int | None]  # yen, 移住支援金
    term_start: so.Mapped[date | None]  # 地域おこし協力隊
    term_end: so.Mapped[date | None]
    stayed_after: so.Mapped[bool | None]  # None: not known (yet)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("移住支援の備考"))

    case: so.Mapped[MigrationCase] = so.relationship(back_populates="supports")

    def audit_person_id(self) -> int | None:
        return self.case.person_id if self.case is not None else None

    @property
    def kind_label(self) -> str:
        return SUPPORT_LABELS.get(self.kind, self.kind)


class Contact(Audited, Versioned, Timestamps, db.Model):
    """A contact with the household: a call, a visit, a mail."""

    __tablename__ = "migration_contacts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("migration_cases.id"), index=True)
    contacted_on: so.Mapped[date]
    channel: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    staff: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("世帯との連絡の記録"))

    case: so.Mapped[MigrationCase] = so.relationship(back_populates="contacts")

    def audit_person_id(self) -> int | None:
        return self.case.person_id if self.case is not None else None

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)


class FollowUp(Audited, Versioned, Timestamps, db.Model):
    """A settlement check N years after the move-in: scheduled automatically, then recorded."""

    __tablename__ = "migration_followups"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    case_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("migration_cases.id"), index=True)
    year_mark: so.Mapped[int] = so.mapped_column(sa.Integer)
    due_on: so.Mapped[date] = so.mapped_column(index=True)
    outcome: so.Mapped[str | None] = so.mapped_column(sa.String(20))
    checked_on: so.Mapped[date | None]
    moved_out_on: so.Mapped[date | None]
    staff: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("定住確認の備考"))

    case: so.Mapped[MigrationCase] = so.relationship(back_populates="followups")

    __table_args__ = (sa.UniqueConstraint("case_id", "year_mark", name="uq_migration_followups_case_year"),)

    def audit_person_id(self) -> int | None:
        return self.case.person_id if self.case is not None else None

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome or "", "未確認")

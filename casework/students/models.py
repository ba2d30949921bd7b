"""Tables of this area: host families (里親・ホストファミリー) with their screening steps and
unavailable periods, students (越境学生) with their contacts, and placements (who sleeps where).

Dates of a placement are nights: `started_on` is the first night at the family, `ended_on` the
LAST night there (empty: open-ended). A placement ending 4/10 and one starting 4/11 share no
night; one starting 4/10 shares the night of 4/10."""

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_babel import lazy_gettext as _l

from casework.db import Audited, Timestamps, Versioned, personal
from casework.extensions import db
from casework.people.models import Person

# --- host families ---------------------------------------------------------------------------
APPLIED, INTERVIEWED, HOME_VISITED, REGISTERED, SUSPENDED, ENDED, CANCELLED = (
    "applied", "interviewed", "home_visited", "registered", "suspended", "ended", "cancelled")

FAMILY_STATUS_LABELS = {
    APPLIED: _l("申込"),
    INTERVIEWED: _l("面談"),
    HOME_VISITED: _l("家庭訪問"),
    REGISTERED: _l("登録"),
    SUSPENDED: _l("休止"),
    ENDED: _l("登録終了"),
    CANCELLED: _l("取消"),
}
SCREENING_STATUSES = (APPLIED, INTERVIEWED, HOME_VISITED)

MEAL_LABELS = {
    "three": _l("3食"),
    "two": _l("朝・夕の2食"),
    "breakfast": _l("朝食のみ"),
    "none": _l("なし"),
}


def household_name(family_name: str) -> str:
    """What a host family is called: the household head's family name and 家 (田中家)."""
    return f"{family_name}家"


def family_status_label(status: str) -> str:
    return str(FAMILY_STATUS_LABELS.get(status, status))


class HostFamily(Audited, Versioned, Timestamps, db.Model):
    """A household that hosts students. The household head is a Person (address, phone)."""

    __tablename__ = "host_families"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ref: so.Mapped[str | None] = so.mapped_column(sa.String(40), unique=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True)
    household_members: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("世帯の構成"))
    contacts: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("受入家庭のほかの連絡先"))
    rooms: so.Mapped[int | None]
    capacity: so.Mapped[int] = so.mapped_column(sa.Integer, default=1)
    accepts_boys: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    accepts_girls: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=True)
    has_pets: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False)
    pets_note: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    smoking: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False, info=personal("喫煙者の有無"))
    allergies_handled: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    meals: so.Mapped[str] = so.mapped_column(sa.String(20), default="two")
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default=APPLIED, index=True)
    registered_on: so.Mapped[date | None]
    training_on: so.Mapped[date | None]
    training_note: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    renewal_due_on: so.Mapped[date | None] = so.mapped_column(index=True)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("備考"))

    person: so.Mapped[Person] = so.relationship(lazy="joined", innerjoin=True)
    steps: so.Mapped[list["HostFamilyStep"]] = so.relationship(
        back_populates="host_family", order_by="(HostFamilyStep.done_on.desc(), HostFamilyStep.id.desc())")
    unavailable_periods: so.Mapped[list["UnavailablePeriod"]] = so.relationship(
        back_populates="host_family", order_by="UnavailablePeriod.starts_on.desc()")

    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        # The free beds of the city (services.free_summary) count registered families by capacity
        # and registration date from this index alone (migration 0013_students_free_beds).
        # Capacity first: led by the status, SQLite took it for the search of a person's family.
        sa.Index("ix_host_families_free", "capacity", "status", "registered_on"),
    )

    def audit_person_id(self) -> int:
        return self.person_id

    @property
    def name(self) -> str:
        return household_name(self.person.family_name) if self.person else f"#{self.id}"

    @property
    def status_label(self) -> str:
        return family_status_label(self.status)

    @property
    def meals_label(self) -> str:
        return str(MEAL_LABELS.get(self.meals, self.meals))

    @property
    def allergens_handled(self) -> set[str]:
        return split_words(self.allergies_handled)


class HostFamilyStep(Audited, Timestamps, db.Model):
    """One step of the screening and registration workflow: what, when, and who did it."""

    __tablename__ = "host_family_steps"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    host_family_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("host_families.id"), index=True)
    status: so.Mapped[str] = so.mapped_column(sa.String(20))
    done_on: so.Mapped[date]
    staff_user_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    staff_name: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("備考"))

    host_family: so.Mapped[HostFamily] = so.relationship(back_populates="steps")

    def audit_person_id(self) -> int | None:
        family = db.session.get(HostFamily, self.host_family_id) if self.host_family_id else None
        return family.person_id if family else None

    @property
    def status_label(self) -> str:
        return str(FAMILY_STATUS_LABELS.get(self.status, self.status))


class UnavailablePeriod(Audited, Versioned, Timestamps, db.Model):
    """Nights a family cannot host (family trip, illness): starts_on..ends_on, both included."""

    __tablename__ = "host_family_unavailable"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    host_family_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("host_families.id"), index=True)
    starts_on: so.Mapped[date]
    ends_on: so.Mapped[date]
    reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="", info=personal("受入不可の理由（病気を含みうる）", sensitive=True))

    host_family: so.Mapped[HostFamily] = so.relationship(back_populates="unavailable_periods")

    __table_args__ = (
        sa.CheckConstraint("ends_on >= starts_on", name="period_order"),
        # Periods still to end on a date, as the overview and the free beds ask (0013_students_free_beds).
        sa.Index("ix_host_family_unavailable_period", "ends_on", "starts_on", "host_family_id"),
    )


# --- students --------------------------------------------------------------------------------
ENROLLED, LEFT = "enrolled", "left"
STUDENT_STATUS_LABELS = {ENROLLED: _l("在籍"), LEFT: _l("修了・退学"), CANCELLED: _l("取消")}
GENDER_LABELS = {"male": _l("男子"), "female": _l("女子"), "other": _l("その他・回答なし")}

# The most sensitive fields we hold: shown only with the capability students.sensitive, never in
# lists, exports of other areas, drill-downs or the audit log (their values are redacted there).
SENSITIVE_FIELDS = ("allergens", "medical_notes", "needs_no_pets", "needs_no_smoking")


class Student(Audited, Versioned, Timestamps, db.Model):
    __tablename__ = "students"
    __audit_redact__ = SENSITIVE_FIELDS

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ref: so.Mapped[str | None] = so.mapped_column(sa.String(40), unique=True)
    person_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("people.id"), index=True, unique=True)
    gender: so.Mapped[str] = so.mapped_column(sa.String(10), default="other", info=personal("学生の性別"))
    home_prefecture: so.Mapped[str] = so.mapped_column(sa.String(20), default="", info=personal("学生の出身地（都道府県）"))
    home_municipality: so.Mapped[str] = so.mapped_column(sa.String(60), default="", info=personal("学生の出身地（市区町村）"))
    school: so.Mapped[str] = so.mapped_column(sa.String(100), default="", info=personal("学校"))
    grade: so.Mapped[str] = so.mapped_column(sa.String(20), default="", info=personal("学年"))
    expected_graduation_on: so.Mapped[date | None] = so.mapped_column(info=personal("卒業予定日"))
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default=ENROLLED, index=True)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("備考"))
    # Needs (sensitive).
    allergens: so.Mapped[str] = so.mapped_column(sa.String(300), default="", info=personal("アレルギー", sensitive=True))
    medical_notes: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("医療上の注意", sensitive=True))
    needs_no_pets: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False, info=personal("ペットのいない家庭が必要（健康上の配慮）", sensitive=True))
    needs_no_smoking: so.Mapped[bool] = so.mapped_column(sa.Boolean, default=False, info=personal("喫煙者のいない家庭が必要（健康上の配慮）", sensitive=True))

    person: so.Mapped[Person] = so.relationship(lazy="joined", innerjoin=True)
    contacts: so.Mapped[list["StudentContact"]] = so.relationship(
        back_populates="student", order_by="(StudentContact.kind, StudentContact.id)")

    def audit_person_id(self) -> int:
        return self.person_id

    @property
    def status_label(self) -> str:
        return str(STUDENT_STATUS_LABELS.get(self.status, self.status))

    @property
    def gender_label(self) -> str:
        return str(GENDER_LABELS.get(self.gender, self.gender))

    @property
    def allergen_set(self) -> set[str]:
        return split_words(self.allergens)


CONTACT_KIND_LABELS = {"guardian": _l("保護者"), "emergency": _l("緊急連絡先")}


class StudentContact(Audited, Versioned, Timestamps, db.Model):
    """A guardian (保護者) or an emergency contact (緊急連絡先) of a student."""

    __tablename__ = "student_contacts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    student_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("students.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(20), default="guardian")
    name: so.Mapped[str] = so.mapped_column(sa.String(100), info=personal("保護者・緊急連絡先の氏名"))
    relation: so.Mapped[str] = so.mapped_column(sa.String(40), default="", info=personal("続柄"))
    phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="", info=personal("保護者・緊急連絡先の電話番号"))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), default="", info=personal("保護者・緊急連絡先のメールアドレス"))
    address: so.Mapped[str] = so.mapped_column(sa.String(300), default="", info=personal("保護者・緊急連絡先の住所"))
    note: so.Mapped[str] = so.mapped_column(sa.String(300), default="", info=personal("連絡先の備考"))

    student: so.Mapped[Student] = so.relationship(back_populates="contacts")

    def audit_person_id(self) -> int | None:
        student = db.session.get(Student, self.student_id) if self.student_id else None
        return student.person_id if student else None

    @property
    def kind_label(self) -> str:
        return str(CONTACT_KIND_LABELS.get(self.kind, self.kind))


# --- placements ------------------------------------------------------------------------------
PLACED = "placed"
PLACEMENT_STATUS_LABELS = {PLACED: _l("配置"), CANCELLED: _l("取消")}


class Placement(Audited, Versioned, Timestamps, db.Model):
    """A student living with a host family from started_on (first night) to ended_on (last
    night; empty = open-ended). Cancelled placements never count and never occupy a bed."""

    __tablename__ = "placements"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ref: so.Mapped[str | None] = so.mapped_column(sa.String(40), unique=True)
    student_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("students.id"), index=True)
    host_family_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("host_families.id"))
    started_on: so.Mapped[date]
    ended_on: so.Mapped[date | None]
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default=PLACED)
    end_reason: so.Mapped[str] = so.mapped_column(sa.String(200), default="", info=personal("配置の終了理由"))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="", info=personal("備考"))

    student: so.Mapped[Student] = so.relationship(lazy="joined", innerjoin=True)
    host_family: so.Mapped[HostFamily] = so.relationship(lazy="joined", innerjoin=True)

    __table_args__ = (
        sa.Index("ix_placements_family_period", "host_family_id", "started_on", "ended_on"),
        # Covering index of the rollup source placements (bench/README.md).
        sa.Index("ix_placements_rollup", "student_id", "started_on", "status"),
        # The drill-down of the rollup lists placements by start date (bench/README.md).
        sa.Index("ix_placements_drilldown", "started_on", "status", "student_id"),
        # The placements sharing a night with a date or period, by their last night: those still
        # running are the last few in it (services.free_summary; 0013_students_free_beds).
        sa.Index("ix_placements_last_night", "ended_on", "started_on", "status", "host_family_id"),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="period_order"),
    )

    def audit_person_id(self) -> int | None:
        student = db.session.get(Student, self.student_id) if self.student_id else None
        return student.person_id if student else None

    @property
    def cancelled(self) -> bool:
        return self.status == CANCELLED

    @property
    def status_label(self) -> str:
        return str(PLACEMENT_STATUS_LABELS.get(self.status, self.status))

    def covers(self, day: date) -> bool:
        return self.started_on <= day and (self.ended_on is None or self.ended_on >= day)


def split_words(text: str | None) -> set[str]:
    """「卵、小麦, そば」 → {"卵", "小麦", "そば"} (folded, for matching)."""
    from casework import jp

    if not text:
        return set()
    for sep in "、，,;；/／・\n":
        text = text.replace(sep, " ")
    return {jp.fold(word) for word in text.split() if jp.fold(word)}

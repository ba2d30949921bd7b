"""Tables of this area: organizations (companies and institutions, outside the region or
local), their contacts and activity log, partnerships with their local partners and dated
outcomes."""

import re
import unicodedata
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework import jp
from casework.db import Audited, Timestamps, Versioned, personal
from casework.extensions import db

# --- Labels (codes are stored, labels shown) -------------------------------------------------

REGION_LABELS = {True: "域外", False: "市内・地域内"}

KIND_LABELS = {
    "agreement": "連携協定",
    "joint_research": "共同試験研究",
    "product_development": "商品開発",
    "siting": "進出・立地",
    "personnel_exchange": "人材交流",
    "other": "その他",
}

STATUS_LABELS = {
    "negotiating": "協議中",
    "concluded": "締結",
    "active": "実施中",
    "ended": "終了",
    "cancelled": "取消",
}
# Statuses in which an agreement exists (the organization is no longer "in the pipeline").
AGREED_STATUSES = ("concluded", "active", "ended")
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "negotiating": ("concluded", "cancelled"),
    "concluded": ("active", "ended", "cancelled"),
    "active": ("ended", "cancelled"),
    "ended": ("active", "cancelled"),
    "cancelled": (),
}
STATUS_BADGES = {"negotiating": "badge-warn", "concluded": "badge-ok", "active": "badge-ok",
                 "ended": "", "cancelled": "badge-bad"}

ACTIVITY_LABELS = {
    "visit": "企業訪問",
    "seminar": "セミナー・展示会（企業立地セミナー等）",
    "meeting": "打合せ・会議",
    "call": "電話・メール",
    "other": "その他",
}

# Outcomes: what is counted and in which unit. Investment is entered and summed in 万円.
OUTCOME_LABELS = {"products": "商品化", "jobs": "雇用創出", "investment": "投資額"}
OUTCOME_UNITS = {"products": "品", "jobs": "人", "investment": "万円"}


# Legal-form abbreviations written in several ways; folded to one spelling for matching.
_LEGAL_FORMS = {
    "(株)": "株式会社",
    "(有)": "有限会社",
    "(合)": "合同会社",
    "(同)": "合同会社",
    "(一社)": "一般社団法人",
    "(一財)": "一般財団法人",
    "(公社)": "公益社団法人",
    "(公財)": "公益財団法人",
    "(独)": "独立行政法人",
    "(国研)": "国立研究開発法人",
}


def organization_key(name: str | None) -> str:
    """The matching key of an organization's name: width, kana and spaces folded (jp.fold),
    and ㈱ / (株) / （株） read as 株式会社."""
    key = jp.fold(name)
    for short, full in _LEGAL_FORMS.items():
        key = key.replace(short, full)
    return key


_NUMBER_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u30fc]")


def normalize_corporate_number(text: str | None) -> str:
    """The 法人番号 as typed without hyphens or spaces, full-width digits made ASCII."""
    return _NUMBER_SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))


def place_text(prefecture: str, municipality: str) -> str:
    """Where an organization is, as lists and its page show it."""
    return f"{prefecture}{municipality}"


class Organization(Audited, Versioned, Timestamps, db.Model):
    """A company or institution: outside the region (域外) or local (市内・地域内)."""

    __tablename__ = "organizations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    kana: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    corporate_number: so.Mapped[str | None] = so.mapped_column(sa.String(13), unique=True)
    outside_region: so.Mapped[bool] = so.mapped_column(default=True, index=True)
    prefecture: so.Mapped[str] = so.mapped_column(sa.String(10), default="", index=True)
    municipality: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    industry: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    # Folded keys: name_key is what imports match on (one organization per folded name).
    name_key: so.Mapped[str] = so.mapped_column(sa.String(200), unique=True)
    kana_key: so.Mapped[str] = so.mapped_column(sa.String(200), index=True, default="")

    contacts: so.Mapped[list["OrganizationContact"]] = so.relationship(
        back_populates="organization", order_by="OrganizationContact.id")
    activities: so.Mapped[list["Activity"]] = so.relationship(
        back_populates="organization",
        order_by="[Activity.occurred_on.desc(), Activity.id.desc()]")

    @property
    def region_label(self) -> str:
        return REGION_LABELS[bool(self.outside_region)]

    @property
    def place(self) -> str:
        return place_text(self.prefecture, self.municipality)

    def refresh_keys(self) -> None:
        self.name_key = organization_key(self.name)
        self.kana_key = jp.fold(self.kana)


@sa.event.listens_for(Organization, "before_insert")
@sa.event.listens_for(Organization, "before_update")
def _organization_keys(_mapper, _connection, organization: Organization) -> None:
    organization.refresh_keys()


class OrganizationContact(Audited, Versioned, Timestamps, db.Model):
    """Someone to talk to at an organization (担当者)."""

    __tablename__ = "organization_contacts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organization_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organizations.id"), index=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100), info=personal("企業・機関の担当者の氏名"))
    department: so.Mapped[str] = so.mapped_column(sa.String(200), default="",
                                                  info=personal("企業・機関の担当者の部署・役職"))
    phone: so.Mapped[str] = so.mapped_column(sa.String(40), default="", info=personal("企業・機関の担当者の電話番号"))
    email: so.Mapped[str] = so.mapped_column(sa.String(254), default="",
                                             info=personal("企業・機関の担当者のメールアドレス"))

    organization: so.Mapped[Organization] = so.relationship(back_populates="contacts")


class Activity(Audited, Versioned, Timestamps, db.Model):
    """One contact with an organization: a visit, a seminar, a meeting, a call."""

    __tablename__ = "organization_activities"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    organization_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organizations.id"))
    occurred_on: so.Mapped[date]
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    staff_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    next_step: so.Mapped[str] = so.mapped_column(sa.String(300), default="")

    organization: so.Mapped[Organization] = so.relationship(back_populates="activities")
    staff = so.relationship("User")

    __table_args__ = (
        sa.Index("ix_organization_activities_org_date", "organization_id", "occurred_on"),
        sa.CheckConstraint(sa.column("kind").in_(list(ACTIVITY_LABELS)), name="kind_known"),
    )

    @property
    def kind_label(self) -> str:
        return ACTIVITY_LABELS.get(self.kind, self.kind)


class Partnership(Audited, Versioned, Timestamps, db.Model):
    """A partnership (連携) of the city's area with an organization, usually from outside."""

    __tablename__ = "partnerships"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    ref: so.Mapped[str | None] = so.mapped_column(sa.String(40), unique=True)
    organization_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organizations.id"), index=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(30), default="other")
    status: so.Mapped[str] = so.mapped_column(sa.String(20), default="negotiating")
    agreed_on: so.Mapped[date | None] = so.mapped_column(index=True)
    ended_on: so.Mapped[date | None]
    resource: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    staff_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("users.id"))
    document_refs: so.Mapped[str] = so.mapped_column(sa.String(300), default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")

    organization: so.Mapped[Organization] = so.relationship()
    staff = so.relationship("User")
    partner_links: so.Mapped[list["PartnershipPartner"]] = so.relationship(
        back_populates="partnership", cascade="all, delete-orphan")
    outcomes: so.Mapped[list["Outcome"]] = so.relationship(
        back_populates="partnership", order_by="[Outcome.occurred_on, Outcome.id]")

    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(list(KIND_LABELS)), name="kind_known"),
        sa.CheckConstraint(sa.column("status").in_(list(STATUS_LABELS)), name="status_known"),
        # Covering index of the rollup source partnerships (bench/README.md).
        sa.Index("ix_partnerships_rollup", "organization_id", "status", "agreed_on"),
    )

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def status_badge(self) -> str:
        return STATUS_BADGES.get(self.status, "")

    @property
    def cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def partners(self) -> list[Organization]:
        return sorted((link.organization for link in self.partner_links), key=lambda o: o.name_key)

    @property
    def title(self) -> str:
        return f"{self.organization.name}（{self.kind_label}）"

    @property
    def agreed_fiscal_year(self) -> int | None:
        return jp.fiscal_year_of(self.agreed_on) if self.agreed_on else None


# The list's default order, newest first (see ix_startup_cases_newest).
sa.Index("ix_partnerships_newest", Partnership.agreed_on.desc().nulls_last(), Partnership.id.desc())

# When a partnership counts for 1-01-06-1: on its agreement date, and not while still in talks
# (the rollup source, casework.partnerships.sources). 'negotiating' is a literal, not a bound
# parameter, so that the databases match the expression with its index.
COUNTED_ON = sa.case((Partnership.status == sa.literal_column("'negotiating'"), sa.null()),
                     else_=Partnership.agreed_on)
# The drill-down lists the records behind a number in that order (bench/README.md); with the
# status and organization it holds all the source reads. The expression is COUNTED_ON, written
# as PostgreSQL prints it back, line breaks included: Alembic compares an expression index by
# its text, and tests/test_migrations.py must find the migration's index equal to this one.
_COUNTED_ON_AS_PRINTED = "(\nCASE\n    WHEN status = 'negotiating' THEN NULL\n    ELSE agreed_on\nEND)"
sa.Index("ix_partnerships_drilldown", sa.text(_COUNTED_ON_AS_PRINTED),
         Partnership.id, Partnership.status, Partnership.organization_id)


class PartnershipPartner(Audited, Timestamps, db.Model):
    """A local organization taking part in a partnership (地域内の連携先)."""

    __tablename__ = "partnership_partners"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("partnerships.id"))
    organization_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("organizations.id"), index=True)

    partnership: so.Mapped[Partnership] = so.relationship(back_populates="partner_links")
    organization: so.Mapped[Organization] = so.relationship()

    __table_args__ = (sa.UniqueConstraint("partnership_id", "organization_id",
                                          name="uq_partnership_partners_pair"),)


class Outcome(Audited, Versioned, Timestamps, db.Model):
    """A dated result of a partnership: products launched, jobs created, investment (万円)."""

    __tablename__ = "partnership_outcomes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    partnership_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("partnerships.id"), index=True)
    occurred_on: so.Mapped[date]
    kind: so.Mapped[str] = so.mapped_column(sa.String(20))
    amount: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    description: so.Mapped[str] = so.mapped_column(sa.String(300), default="")

    partnership: so.Mapped[Partnership] = so.relationship(back_populates="outcomes")

    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(list(OUTCOME_LABELS)), name="kind_known"),
        sa.CheckConstraint(sa.column("amount") >= 0, name="amount_not_negative"),
    )

    @property
    def kind_label(self) -> str:
        return OUTCOME_LABELS.get(self.kind, self.kind)

    @property
    def unit(self) -> str:
        return OUTCOME_UNITS.get(self.kind, "")

    @property
    def fiscal_year(self) -> int:
        return jp.fiscal_year_of(self.occurred_on)

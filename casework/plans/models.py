"""Tables of this area: the plan as data (chapters, sections, indicators, yearly targets,
versioned counting rules), observed values, confirmed (確定) years, and the rollup cache.

Numbers from the plan are kept exactly: a Numeric value plus the number of decimal places the
plan (or the person entering it) wrote, so that 1.50 stays "1.50" and 173.0 stays "173.0"."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
import sqlalchemy.orm as so

from casework.db import Audited, Timestamps, UTCDateTime, Versioned, utcnow
from casework.extensions import db

PLAN_NUMBER = sa.Numeric(20, 6)

MEASURES = ("count_records", "distinct_subjects", "sum_weight")
MEASURE_LABELS = {
    "count_records": "記録の件数",
    "distinct_subjects": "対象の実数（同じ対象は1回）",
    "sum_weight": "重み（世帯人数など）の合計",
}
WINDOWS = ("annual", "cumulative")
WINDOW_LABELS = {
    "annual": "年度内（4月1日から各月末まで）",
    "cumulative": "累計（開始日から各月末まで）",
}
DIRECTION_LABELS = {"higher": "高いほど良い", "lower": "低いほど良い"}
KIND_LABELS = {"cases": "案件から集計", "observed": "観測値（他機関の数値）"}


def places_of(value) -> int:
    """Decimal places as written: "1.50" → 2, "6025" → 0."""
    exponent = Decimal(str(value)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def exact(value, places: int) -> Decimal | None:
    """A stored Numeric brought back to the places it was written with."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places))


class Chapter(Timestamps, db.Model):
    __tablename__ = "plan_chapters"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    viewpoints: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)

    sections: so.Mapped[list["Section"]] = so.relationship(
        back_populates="chapter", order_by="Section.code")


class Section(Timestamps, db.Model):
    __tablename__ = "plan_sections"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    chapter_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("plan_chapters.id"), index=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    # The plan's texts, one list of paragraphs each: 目指す姿, 前期の検証, 現状と課題, 方向性.
    goal: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    review: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    current_issues: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)
    direction: so.Mapped[list] = so.mapped_column(sa.JSON, default=list)

    chapter: so.Mapped[Chapter] = so.relationship(back_populates="sections")
    indicators: so.Mapped[list["Indicator"]] = so.relationship(
        back_populates="section", order_by="Indicator.order")


class Indicator(Timestamps, db.Model):
    __tablename__ = "plan_indicators"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    section_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("plan_sections.id"), index=True)
    code: so.Mapped[str] = so.mapped_column(sa.String(20), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(200))
    unit: so.Mapped[str] = so.mapped_column(sa.String(20), default="")
    baseline: so.Mapped[Decimal | None] = so.mapped_column(PLAN_NUMBER)
    baseline_places: so.Mapped[int] = so.mapped_column(default=0)
    baseline_year: so.Mapped[int | None]
    direction: so.Mapped[str] = so.mapped_column(sa.String(10), default="higher")
    target_trend: so.Mapped[str] = so.mapped_column(sa.String(10), default="")
    kind: so.Mapped[str] = so.mapped_column(sa.String(10), default="cases")  # cases | observed
    order: so.Mapped[int] = so.mapped_column(default=0)
    # Observed indicators: how often the figure comes (annual / monthly) and from whom.
    frequency: so.Mapped[str] = so.mapped_column(sa.String(10), default="")
    provider: so.Mapped[str] = so.mapped_column(sa.String(100), default="")

    section: so.Mapped[Section] = so.relationship(back_populates="indicators")
    targets: so.Mapped[list["Target"]] = so.relationship(
        back_populates="indicator", order_by="Target.fiscal_year")

    __table_args__ = (
        sa.CheckConstraint(sa.column("kind").in_(["cases", "observed"]), name="kind_known"),
        sa.CheckConstraint(sa.column("direction").in_(["higher", "lower"]), name="direction_known"),
    )

    @property
    def baseline_exact(self) -> Decimal | None:
        return exact(self.baseline, self.baseline_places)

    @property
    def observed(self) -> bool:
        return self.kind == "observed"

    def target_for(self, fiscal_year: int) -> "Target | None":
        return next((t for t in self.targets if t.fiscal_year == fiscal_year), None)


class Target(Audited, Versioned, Timestamps, db.Model):
    __tablename__ = "plan_targets"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("plan_indicators.id"), index=True)
    fiscal_year: so.Mapped[int]
    value: so.Mapped[Decimal] = so.mapped_column(PLAN_NUMBER)
    places: so.Mapped[int] = so.mapped_column(default=0)
    # Set when a manager changed it: `plan load` then leaves it alone (unless --reset).
    edited: so.Mapped[bool] = so.mapped_column(default=False)

    indicator: so.Mapped[Indicator] = so.relationship(back_populates="targets")

    __table_args__ = (sa.UniqueConstraint("indicator_id", "fiscal_year", name="uq_plan_targets_indicator_year"),)

    @property
    def exact_value(self) -> Decimal:
        return exact(self.value, self.places)


class CountingRule(Audited, Timestamps, db.Model):
    """One version of an indicator's counting rule. Never updated in place (except the
    `current` flag): an edit adds a new version, so every number can be traced to its rule."""

    __tablename__ = "plan_counting_rules"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("plan_indicators.id"), index=True)
    number: so.Mapped[int] = so.mapped_column(default=1)
    current: so.Mapped[bool] = so.mapped_column(default=True)
    source: so.Mapped[str] = so.mapped_column(sa.String(40))
    measure: so.Mapped[str] = so.mapped_column(sa.String(20))
    # "window" is a reserved word in PostgreSQL: the column is named window_kind.
    window: so.Mapped[str] = so.mapped_column("window_kind", sa.String(20))
    window_start: so.Mapped[date | None]
    # "plan" (from the data file) or "manager" (edited in the app).
    origin: so.Mapped[str] = so.mapped_column(sa.String(10), default="plan")
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_by: so.Mapped[str] = so.mapped_column(sa.String(64), default="")

    indicator: so.Mapped[Indicator] = so.relationship()

    __table_args__ = (
        sa.UniqueConstraint("indicator_id", "number", name="uq_plan_counting_rules_indicator_number"),
        sa.CheckConstraint(sa.column("measure").in_(MEASURES), name="measure_known"),
        sa.CheckConstraint(sa.column("window_kind").in_(WINDOWS), name="window_known"),
    )

    def same_as(self, source: str, measure: str, window: str, window_start: date | None) -> bool:
        return (self.source, self.measure, self.window, self.window_start) == (
            source, measure, window, window_start)


class Observation(Audited, Versioned, Timestamps, db.Model):
    """A figure that comes from elsewhere (tax division, Hello Work, ...), for a fiscal year or
    one month of it. One value per indicator and period: a new entry replaces it, the old
    value stays in ObservationRevision (and the audit log)."""

    __tablename__ = "plan_observations"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    indicator_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("plan_indicators.id"))
    fiscal_year: so.Mapped[int]
    # "YYYY-MM", or "" for a value of the whole fiscal year (counts from April).
    month: so.Mapped[str] = so.mapped_column(sa.String(7), default="")
    value: so.Mapped[Decimal] = so.mapped_column(PLAN_NUMBER)
    places: so.Mapped[int] = so.mapped_column(default=0)
    source: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    entered_by: so.Mapped[str] = so.mapped_column(sa.String(64), default="")

    indicator: so.Mapped[Indicator] = so.relationship()
    revisions: so.Mapped[list["ObservationRevision"]] = so.relationship(
        back_populates="observation", order_by="ObservationRevision.id.desc()")

    __table_args__ = (
        sa.UniqueConstraint("indicator_id", "fiscal_year", "month", name="uq_plan_observations_period"),
    )

    @property
    def exact_value(self) -> Decimal:
        return exact(self.value, self.places)

    @property
    def effective_month(self) -> str:
        return self.month or f"{self.fiscal_year}-04"


class ObservationRevision(db.Model):
    """Append-only history of an observed value: every version as it was entered."""

    __tablename__ = "plan_observation_revisions"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    observation_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("plan_observations.id"), index=True)
    value: so.Mapped[Decimal] = so.mapped_column(PLAN_NUMBER)
    places: so.Mapped[int] = so.mapped_column(default=0)
    source: so.Mapped[str] = so.mapped_column(sa.String(200), default="")
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    entered_by: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    entered_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    via: so.Mapped[str] = so.mapped_column(sa.String(20), default="form")  # form | import

    observation: so.Mapped[Observation] = so.relationship(back_populates="revisions")

    @property
    def exact_value(self) -> Decimal:
        return exact(self.value, self.places)


class FrozenYear(Audited, Versioned, Timestamps, db.Model):
    """A fiscal year whose figures a manager confirmed (確定). `snapshot` holds the rollup as it
    was then: {code: {"values": [12 texts or null], "target": text|null, "rule": id|null}}."""

    __tablename__ = "plan_frozen_years"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    fiscal_year: so.Mapped[int] = so.mapped_column(unique=True)
    snapshot: so.Mapped[dict] = so.mapped_column(sa.JSON)
    confirmed_by: so.Mapped[str] = so.mapped_column(sa.String(64), default="")
    confirmed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")


class RollupState(db.Model):
    """One row: a generation counter bumped in the same transaction as every write that could
    change a rollup (see casework.plans.cache). A cached rollup is valid for its generation."""

    __tablename__ = "plan_rollup_state"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    generation: so.Mapped[int] = so.mapped_column(sa.BigInteger, default=0)


class RollupCache(db.Model):
    __tablename__ = "plan_rollup_cache"

    fiscal_year: so.Mapped[int] = so.mapped_column(primary_key=True, autoincrement=False)
    generation: so.Mapped[int] = so.mapped_column(sa.BigInteger)
    data: so.Mapped[dict] = so.mapped_column(sa.JSON)
    computed_at: so.Mapped[datetime] = so.mapped_column(UTCDateTime, default=utcnow)

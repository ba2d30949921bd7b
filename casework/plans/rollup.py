"""THE place numbers are computed. The dashboard, the exports, the JSON API and the CLI all
call `rollup()` and `drilldown()`; nothing else counts.

Counting rules (docs/domain.md):
- annual window: value as of month M = count from the fiscal year's start to the end of M;
- cumulative window: from the window start (or all time) to the end of M;
- distinct_subjects places each subject at its earliest date: within the fiscal year for an
  annual window (a person with cases in two years counts once in each), overall for a
  cumulative one (a subject whose earliest date is before the window start never counts);
- sum_weight adds the weights (household sizes); cancelled records are filtered in the source;
- records without a date are not counted and are reported as "not yet countable".

Each rule is ONE aggregate query grouped by month in SQL; Python only adds up twelve buckets.
Observed indicators: as of month M, the latest observation of that fiscal year whose month is
on or before M (an observation without a month counts from April)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from casework import jp
from casework.extensions import db
from casework.plans import cache
from casework.plans.models import (
    CountingRule,
    Indicator,
    Observation,
    Section,
    Target,
    exact,
)
from casework.plans.sources import Source, get_source

UNDATED = -1  # bucket of records without a date
BEFORE_FY = 0  # bucket of records counted before the fiscal year (cumulative windows)


@dataclass(frozen=True)
class RuleSpec:
    """What the engine needs of a counting rule: a stored version or a candidate in a preview."""

    source: str
    measure: str
    window: str
    window_start: date | None = None

    @classmethod
    def of(cls, rule: CountingRule) -> RuleSpec:
        return cls(rule.source, rule.measure, rule.window, rule.window_start)


@dataclass
class IndicatorRollup:
    id: int
    code: str
    name: str
    unit: str
    section_code: str
    section_title: str
    kind: str  # cases | observed
    direction: str
    order: int
    target: Decimal | None
    baseline: Decimal | None
    baseline_year: int | None
    values: list = field(default_factory=list)  # 12 month-end values (int / Decimal / None)
    # cases
    rule_id: int | None = None
    source: str | None = None
    measure: str | None = None
    window: str | None = None
    window_start: date | None = None
    program: str | None = None
    source_missing: bool = False
    not_countable: int = 0
    # observed: the observation behind each month's value
    observation_ids: list = field(default_factory=list)

    @property
    def observed(self) -> bool:
        return self.kind == "observed"

    def value_at(self, month_index: int):
        return self.values[month_index] if 0 <= month_index < len(self.values) else None


@dataclass
class RollupResult:
    fiscal_year: int
    months: list[str]
    indicators: list[IndicatorRollup]

    def get(self, code: str) -> IndicatorRollup | None:
        return next((i for i in self.indicators if i.code == code), None)

    # --- cache (JSON) ---------------------------------------------------------------------
    def to_data(self) -> dict:
        def plain(value):
            if isinstance(value, Decimal):
                return {"d": format(value, "f")}
            if isinstance(value, date):
                return {"date": value.isoformat()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        return {"fiscal_year": self.fiscal_year, "months": self.months,
                "indicators": [{k: plain(v) for k, v in asdict(i).items()} for i in self.indicators]}

    @classmethod
    def from_data(cls, data: dict) -> RollupResult:
        def back(value):
            if isinstance(value, dict) and "d" in value:
                return Decimal(value["d"])
            if isinstance(value, dict) and "date" in value:
                return date.fromisoformat(value["date"])
            if isinstance(value, list):
                return [back(v) for v in value]
            return value

        return cls(data["fiscal_year"], list(data["months"]),
                   [IndicatorRollup(**{k: back(v) for k, v in i.items()}) for i in data["indicators"]])


# --- months -------------------------------------------------------------------------------


def month_keys(fiscal_year: int) -> list[str]:
    """["2026-04", ..., "2027-03"]."""
    return [d.strftime("%Y-%m") for d in jp.fiscal_year_months(fiscal_year)]


def month_index(fiscal_year: int, month: str) -> int:
    """0..11 for a "YYYY-MM" of the fiscal year; ValueError otherwise."""
    keys = month_keys(fiscal_year)
    if month not in keys:
        raise ValueError(f"{month} は{jp.fiscal_year_label(fiscal_year)}の月ではありません")
    return keys.index(month)


def month_end_of(fiscal_year: int, index: int) -> date:
    return jp.month_end(jp.fiscal_year_months(fiscal_year)[index])


def _index_of_calendar_month(month_number: int) -> int:
    return (month_number - 4) % 12


# --- case indicators: one aggregate query per rule ----------------------------------------


def _rows(source: Source, name: str):
    return source.rows().subquery(name)


def _dated_bucket(column, fiscal_year: int, spec: RuleSpec):
    """The bucket of a date already known to lie in the rule's range: BEFORE_FY or 1..12."""
    month = sa.cast(sa.extract("month", column), sa.Integer)  # PostgreSQL: numeric otherwise
    if spec.window == "annual":
        return month
    return sa.case((column < jp.fiscal_year_bounds(fiscal_year)[0], BEFORE_FY), else_=month)


def _in_range(column, fiscal_year: int, spec: RuleSpec):
    """The dates a rule counts by the end of the fiscal year (a range an index can seek)."""
    fy_start, fy_end = jp.fiscal_year_bounds(fiscal_year)
    lower = fy_start if spec.window == "annual" else spec.window_start
    return column.between(lower, fy_end) if lower is not None else column <= fy_end


def _aggregate(spec: RuleSpec, source: Source, fiscal_year: int) -> sa.Select:
    """The one query: rows (bucket, counted, undated). Two branches under UNION ALL, so that each
    is a plain range (or the NULL dates) over the source's covering index: the counted records
    grouped by bucket, and one UNDATED row with the number of records without a date. Each
    distinct subject is placed at its earliest date (within the fiscal year for an annual
    window); the count of records without a date is the same whichever subject they belong to."""
    rows = _rows(source, "r")
    if spec.measure == "distinct_subjects":
        per_subject = sa.select(sa.func.min(rows.c.event_date).label("first_date")).group_by(rows.c.subject_key)
        if spec.window == "annual":
            per_subject = per_subject.where(_in_range(rows.c.event_date, fiscal_year, spec))
        else:
            per_subject = per_subject.where(rows.c.event_date.is_not(None))
        subjects = per_subject.subquery("s")
        bucket = _dated_bucket(subjects.c.first_date, fiscal_year, spec).label("bucket")
        counted = (sa.select(bucket, sa.func.count().label("counted"), sa.literal(0).label("undated"))
                   .where(_in_range(subjects.c.first_date, fiscal_year, spec))
                   .group_by(bucket))
    else:
        bucket = _dated_bucket(rows.c.event_date, fiscal_year, spec).label("bucket")
        measure = sa.func.sum(sa.func.coalesce(rows.c.weight, 0)) if spec.measure == "sum_weight" else sa.func.count()
        counted = (sa.select(bucket, measure.label("counted"), sa.literal(0).label("undated"))
                   .where(_in_range(rows.c.event_date, fiscal_year, spec))
                   .group_by(bucket))
    if _always_dated(source):
        return counted
    undated_rows = _rows(source, "u")
    undated = sa.select(sa.literal(UNDATED).label("bucket"), sa.literal(0).label("counted"),
                        sa.func.count().label("undated")).where(undated_rows.c.event_date.is_(None))
    return sa.union_all(counted, undated)


def _always_dated(source: Source) -> bool:
    """True when the source's event_date is a NOT NULL column: no branch for undated records
    (it would scan the whole index for nothing)."""
    column = source.rows().selected_columns["event_date"]
    column = getattr(column, "element", column)
    return isinstance(column, sa.Column) and not column.nullable


def case_values(spec: RuleSpec, fiscal_year: int) -> tuple[list[int] | None, int]:
    """(twelve month-end values, number of records not yet countable); (None, 0) when the
    rule's source is not registered."""
    source = get_source(spec.source)
    if source is None:
        return None, 0
    per_month = [0] * 12
    before, undated = 0, 0
    for bucket, counted, undated_here in db.session.execute(_aggregate(spec, source, fiscal_year)):
        undated += int(undated_here or 0)
        bucket = int(bucket)
        if bucket == BEFORE_FY:
            before += int(counted or 0)
        elif 1 <= bucket <= 12:
            per_month[_index_of_calendar_month(bucket)] += int(counted or 0)
    values, running = [], before
    for added in per_month:
        running += added
        values.append(running)
    return values, undated


# --- observed indicators ------------------------------------------------------------------


def observed_values(indicator_ids: list[int], fiscal_year: int) -> dict[int, tuple[list, list]]:
    """{indicator id: (12 values, 12 observation ids)} from one query."""
    result = {i: ([None] * 12, [None] * 12) for i in indicator_ids}
    if not indicator_ids:
        return result
    keys = month_keys(fiscal_year)
    observations = db.session.execute(
        sa.select(Observation.id, Observation.indicator_id, Observation.month,
                  Observation.value, Observation.places)
        .where(Observation.indicator_id.in_(indicator_ids), Observation.fiscal_year == fiscal_year)
    ).all()
    # Latest month first; for the same month an explicit month wins over the whole-year value.
    ranked = sorted(observations, key=lambda o: (o.month or keys[0], o.month != "", o.id), reverse=True)
    for indicator_id, (values, ids) in result.items():
        mine = [o for o in ranked if o.indicator_id == indicator_id]
        for index, key in enumerate(keys):
            chosen = next((o for o in mine if (o.month or keys[0]) <= key), None)
            if chosen is not None:
                values[index] = exact(chosen.value, chosen.places)
                ids[index] = chosen.id
    return result


# --- the whole year -----------------------------------------------------------------------


def _plan_rows(fiscal_year: int):
    indicators = db.session.execute(
        sa.select(Indicator, Section.code, Section.title)
        .join(Section, Indicator.section_id == Section.id)
        .order_by(Section.code, Indicator.order, Indicator.code)
    ).all()
    targets = {t.indicator_id: t for t in db.session.scalars(
        sa.select(Target).where(Target.fiscal_year == fiscal_year))}
    rules = {r.indicator_id: r for r in db.session.scalars(
        sa.select(CountingRule).where(CountingRule.current.is_(True)))}
    return indicators, targets, rules


def compute(fiscal_year: int) -> RollupResult:
    """The rollup, computed now (no cache)."""
    indicators, targets, rules = _plan_rows(fiscal_year)
    observed_ids = [ind.id for ind, _c, _t in indicators if ind.kind == "observed"]
    observed = observed_values(observed_ids, fiscal_year)
    results = []
    for ind, section_code, section_title in indicators:
        target = targets.get(ind.id)
        item = IndicatorRollup(
            id=ind.id, code=ind.code, name=ind.name, unit=ind.unit, section_code=section_code,
            section_title=section_title, kind=ind.kind, direction=ind.direction, order=ind.order,
            target=target.exact_value if target else None, baseline=ind.baseline_exact,
            baseline_year=ind.baseline_year)
        if ind.kind == "observed":
            item.values, item.observation_ids = observed[ind.id]
        else:
            rule = rules.get(ind.id)
            if rule is None:
                item.values = [None] * 12
                item.source_missing = True
            else:
                spec = RuleSpec.of(rule)
                source = get_source(spec.source)
                item.rule_id, item.source, item.measure = rule.id, rule.source, rule.measure
                item.window, item.window_start = rule.window, rule.window_start
                item.program = source.program if source else None
                values, item.not_countable = case_values(spec, fiscal_year)
                item.source_missing = values is None
                item.values = values if values is not None else [None] * 12
        results.append(item)
    return RollupResult(fiscal_year, month_keys(fiscal_year), results)


def rollup(fiscal_year: int, *, use_cache: bool = True) -> RollupResult:
    """Month-end values April–March of every indicator for the fiscal year. Cached per year;
    any write that could change it invalidates the cache in its own transaction. The cache is
    written through the current session: the caller's commit keeps it."""
    if not use_cache:
        return compute(fiscal_year)
    at_generation, data = cache.load(db.session, fiscal_year)
    if data is not None:
        return RollupResult.from_data(data)
    result = compute(fiscal_year)
    cache.store(db.session, fiscal_year, at_generation, result.to_data())
    return result


def year_end_value(spec: RuleSpec, fiscal_year: int):
    """The value as of March under a (possibly unsaved) rule: for the rule preview."""
    values, undated = case_values(spec, fiscal_year)
    return (values[-1] if values else None), undated


# --- drill-down ---------------------------------------------------------------------------


@dataclass
class DrillRow:
    record_id: int
    title: str
    person: str
    status: str
    event_date: date | None
    weight: int


@dataclass
class Drilldown:
    source: Source | None
    total: int  # number of records listed (all pages)
    weight_total: int  # what sum_weight adds up over all listed records
    rows: list[DrillRow]
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def number(self) -> int:
        """The number these records make under the rule: equals the number clicked."""
        return self.weight_total if self._sum else self.total

    _sum: bool = False


def _record_ids(spec: RuleSpec, source: Source, fiscal_year: int, index: int, scope: str) -> sa.Select:
    """A select of the record ids behind the value (scope "to_date"), behind the month's
    increase (scope "month"), or of the records without a date (scope "undated")."""
    rows = _rows(source, "q")
    if scope == "undated":
        return sa.select(rows.c.record_id).where(rows.c.event_date.is_(None))
    fy_start, _fy_end = jp.fiscal_year_bounds(fiscal_year)
    upper = month_end_of(fiscal_year, index)
    lower = fy_start if spec.window == "annual" else spec.window_start
    if scope == "month":
        first_of_month = jp.fiscal_year_months(fiscal_year)[index]
        lower = max(lower, first_of_month) if lower else first_of_month
    if spec.measure != "distinct_subjects":
        condition = rows.c.event_date <= upper
        if lower is not None:
            condition = sa.and_(condition, rows.c.event_date >= lower)
        return sa.select(rows.c.record_id).where(condition)
    # Distinct subjects: the record that places each subject (its earliest date; the lowest
    # record id among records of that date).
    per_subject = sa.select(rows.c.subject_key, sa.func.min(rows.c.event_date).label("first_date")
                            ).where(rows.c.event_date.is_not(None)).group_by(rows.c.subject_key)
    if spec.window == "annual":
        per_subject = per_subject.where(rows.c.event_date >= fy_start, rows.c.event_date <= jp.fiscal_year_bounds(fiscal_year)[1])
    having = [sa.func.min(rows.c.event_date) <= upper]
    if lower is not None:
        having.append(sa.func.min(rows.c.event_date) >= lower)
    if spec.window == "cumulative" and spec.window_start is not None:
        having.append(sa.func.min(rows.c.event_date) >= spec.window_start)
    placed = per_subject.having(sa.and_(*having)).subquery("p")
    again = _rows(source, "q2")
    return (sa.select(sa.func.min(again.c.record_id).label("record_id"))
            .join(placed, sa.and_(again.c.subject_key == placed.c.subject_key,
                                  again.c.event_date == placed.c.first_date))
            .group_by(again.c.subject_key))


def drilldown(spec: RuleSpec, fiscal_year: int, month: str | None, *, scope: str = "to_date",
              page: int = 1, per_page: int = 50) -> Drilldown:
    """The exact records behind a case indicator's number, from the same filters as rollup()."""
    source = get_source(spec.source)
    if source is None:
        return Drilldown(None, 0, 0, [], 1, per_page)
    index = month_index(fiscal_year, month) if month else 11
    ids = _record_ids(spec, source, fiscal_year, index, scope).subquery("ids")
    rows = _rows(source, "w")
    totals = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(rows.c.weight), 0))
        .select_from(rows).where(rows.c.record_id.in_(sa.select(ids.c[0])))
    ).one()
    total, weight_total = int(totals[0]), int(totals[1])
    page = max(1, page)
    described = source.describe(sa.select(ids.c[0])).subquery("d")
    cols = list(described.c)
    listing = db.session.execute(
        sa.select(cols[0], cols[1], cols[2], cols[3], rows.c.event_date, rows.c.weight)
        .join(rows, rows.c.record_id == cols[0])
        .order_by(rows.c.event_date, cols[0])
        .limit(per_page).offset((page - 1) * per_page)
    ).all()
    result = Drilldown(source, total, weight_total,
                       [DrillRow(int(r[0]), r[1] or "", r[2] or "", r[3] or "", r[4], int(r[5] or 0))
                        for r in listing], page, per_page)
    result._sum = spec.measure == "sum_weight"
    return result


def observations_behind(indicator_id: int, fiscal_year: int) -> list[Observation]:
    return list(db.session.scalars(
        sa.select(Observation).where(Observation.indicator_id == indicator_id,
                                     Observation.fiscal_year == fiscal_year)
        .order_by(Observation.month, Observation.id)))


def plan_years() -> list[int]:
    """The fiscal years the plan sets targets for."""
    return [int(y) for y in db.session.scalars(
        sa.select(Target.fiscal_year).distinct().order_by(Target.fiscal_year))]


def months_elapsed(fiscal_year: int, today: date | None = None) -> int:
    """How many months of the fiscal year have begun by today: 12 for a past year, 0 for a
    future one."""
    today = today or jp.today()
    start, end = jp.fiscal_year_bounds(fiscal_year)
    if today > end:
        return 12
    if today < start:
        return 0
    return _index_of_calendar_month(today.month) + 1


__all__ = [
    "Drilldown", "IndicatorRollup", "RollupResult", "RuleSpec", "case_values", "compute",
    "drilldown", "month_end_of", "month_index", "month_keys", "months_elapsed",
    "observations_behind", "observed_values", "plan_years", "rollup", "year_end_value",
]

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

import functools
from collections.abc import Iterator
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
CACHE_FORMAT = 2  # of to_data(); a cached rollup of another format is computed again
LATER_FIELDS = ("records",)  # of IndicatorRollup, stored outside its dict (to_data)
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
    # How many records are behind each month-end value (the value itself unless it adds weights):
    # a drill-down's number of records, without counting them again. None: not known (a rollup
    # cached before this was kept), the drill-down counts.
    records: list | None = None
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
    # The stored rollup this result is (casework.plans.cache); None when computed uncached.
    # What is derived from a result alone (a chart) can be kept under it.
    token: str | None = None

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

        # Fields added after the first cached format are kept beside "indicators", where a
        # version of the app that does not know them reads past them.
        later = {name: {i.code: plain(getattr(i, name)) for i in self.indicators} for name in LATER_FIELDS}
        return {"format": CACHE_FORMAT, "fiscal_year": self.fiscal_year, "months": self.months,
                "indicators": [{k: plain(v) for k, v in asdict(i).items() if k not in LATER_FIELDS}
                               for i in self.indicators], **later}

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

        def fields(i: dict) -> dict:
            later = {name: data[name].get(i["code"]) for name in LATER_FIELDS if name in data}
            return {k: back(v) for k, v in {**i, **later}.items()}

        return cls(data["fiscal_year"], list(data["months"]),
                   [IndicatorRollup(**fields(i)) for i in data["indicators"]])


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
        counted = (sa.select(bucket, sa.func.count().label("counted"), sa.func.count().label("records"),
                             sa.literal(0).label("undated"))
                   .where(_in_range(subjects.c.first_date, fiscal_year, spec))
                   .group_by(bucket))
    else:
        bucket = _dated_bucket(rows.c.event_date, fiscal_year, spec).label("bucket")
        measure = sa.func.sum(sa.func.coalesce(rows.c.weight, 0)) if spec.measure == "sum_weight" else sa.func.count()
        counted = (sa.select(bucket, measure.label("counted"), sa.func.count().label("records"),
                             sa.literal(0).label("undated"))
                   .where(_in_range(rows.c.event_date, fiscal_year, spec))
                   .group_by(bucket))
    if _always_dated(source):
        return counted
    undated_rows = _rows(source, "u")
    undated = sa.select(sa.literal(UNDATED).label("bucket"), sa.literal(0).label("counted"),
                        sa.literal(0).label("records"), sa.func.count().label("undated")
                        ).where(undated_rows.c.event_date.is_(None))
    return sa.union_all(counted, undated)


def _always_dated(source: Source) -> bool:
    """True when the source's event_date is a NOT NULL column: no branch for undated records
    (it would scan the whole index for nothing)."""
    column = source.rows().selected_columns["event_date"]
    column = getattr(column, "element", column)
    return isinstance(column, sa.Column) and not column.nullable


@dataclass
class CaseCounts:
    values: list[int]  # twelve month-end values
    records: list[int]  # the number of records behind each
    not_countable: int  # records without a date


def case_counts(spec: RuleSpec, fiscal_year: int) -> CaseCounts | None:
    """The month-end values of a case rule, from its one aggregate query; None when the rule's
    source is not registered."""
    source = get_source(spec.source)
    if source is None:
        return None
    per_month, records_per_month = [0] * 12, [0] * 12
    before, records_before, undated = 0, 0, 0
    for bucket, counted, records, undated_here in db.session.execute(_aggregate(spec, source, fiscal_year)):
        undated += int(undated_here or 0)
        bucket = int(bucket)
        if bucket == BEFORE_FY:
            before += int(counted or 0)
            records_before += int(records or 0)
        elif 1 <= bucket <= 12:
            per_month[_index_of_calendar_month(bucket)] += int(counted or 0)
            records_per_month[_index_of_calendar_month(bucket)] += int(records or 0)
    return CaseCounts(_running(before, per_month), _running(records_before, records_per_month), undated)


def _running(start: int, added: list[int]) -> list[int]:
    out, total = [], start
    for value in added:
        total += value
        out.append(total)
    return out


def case_values(spec: RuleSpec, fiscal_year: int) -> tuple[list[int] | None, int]:
    """(twelve month-end values, number of records not yet countable); (None, 0) when the
    rule's source is not registered."""
    counts = case_counts(spec, fiscal_year)
    return (None, 0) if counts is None else (counts.values, counts.not_countable)


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
                counts = case_counts(spec, fiscal_year)
                item.source_missing = counts is None
                item.values = counts.values if counts else [None] * 12
                item.records = counts.records if counts else None
                item.not_countable = counts.not_countable if counts else 0
        results.append(item)
    return RollupResult(fiscal_year, month_keys(fiscal_year), results)


def rollup(fiscal_year: int, *, use_cache: bool = True) -> RollupResult:
    """Month-end values April–March of every indicator for the fiscal year. Cached per year;
    any write that could change it invalidates the cache in its own transaction. The cache is
    written through the current session: the caller's commit keeps it. A cached result is
    shared by every request of the process that reads the same stored rollup: read it, never
    change it."""
    if not use_cache:
        return compute(fiscal_year)
    return rollups(fiscal_year)[0]


def rollups(*fiscal_years: int) -> list[RollupResult]:
    """rollup() of each fiscal year; one read finds those this process has already decoded."""
    tokens = cache.lookup(db.session, fiscal_years)
    return [cache.remembered(tokens.get(fy)) or _stored_or_computed(fy) for fy in fiscal_years]


def _stored_or_computed(fiscal_year: int) -> RollupResult:
    at_generation, data = cache.load(db.session, fiscal_year)
    if data is not None and data.get("format") == CACHE_FORMAT and cache.TOKEN in data:
        result = RollupResult.from_data(data)
        result.token = data[cache.TOKEN]
    else:
        result = compute(fiscal_year)
        result.token = cache.store(db.session, fiscal_year, at_generation, result.to_data())
    cache.remember(result.token, result)
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

    @property
    def after_last(self) -> str:
        """The cursor of the next page's link (DrillCursor)."""
        return str(DrillCursor(self.rows[-1].event_date, self.rows[-1].record_id)) if self.rows else ""

    @property
    def before_first(self) -> str:
        """The cursor of the previous page's link."""
        return str(DrillCursor(self.rows[0].event_date, self.rows[0].record_id)) if self.rows else ""

    _sum: bool = False


def _drill_range(spec: RuleSpec, fiscal_year: int, index: int, scope: str) -> tuple[date | None, date]:
    """(lower, upper) dates of the records behind the value as of month `index` (scope
    "to_date") or behind that month's increase (scope "month"); lower None: no lower bound."""
    fy_start, _fy_end = jp.fiscal_year_bounds(fiscal_year)
    lower = fy_start if spec.window == "annual" else spec.window_start
    if scope == "month":
        first_of_month = jp.fiscal_year_months(fiscal_year)[index]
        lower = max(lower, first_of_month) if lower else first_of_month
    return lower, month_end_of(fiscal_year, index)


def _places_its_subject(rows, source: Source, spec: RuleSpec, fiscal_year: int):
    """The record places its subject: no other record of the same subject comes before it (an
    earlier date, or the same date and a lower record id), within the fiscal year for an annual
    window, over all time for a cumulative one. This is _aggregate's MIN(event_date) per subject
    as a correlated NOT EXISTS: one seek on the subject's index per record listed, where a
    GROUP BY would aggregate every subject of the year for each page."""
    other = _rows(source, "o")
    comes_before = sa.or_(other.c.event_date < rows.c.event_date,
                          sa.and_(other.c.event_date == rows.c.event_date,
                                  other.c.record_id < rows.c.record_id))
    conditions = [other.c.subject_key == rows.c.subject_key, comes_before]
    if spec.window == "annual":
        conditions.append(other.c.event_date >= jp.fiscal_year_bounds(fiscal_year)[0])
    return ~sa.exists().where(*conditions)


def records_behind(spec: RuleSpec, source: Source, fiscal_year: int, index: int, scope: str):
    """(the source's rows, the condition selecting the records behind the value as of month
    `index` (scope "to_date"), behind that month's increase ("month"), or the records without a
    date ("undated")). Distinct subjects: the one record that places each subject."""
    rows = _rows(source, "q")
    if scope == "undated":
        return rows, rows.c.event_date.is_(None)
    lower, upper = _drill_range(spec, fiscal_year, index, scope)
    condition = rows.c.event_date <= upper
    if lower is not None:
        condition = sa.and_(rows.c.event_date >= lower, condition)
    if spec.measure == "distinct_subjects":
        condition = sa.and_(condition, _places_its_subject(rows, source, spec, fiscal_year))
    return rows, condition


@dataclass(frozen=True)
class DrillCursor:
    """A place in a drill-down's order (date, record id): the next page starts after the last
    row shown, the previous one ends before the first. A deep page then reads from its place in
    the index instead of skipping every record before it (OFFSET: the 758th page of a year's
    startup consultations took 150–220 ms on SQLite)."""

    event_date: date | None
    record_id: int

    def __str__(self) -> str:
        return f"{self.event_date.isoformat() if self.event_date else ''}_{self.record_id}"

    @classmethod
    def parse(cls, text: str | None) -> DrillCursor | None:
        """The cursor a link carried; None for anything else (the page is then found by number)."""
        day, _, record_id = (text or "").partition("_")
        try:
            return cls(date.fromisoformat(day) if day else None, int(record_id))
        except ValueError:
            return None

    def condition(self, listing: sa.Select, *, after: bool) -> sa.ColumnElement[bool]:
        """The rows after (or before) this place in the listing's order. Written so that the
        date is an index range: date >= d AND (date > d OR id > i). Records without a date
        (scope "undated") are ordered by id alone."""
        event_date, record_id = listing.selected_columns.event_date, listing.selected_columns.record_id
        beyond = record_id > self.record_id if after else record_id < self.record_id
        if self.event_date is None:
            return beyond
        if after:
            return sa.and_(event_date >= self.event_date,
                           sa.or_(event_date > self.event_date, sa.and_(event_date == self.event_date, beyond)))
        return sa.and_(event_date <= self.event_date,
                       sa.or_(event_date < self.event_date, sa.and_(event_date == self.event_date, beyond)))


def drill_page(spec: RuleSpec, source: Source, fiscal_year: int, index: int, scope: str,
               *, limit: int, offset: int = 0, after: DrillCursor | None = None,
               before: DrillCursor | None = None) -> sa.Select:
    """One page of the records behind a number, in the order shown: (date, record id). From a
    cursor when one is given (`before`: the page's rows come back in reverse order), else from
    the offset."""
    listing = _drill_listing(spec, source, fiscal_year, index, scope)
    if after is not None:
        return listing.where(after.condition(listing, after=True)).limit(limit)
    if before is not None:
        columns = listing.selected_columns
        return (listing.where(before.condition(listing, after=False)).order_by(None)
                .order_by(columns.event_date.desc(), columns.record_id.desc()).limit(limit))
    return listing.limit(limit).offset(offset)


@functools.lru_cache(maxsize=512)
def _drill_listing(spec: RuleSpec, source: Source, fiscal_year: int, index: int, scope: str) -> sa.Select:
    """Built once per number: building the statement costs more than running it for a page."""
    rows, condition = records_behind(spec, source, fiscal_year, index, scope)
    return (sa.select(rows.c.record_id, rows.c.event_date, rows.c.weight).where(condition)
            .order_by(rows.c.event_date, rows.c.record_id))


def _count_behind(spec: RuleSpec, source: Source, fiscal_year: int, index: int, scope: str) -> tuple[int, int]:
    """(number of records, sum of their weights) behind a number, counted."""
    rows, condition = records_behind(spec, source, fiscal_year, index, scope)
    total, weights = db.session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(rows.c.weight), 0)).where(condition)).one()
    return int(total), int(weights)


def records_in_rollup(item: IndicatorRollup, spec: RuleSpec, index: int, scope: str) -> int | None:
    """How many records are behind the number, read from the rollup: the number itself where it
    IS the count of its records (counting records; distinct subjects, one placing record each),
    the rollup's record counts where it adds weights (household sizes). None where it has to be
    counted: the April increase of a cumulative window starts from what came before the year."""
    if scope == "undated":
        return item.not_countable
    records = item.values if spec.measure != "sum_weight" else item.records
    if records is None or any(v is None for v in records):
        return None
    if scope == "to_date":
        return int(records[index])
    if index > 0:
        return int(records[index] - records[index - 1])
    return int(records[0]) if spec.window == "annual" else None


def _weights_in_rollup(item: IndicatorRollup, spec: RuleSpec, index: int, scope: str) -> int | None:
    """What the records behind a sum_weight number add up to: the number itself (the weights of
    the records without a date are not in the rollup: None, counted)."""
    if scope == "undated" or any(v is None for v in item.values):
        return None
    if scope == "to_date":
        return int(item.values[index])
    if index > 0:
        return int(item.values[index] - item.values[index - 1])
    return int(item.values[0]) if spec.window == "annual" else None


def drilldown(spec: RuleSpec, fiscal_year: int, month: str | None, *, scope: str = "to_date",
              page: int = 1, per_page: int = 50, counted: IndicatorRollup | None = None,
              after: DrillCursor | None = None, before: DrillCursor | None = None) -> Drilldown:
    """The exact records behind a case indicator's number, from the same filters as rollup(),
    one page of them: page number `page`, read after the cursor `after` or before `before` when
    the link carried one (the page number is then only shown). `counted`: the indicator's rollup
    under the same rule, whose values give the number of records without counting them again
    (see records_in_rollup)."""
    source = get_source(spec.source)
    if source is None:
        return Drilldown(None, 0, 0, [], 1, per_page)
    index = month_index(fiscal_year, month) if month else 11
    known = records_in_rollup(counted, spec, index, scope) if counted is not None else None
    weights = known
    if spec.measure == "sum_weight" and counted is not None:
        weights = _weights_in_rollup(counted, spec, index, scope)
    if known is None or weights is None:
        total, weight_total = _count_behind(spec, source, fiscal_year, index, scope)
    else:
        total, weight_total = known, weights
    result = Drilldown(source, total, weight_total, [], 1, per_page)
    result._sum = spec.measure == "sum_weight"
    result.page = min(max(1, page), result.pages)
    listed = db.session.execute(drill_page(spec, source, fiscal_year, index, scope, limit=per_page,
                                           offset=(result.page - 1) * per_page, after=after,
                                           before=before)).all()
    if before is not None:
        listed.reverse()
    result.rows = _described(source, listed)
    return result


def drilldown_chunks(spec: RuleSpec, fiscal_year: int, month: str | None, *, scope: str = "to_date",
                     chunk: int = 1000) -> Iterator[list[DrillRow]]:
    """Every record behind a number (all of drilldown()'s pages, in their order), described,
    `chunk` at a time: read through one streamed query (a server-side cursor on PostgreSQL), so
    an export of a year's records holds one chunk in memory, not the year."""
    source = get_source(spec.source)
    if source is None:
        return
    index = month_index(fiscal_year, month) if month else 11
    listing = _drill_listing(spec, source, fiscal_year, index, scope)
    result = db.session.execute(listing, execution_options={"yield_per": chunk})
    try:
        for part in result.partitions():
            yield _described(source, part)
    finally:
        result.close()


@functools.lru_cache(maxsize=32)
def _description(source: Source) -> sa.Select:
    """The source's description of the records whose ids are given as the parameter "ids"."""
    rows = _rows(source, "p")
    ids = sa.bindparam("ids", expanding=True)
    return source.describe(sa.select(rows.c.record_id).where(rows.c.record_id.in_(ids)))


def _described(source: Source, listed) -> list[DrillRow]:
    """The listed records with what the source says of them (title, person, status), in order."""
    if not listed:
        return []
    ids = [int(r.record_id) for r in listed]
    described = {int(r[0]): r for r in db.session.execute(_description(source), {"ids": ids})}
    out = []
    for record_id, event_date, weight in listed:
        about = described.get(int(record_id))
        title, person, status = (about[1], about[2], about[3]) if about is not None else ("", "", "")
        out.append(DrillRow(int(record_id), title or "", person or "", status or "", event_date,
                            int(weight or 0)))
    return out


def observations_behind(indicator_id: int, fiscal_year: int) -> list[Observation]:
    return list(db.session.scalars(
        sa.select(Observation).where(Observation.indicator_id == indicator_id,
                                     Observation.fiscal_year == fiscal_year)
        .order_by(Observation.month, Observation.id)))


def plan_years() -> list[int]:
    """The fiscal years the plan sets targets for."""
    return [int(y) for y in db.session.scalars(_PLAN_YEARS)]


_PLAN_YEARS = sa.select(Target.fiscal_year).distinct().order_by(Target.fiscal_year)


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
    "CaseCounts", "Drilldown", "IndicatorRollup", "RollupResult", "RuleSpec", "case_counts", "case_values",
    "compute",
    "drill_page", "drilldown", "drilldown_chunks", "month_end_of", "month_index", "month_keys", "months_elapsed",
    "observations_behind", "observed_values", "plan_years", "records_behind", "records_in_rollup",
    "rollup", "rollups", "year_end_value",
]

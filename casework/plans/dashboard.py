"""What the managers' dashboard shows for each indicator: this month's value against the target,
the achievement rate, where a steady pace would be by now, a grade, last year alongside, and
the confirmed (確定) figures with any drift. Every number comes from casework.plans.rollup."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app, url_for
from markupsafe import Markup

from casework import jp
from casework.plans.chart import monthly_chart
from casework.plans.rollup import IndicatorRollup, RollupResult, month_keys, months_elapsed
from casework.plans.rules import short_sentence
from casework.plans.services import Drift

GRADE_ORDER = ("S", "A", "B", "C")
GRADE_BADGES = {"S": "badge-ok", "A": "badge-ok", "B": "badge-warn", "C": "badge-bad"}


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def percent(numerator, denominator) -> Decimal | None:
    numerator, denominator = _d(numerator), _d(denominator)
    if numerator is None or denominator is None or denominator == 0:
        return None
    return (numerator * 100 / denominator).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def achievement(value, target, direction: str = "higher") -> Decimal | None:
    """Value against that year's target, in percent (for "lower is better": target / value)."""
    if direction == "lower":
        return percent(target, value)
    return percent(value, target)


def steady_pace(item: IndicatorRollup, month_index: int, previous_end) -> Decimal | None:
    """Where the value would be at the end of the month on a steady way to the year's target.
    Annual window: target × months elapsed / 12. Cumulative: linear from last year's figure
    (its actual at March, else its target, else the baseline) to this year's target. Observed
    levels: the target itself."""
    target = _d(item.target)
    if target is None:
        return None
    share = Decimal(month_index + 1) / 12
    if item.kind == "observed":
        return target
    if item.window == "annual":
        return (target * share).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    start = _d(previous_end)
    if start is None:
        start = _d(item.baseline) or Decimal(0)
    return (start + (target - start) * share).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def grade(item: IndicatorRollup, value, pace, *, year_complete: bool) -> str | None:
    """S/A/B/C from the configured bands of value against the steady pace; a value worse than
    the baseline, where the target asks for better than the baseline, is capped."""
    value, pace = _d(value), _d(pace)
    if value is None or pace is None:
        return None
    bands = current_app.config.get("ROLLUP_GRADE_BANDS", (("S", 100), ("A", 80), ("B", 50)))
    if pace == 0:
        rate = Decimal(100) if value >= 0 else Decimal(0)
    elif item.direction == "lower":
        rate = pace * 100 / value if value else Decimal(100)
    else:
        rate = value * 100 / pace
    result = next((name for name, floor in bands if rate >= Decimal(str(floor))), "C")
    baseline, target = _d(item.baseline), _d(item.target)
    if baseline is not None and target is not None and (year_complete or item.kind == "observed"):
        higher = item.direction != "lower"
        aims_beyond = target > baseline if higher else target < baseline
        worse = value < baseline if higher else value > baseline
        if aims_beyond and worse:
            cap = current_app.config.get("ROLLUP_GRADE_BELOW_BASELINE", "C")
            if GRADE_ORDER.index(result) < GRADE_ORDER.index(cap):
                result = cap
    return result


@dataclass
class Card:
    item: IndicatorRollup
    month_index: int | None
    value: object
    rate: Decimal | None
    pace: Decimal | None
    grade: str | None
    last_year: IndicatorRollup | None
    last_year_value: object
    sentence: str
    confirmed_value: object = None
    drifts: list[Drift] = field(default_factory=list)
    last_year_token: str | None = None  # the stored rollup last_year comes from

    @property
    def grade_badge(self) -> str:
        return GRADE_BADGES.get(self.grade or "", "")


def cards(result: RollupResult, last_year: RollupResult | None, visible, *, frozen=None,
          drifts: dict | None = None, today=None) -> tuple[int | None, list[Card]]:
    """(index of "this month", one card per visible indicator)."""
    elapsed = months_elapsed(result.fiscal_year, today)
    index = elapsed - 1 if elapsed else None
    out = []
    for item in result.indicators:
        if not visible(item):
            continue
        previous = last_year.get(item.code) if last_year else None
        value = item.value_at(index) if index is not None else None
        pace = steady_pace(item, index, previous.values[-1] if previous else None) if index is not None else None
        confirmed = None
        if frozen is not None and item.code in frozen.snapshot and index is not None:
            saved = frozen.snapshot[item.code]["values"][index]
            confirmed = Decimal(saved) if saved is not None else None
        out.append(Card(
            item=item, month_index=index, value=value,
            rate=achievement(value, item.target, item.direction),
            pace=pace, grade=grade(item, value, pace, year_complete=elapsed == 12),
            last_year=previous,
            last_year_value=previous.value_at(index) if previous and index is not None else None,
            sentence=(short_sentence(item.source, item.measure, item.window, item.window_start,
                                     result.fiscal_year) if item.source else ""),
            confirmed_value=confirmed,
            drifts=(drifts or {}).get(item.code, []),
            last_year_token=last_year.token if last_year is not None else None,
        ))
    return index, out


@dataclass(frozen=True)
class CardDrawing:
    """What a card shows that depends on the stored rollups alone: its chart and its links."""

    chart: Markup
    indicator_url: str
    value_url: str | None  # the records behind this month's value
    undated_url: str
    last_year_url: str | None  # the records behind last year's value of the same month


_BODIES_KEPT = 64  # a few fiscal years × roles × languages, per process
_bodies: OrderedDict[tuple, Markup] = OrderedDict()


def drawn_once(key: tuple | None, draw: Callable[[], str]) -> Markup:
    """The dashboard's body for `key`, drawn by `draw()` the first time and then kept. The key
    holds everything the body shows: the tokens of the two stored rollups (a write stores a new
    rollup under a new token, in its own transaction, so the next view draws anew), the months
    elapsed, the confirmed year's version, the role, the language. A repeat view then costs
    the reads of the tokens, not the cards, charts and template. `key` None: not kept."""
    if key is not None and key in _bodies:
        _bodies.move_to_end(key)
        return _bodies[key]
    body = Markup(draw())
    if key is not None:
        _bodies[key] = body
        while len(_bodies) > _BODIES_KEPT:
            _bodies.popitem(last=False)
    return body


def card_drawing(card: Card, result: RollupResult, elapsed: int) -> CardDrawing:
    item, last, fy = card.item, card.last_year, result.fiscal_year
    months, last_months = result.months, month_keys(fy - 1)
    chart = monthly_chart(
        item.values, last.values if last else None, item.target,
        links=[url_for("plans.records", code=item.code, fy=fy, month=m) for m in months],
        elapsed=elapsed, unit=item.unit,
        title=f"{item.name}の月別推移（棒: {jp.fiscal_year_label(fy)}、灰色の線: 前年度、赤の破線: 目標）",
        pace_start=last.values[-1] if last else None, pace_kind=item.window or "")
    index = card.month_index
    return CardDrawing(
        chart=chart,
        indicator_url=url_for("plans.indicator", code=item.code, fy=fy),
        value_url=(url_for("plans.records", code=item.code, fy=fy, month=months[index])
                   if index is not None else None),
        undated_url=url_for("plans.records", code=item.code, fy=fy, month=months[-1], scope="undated"),
        last_year_url=(url_for("plans.records", code=item.code, fy=fy - 1, month=last_months[index])
                       if last and index is not None else None))

"""Writes of this area (flush, never commit): loading the plan data files, editing a counting
rule (a new version) or a target, entering an observed value, confirming (確定) a year."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa

from casework import jp
from casework.audit.trail import current_actor
from casework.extensions import db
from casework.plans.models import (
    MEASURES,
    WINDOWS,
    Chapter,
    CountingRule,
    FrozenYear,
    Indicator,
    Observation,
    ObservationRevision,
    Section,
    Target,
    exact,
    places_of,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
TEXT_FIELDS = ("goal", "review", "current_issues", "direction")


class PlanError(ValueError):
    """A problem with a plan data file or an entry; the message is Japanese."""


# --- loading the plan ---------------------------------------------------------------------


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)  # edited by a manager, left alone

    def add(self, bucket: dict, what: str) -> None:
        bucket[what] = bucket.get(what, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def lines(self) -> list[str]:
        names = {"chapter": "章", "section": "節", "indicator": "指標", "target": "目標値", "rule": "集計ルール"}
        out = []
        for label, bucket in (("追加", self.created), ("更新", self.updated)):
            for key, count in bucket.items():
                out.append(f"{names.get(key, key)}を{count}件{label}しました。")
        out += [f"管理職が編集した{k}はそのままにしました（--reset で計画の値に戻せます）。" for k in self.kept]
        return out or ["変更はありません（すでに最新です）。"]


def _decimal(text, where: str) -> Decimal:
    try:
        value = Decimal(str(text).replace(",", ""))
    except InvalidOperation:
        raise PlanError(f"{where}: 「{text}」は数値ではありません") from None
    if not value.is_finite():
        raise PlanError(f"{where}: 数値ではありません")
    return value


def _rule_values(code: str, rule: dict) -> tuple[str, str, str, date | None]:
    measure, window = rule.get("measure", ""), rule.get("window", "")
    if measure not in MEASURES:
        raise PlanError(f"{code}: measure「{measure}」は使えません（{', '.join(MEASURES)}）")
    if window not in WINDOWS:
        raise PlanError(f"{code}: window「{window}」は使えません（{', '.join(WINDOWS)}）")
    start_text = rule.get("window_start", "") or ""
    try:
        start = date.fromisoformat(start_text) if start_text else None
    except ValueError:
        raise PlanError(f"{code}: window_start「{start_text}」は日付（YYYY-MM-DD）ではありません") from None
    source = rule.get("source", "")
    if not source:
        raise PlanError(f"{code}: rule に source がありません")
    return source, measure, window, start


def _set(obj, values: dict) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _upsert(report: LoadReport, what: str, model, key: dict, values: dict):
    obj = db.session.scalar(sa.select(model).filter_by(**key))
    if obj is None:
        obj = model(**key, **values)
        db.session.add(obj)
        report.add(report.created, what)
    elif _set(obj, values):
        report.add(report.updated, what)
    return obj


def current_rule(indicator_id: int) -> CountingRule | None:
    return db.session.scalar(sa.select(CountingRule).where(
        CountingRule.indicator_id == indicator_id, CountingRule.current.is_(True)))


def _new_rule_version(indicator: Indicator, source: str, measure: str, window: str,
                      start: date | None, *, origin: str, reason: str = "") -> CountingRule:
    previous = current_rule(indicator.id)
    number = (db.session.scalar(sa.select(sa.func.max(CountingRule.number))
                                .where(CountingRule.indicator_id == indicator.id)) or 0) + 1
    if previous is not None:
        previous.current = False
        db.session.flush()
    rule = CountingRule(indicator_id=indicator.id, number=number, current=True, source=source,
                        measure=measure, window=window, window_start=start, origin=origin,
                        reason=reason, created_by=current_actor()[1])
    db.session.add(rule)
    db.session.flush()
    return rule


def load_file(path: Path, report: LoadReport, reset: bool) -> None:
    with path.open("rb") as f:
        try:
            data = tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            raise PlanError(f"{path.name}: TOML として読めません: {exc}") from None
    if data.get("schema") != 1:
        raise PlanError(f"{path.name}: schema = 1 ではありません")
    chapter_data = data["chapter"]
    chapter = _upsert(report, "chapter", Chapter, {"code": chapter_data["code"]}, {
        "title": chapter_data["title"], "viewpoints": list(chapter_data.get("viewpoints", []))})
    db.session.flush()
    sections = {}
    for section_data in data.get("sections", []):
        sections[section_data["code"]] = _upsert(
            report, "section", Section, {"code": section_data["code"]},
            {"chapter_id": chapter.id, "title": section_data["title"],
             **{name: list(section_data.get(name, [])) for name in TEXT_FIELDS}})
    db.session.flush()
    for ind_data in data.get("indicators", []):
        code = ind_data["code"]
        section = sections.get(ind_data["section"])
        if section is None:
            raise PlanError(f"{code}: 節「{ind_data['section']}」がファイルにありません")
        kind = ind_data.get("source", "cases")
        if kind not in ("cases", "observed"):
            raise PlanError(f"{code}: source「{kind}」は cases か observed です")
        baseline = ind_data.get("baseline", "")
        observed = ind_data.get("observed", {})
        indicator = _upsert(report, "indicator", Indicator, {"code": code}, {
            "section_id": section.id, "name": ind_data["name"], "unit": ind_data.get("unit", ""),
            "baseline": _decimal(baseline, f"{code} baseline") if baseline != "" else None,
            "baseline_places": places_of(baseline) if baseline != "" else 0,
            "baseline_year": ind_data.get("baseline_year"),
            "direction": ind_data.get("direction", "higher"),
            "target_trend": ind_data.get("target_trend", ""), "kind": kind,
            "order": int(ind_data.get("order", 0)),
            "frequency": observed.get("frequency", ""), "provider": observed.get("provider", ""),
        })
        db.session.flush()
        _load_targets(indicator, ind_data.get("targets", {}), report, reset)
        _load_rule(indicator, ind_data, report, reset)


def _load_targets(indicator: Indicator, targets: dict, report: LoadReport, reset: bool) -> None:
    existing = {t.fiscal_year: t for t in db.session.scalars(
        sa.select(Target).where(Target.indicator_id == indicator.id))}
    for year_text, text in targets.items():
        year = int(year_text)
        value = _decimal(text, f"{indicator.code} target {year}")
        places = places_of(text)
        target = existing.get(year)
        if target is None:
            db.session.add(Target(indicator_id=indicator.id, fiscal_year=year, value=value,
                                  places=places, edited=False))
            report.add(report.created, "target")
            continue
        same = target.places == places and exact(target.value, places) == value
        if same and not (reset and target.edited):
            continue
        if target.edited and not reset:
            if "target" not in report.kept:
                report.kept.append("target")
            continue
        target.value, target.places, target.edited = value, places, False
        report.add(report.updated, "target")


def _load_rule(indicator: Indicator, ind_data: dict, report: LoadReport, reset: bool) -> None:
    rule = current_rule(indicator.id)
    if indicator.kind == "observed" or "rule" not in ind_data:
        if rule is not None and indicator.kind == "observed":
            rule.current = False
            report.add(report.updated, "rule")
        return
    values = _rule_values(indicator.code, ind_data["rule"])
    if rule is not None and rule.same_as(*values):
        return
    if rule is not None and rule.origin == "manager" and not reset:
        if "rule" not in report.kept:
            report.kept.append("rule")
        return
    _new_rule_version(indicator, *values, origin="plan", reason="計画データファイルから読み込み")
    report.add(report.created if rule is None else report.updated, "rule")


def load_plan(reset: bool = False, data_dir: Path = DATA_DIR) -> LoadReport:
    """Load or refresh every casework/plans/data/*.toml. Idempotent; leaves targets and rules a
    manager edited alone unless reset."""
    report = LoadReport()
    files = sorted(data_dir.glob("*.toml"))
    if not files:
        raise PlanError(f"{data_dir} に計画データ（*.toml）がありません")
    for path in files:
        load_file(path, report, reset)
    db.session.flush()
    return report


# --- editing ------------------------------------------------------------------------------


def save_rule(indicator: Indicator, source: str, measure: str, window: str,
              window_start: date | None, reason: str) -> CountingRule:
    """A new version of the indicator's counting rule (the old one stays, not current)."""
    if window == "annual":
        window_start = None
    return _new_rule_version(indicator, source, measure, window, window_start,
                             origin="manager", reason=reason)


def save_target(target: Target, value: Decimal) -> bool:
    places = places_of(value)
    if exact(target.value, target.places) == value and target.places == places:
        return False
    target.value, target.places, target.edited = value, places, True
    db.session.flush()
    return True


def check_month(fiscal_year: int, month: str) -> str:
    """"" or a "YYYY-MM" inside the fiscal year; PlanError otherwise."""
    month = (month or "").strip()
    if not month:
        return ""
    try:
        year, number = (int(part) for part in month.split("-"))
        first = date(year, number, 1)
    except ValueError:
        raise PlanError(f"月「{month}」は YYYY-MM の形で入力してください") from None
    if jp.fiscal_year_of(first) != fiscal_year:
        raise PlanError(f"月「{month}」は{jp.fiscal_year_label(fiscal_year)}（{fiscal_year}年4月〜{fiscal_year + 1}年3月）の月ではありません")
    return first.strftime("%Y-%m")


def record_observation(indicator: Indicator, fiscal_year: int, month: str, value: Decimal,
                       source: str = "", note: str = "", via: str = "form") -> tuple[Observation, str]:
    """Enter the value of an observed indicator for a period; replaces the period's value and
    keeps the old one in the history. Returns (observation, "created"|"updated"|"unchanged")."""
    if indicator.kind != "observed":
        raise PlanError(f"{indicator.code} は観測値の指標ではありません（案件から集計する指標です）")
    month = check_month(fiscal_year, month)
    places = places_of(value)
    who = current_actor()[1]
    observation = db.session.scalar(sa.select(Observation).where(
        Observation.indicator_id == indicator.id, Observation.fiscal_year == fiscal_year,
        Observation.month == month))
    if observation is None:
        observation = Observation(indicator_id=indicator.id, fiscal_year=fiscal_year, month=month,
                                  value=value, places=places, source=source, note=note, entered_by=who)
        db.session.add(observation)
        outcome = "created"
    else:
        same = (exact(observation.value, observation.places) == value and observation.places == places
                and observation.source == source and observation.note == note)
        if same:
            return observation, "unchanged"
        observation.value, observation.places = value, places
        observation.source, observation.note, observation.entered_by = source, note, who
        outcome = "updated"
    db.session.flush()
    db.session.add(ObservationRevision(observation_id=observation.id, value=value, places=places,
                                       source=source, note=note, entered_by=who, via=via))
    db.session.flush()
    return observation, outcome


# --- confirming a year (確定) -------------------------------------------------------------


def snapshot_of(result) -> dict:
    def text(value):
        return None if value is None else format(value, "f") if isinstance(value, Decimal) else str(value)

    return {i.code: {"values": [text(v) for v in i.values], "target": text(i.target),
                     "rule": i.rule_id, "name": i.name}
            for i in result.indicators}


def freeze_year(fiscal_year: int, note: str = "") -> FrozenYear:
    """Store the year's figures as confirmed (a later confirmation replaces them, audited)."""
    from casework.plans.rollup import compute

    snapshot = snapshot_of(compute(fiscal_year))
    frozen = db.session.scalar(sa.select(FrozenYear).where(FrozenYear.fiscal_year == fiscal_year))
    who = current_actor()[1]
    if frozen is None:
        frozen = FrozenYear(fiscal_year=fiscal_year, snapshot=snapshot, confirmed_by=who, note=note)
        db.session.add(frozen)
    else:
        from casework.db import utcnow

        frozen.snapshot, frozen.confirmed_by, frozen.note = snapshot, who, note
        frozen.confirmed_at = utcnow()
    db.session.flush()
    return frozen


def frozen_year(fiscal_year: int) -> FrozenYear | None:
    return db.session.scalar(sa.select(FrozenYear).where(FrozenYear.fiscal_year == fiscal_year))


def frozen_version(fiscal_year: int) -> tuple[int, int] | None:
    """(id, version) of the year's confirmation, without its snapshot; None when not confirmed."""
    row = db.session.execute(_FROZEN_VERSION, {"fiscal_year": fiscal_year}).first()
    return tuple(row) if row else None


_FROZEN_VERSION = sa.select(FrozenYear.id, FrozenYear.version).where(
    FrozenYear.fiscal_year == sa.bindparam("fiscal_year"))


@dataclass(frozen=True)
class Drift:
    """How a confirmed figure differs from what the records say now."""

    code: str
    month_index: int
    confirmed: Decimal | None
    now: Decimal | None

    @property
    def difference(self) -> Decimal | None:
        if self.confirmed is None or self.now is None:
            return None
        return self.now - self.confirmed


def drift(frozen: FrozenYear, result) -> dict[str, list[Drift]]:
    """{code: [months whose live value differs from the confirmed one]}."""
    out: dict[str, list[Drift]] = {}
    for item in result.indicators:
        saved = frozen.snapshot.get(item.code)
        if saved is None:
            continue
        for index, (then, now) in enumerate(zip(saved["values"], item.values, strict=False)):
            then_value = Decimal(then) if then is not None else None
            now_value = Decimal(str(now)) if now is not None else None
            if then_value != now_value:
                out.setdefault(item.code, []).append(Drift(item.code, index, then_value, now_value))
    return out

"""Import kind `observations`: indicator_code*, fiscal_year*, month (YYYY-MM), value*, source.
Only for observed indicators; one value per indicator and period (a later import of the same
period replaces it, the old value stays in the history)."""

import sqlalchemy as sa

from casework import jp
from casework.extensions import db
from casework.imports.columns import Column, decimal_value, text, whole_number
from casework.imports.framework import CREATED, UNCHANGED, UPDATED, ImportKind, LineError, RowError
from casework.plans.models import Indicator
from casework.plans.services import PlanError, check_month, record_observation

OUTCOMES = {"created": CREATED, "updated": UPDATED, "unchanged": UNCHANGED}


class ObservationsKind(ImportKind):
    name = "observations"
    label = "観測値（指標の実績）"
    capability = "observations.write"
    columns = (
        Column("indicator_code", True, text(20), "指標コード（例: 1-01-02-1）"),
        Column("fiscal_year", True, whole_number(1900, 2200), "年度（西暦の開始年。2026 = 令和8年度）"),
        Column("month", False, text(10), "月（YYYY-MM）。年度の値なら空"),
        Column("value", True, decimal_value, "値（書いた小数の桁数のまま表示します）"),
        Column("source", False, text(200), "出典（例: 税務課 課税台帳）"),
    )

    def load_row(self, row):
        values = row.values
        indicator = db.session.scalar(sa.select(Indicator).where(Indicator.code == values["indicator_code"]))
        if indicator is None:
            raise RowError("indicator_code", f"指標「{values['indicator_code']}」はありません（plan load をしてください）")
        if indicator.kind != "observed":
            raise RowError("indicator_code", f"{indicator.code}（{indicator.name}）は案件から集計する指標のため、観測値は入力できません")
        fiscal_year = values["fiscal_year"]
        try:
            month = check_month(fiscal_year, values.get("month") or "")
        except PlanError as exc:
            raise RowError("month", str(exc)) from None
        row.values["month"] = month
        try:
            observation, outcome = record_observation(
                indicator, fiscal_year, month, values["value"], values.get("source") or "",
                via="import")
        except PlanError as exc:
            raise RowError("value", str(exc)) from None
        period = f"{jp.fiscal_year_label(fiscal_year)}" + (f" {month}" if month else "（年度）")
        return OUTCOMES[outcome], f"{indicator.code} {indicator.name} {period}: {observation.exact_value}{indicator.unit}"

    def check_all(self, rows):
        seen: dict[tuple, int] = {}
        for row in rows:
            key = (row.values.get("indicator_code"), row.values.get("fiscal_year"), row.values.get("month") or "")
            if key in seen:
                yield LineError(row.line, "month", f"同じ指標・期間の値が{seen[key]}行目にもあります（1期間に1つの値です）")
            else:
                seen[key] = row.line

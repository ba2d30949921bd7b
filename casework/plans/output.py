"""The rollup as the stable interfaces print it (docs/interfaces.md): CSV with the header
`code,fiscal_year,month,value,target`, and JSON of the same content. Numbers are plain and keep
the places the plan wrote ("1.50", "173.0"); case values are whole numbers."""

import csv
import io
import json
from decimal import Decimal

from casework.plans.rollup import RollupResult

CSV_HEADER = ("code", "fiscal_year", "month", "value", "target")


def plain(value) -> str:
    """12, 152.1, 1.50; "" for none. Never a thousands separator or an exponent."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def rollup_csv(result: RollupResult) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for item in sorted(result.indicators, key=lambda i: i.code):
        for month, value in zip(result.months, item.values, strict=True):
            writer.writerow((item.code, result.fiscal_year, month, plain(value), plain(item.target)))
    return out.getvalue()


class _Number:
    """A number written into JSON exactly as plain() prints it."""

    def __init__(self, value):
        self.text = plain(value)


def _json_number(value):
    if value is None:
        return None
    if isinstance(value, int):
        return value
    return _Number(value)


def rollup_dict(result: RollupResult) -> dict:
    return {
        "fiscal_year": result.fiscal_year,
        "indicators": [
            {
                "code": item.code,
                "name": item.name,
                "unit": item.unit,
                "target": _json_number(item.target),
                "baseline": _json_number(item.baseline),
                "months": [{"month": m, "value": _json_number(v)}
                           for m, v in zip(result.months, item.values, strict=True)],
            }
            for item in sorted(result.indicators, key=lambda i: i.code)
        ],
    }


def rollup_json(result: RollupResult) -> str:
    """One JSON object; Decimal figures keep their places (173.0, 1.50) as JSON numbers."""
    numbers: list[str] = []

    def default(obj):
        if isinstance(obj, _Number):
            numbers.append(obj.text)
            return f"\x00{len(numbers) - 1}\x00"
        raise TypeError(type(obj).__name__)

    text = json.dumps(rollup_dict(result), ensure_ascii=False, default=default)
    for index, number in enumerate(numbers):
        text = text.replace(f'"\\u0000{index}\\u0000"', number, 1)
    return text

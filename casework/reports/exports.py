"""The rollup and the yearly review sheet as CSV (UTF-8 with BOM for Excel, or CP932) and .xlsx. The
numbers come from casework.plans.rollup; this module only lays them out. They hold numbers, no
personal data: no fresh password, no people in the audit entry (the drill-down's lists of
records do both: casework.plans.export)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from casework import jp
from casework.plans.rollup import RollupResult, months_elapsed, rollup
from casework.plans.services import frozen_year
from casework.web import UTF8, csv_bytes, neutralise_cell


def neutralise(text: str) -> str:
    """A text cell Excel would run as a formula is prefixed with an apostrophe (numbers are
    written as numbers and left alone)."""
    return neutralise_cell(text)


def _places(value) -> int:
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return max(0, -exponent) if isinstance(exponent, int) else 0
    return 0


def _xlsx_value(cell, value) -> None:
    if value is None:
        cell.value = None
    elif isinstance(value, int):
        cell.value = value
        cell.number_format = "#,##0"
    elif isinstance(value, Decimal):
        places = _places(value)
        cell.value = float(value) if places else int(value)
        cell.number_format = "#,##0" + ("." + "0" * places if places else "")
    else:
        cell.value = neutralise(str(value))
        cell.data_type = "s"


# --- the rollup table ---------------------------------------------------------------------


def rollup_table(result: RollupResult, visible=lambda item: True) -> tuple[list[str], list[list]]:
    header = ["指標コード", "節", "指標項目", "単位", "現状値", f"目標値（{jp.fiscal_year_label(result.fiscal_year)}）"]
    header += [f"{m}（{int(m[5:])}月末）" for m in result.months]
    rows = []
    for item in result.indicators:
        if not visible(item):
            continue
        rows.append([item.code, f"{item.section_code} {item.section_title}", item.name, item.unit,
                     item.baseline, item.target, *item.values])
    return header, rows


def to_csv(header: list[str], rows: list[list], encoding: str = UTF8) -> bytes:
    """Through the one CSV writer: UTF-8 with BOM, or CP932 (raises casework.web.NotEncodable)."""
    return csv_bytes([header, *rows], encoding)


def to_xlsx(title: str, header: list[str], rows: list[list], *, note: str = "") -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    start = 1
    if note:
        sheet.cell(row=1, column=1, value=neutralise(note)).font = Font(bold=True)
        start = 3
    fill = PatternFill("solid", fgColor="ECEBE6")
    for col, name in enumerate(header, start=1):
        cell = sheet.cell(row=start, column=col, value=neutralise(name))
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(rows, start=start + 1):
        for c, value in enumerate(row, start=1):
            _xlsx_value(sheet.cell(row=r, column=c), value)
    for col in range(1, len(header) + 1):
        sheet.column_dimensions[get_column_letter(col)].width = 30 if col == 3 else 12
    sheet.freeze_panes = sheet.cell(row=start + 1, column=4)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain_xlsx_value(value):
    """A cell value without a style of its own: tens of thousands of styled cells take minutes.
    Text is neutralised, so none is read as a formula."""
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    if isinstance(value, Decimal):
        return float(value) if _places(value) else int(value)
    return neutralise(str(value))


def write_xlsx(title: str, header: list[str], rows, out, *, widths: dict[int, int] | None = None) -> int:
    """to_xlsx() for lists too long to hold (the records behind a number): openpyxl's write-only
    mode streams each row to the file as it comes, the same header style and cell values
    (numbers as numbers, text neutralised; no thousands separators: record numbers are ids). `widths`: {column number: width}. Returns the
    number of rows after the header."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for col, width in (widths or {}).items():
        sheet.column_dimensions[get_column_letter(col)].width = width
    sheet.freeze_panes = "A2"
    fill = PatternFill("solid", fgColor="ECEBE6")
    heads = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=neutralise(name))
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        heads.append(cell)
    sheet.append(heads)
    count = 0
    for row in rows:
        sheet.append([_plain_xlsx_value(value) for value in row])
        count += 1
    book.save(out)
    return count


# --- the yearly review sheet (数値目標 with actuals) -----------------------------------------


@dataclass
class ReviewYear:
    fiscal_year: int
    target: Decimal | None
    actual: object
    as_of: str  # "" for a whole year, else the month the actual stands at
    confirmed: bool


@dataclass
class ReviewRow:
    code: str
    section: str
    name: str
    unit: str
    baseline: Decimal | None
    baseline_year: int | None
    years: list[ReviewYear]
    item: object


def review(years: list[int], visible=lambda item: True, today=None) -> list[ReviewRow]:
    """Each plan year's actual beside its target: the value at March for a finished year (the
    confirmed figure when the year is confirmed), the latest month-end for the running year,
    nothing for a year not begun."""
    results = {y: rollup(y) for y in years}
    frozen = {y: frozen_year(y) for y in years}
    rows: dict[str, ReviewRow] = {}
    order: list[str] = []
    for y in years:
        elapsed = months_elapsed(y, today)
        for item in results[y].indicators:
            if not visible(item):
                continue
            if item.code not in rows:
                rows[item.code] = ReviewRow(item.code, f"{item.section_code} {item.section_title}",
                                            item.name, item.unit, item.baseline, item.baseline_year, [], item)
                order.append(item.code)
            actual, as_of, confirmed = None, "", False
            if elapsed:
                index = elapsed - 1
                actual = item.values[index]
                as_of = "" if elapsed == 12 else results[y].months[index]
                snapshot = frozen[y].snapshot.get(item.code) if frozen[y] else None
                if snapshot is not None:
                    saved = snapshot["values"][index]
                    actual = Decimal(saved) if saved is not None else None
                    if actual is not None and item.kind != "observed" and actual == actual.to_integral_value():
                        actual = int(actual)
                    confirmed = True
            rows[item.code].years.append(ReviewYear(y, item.target, actual, as_of, confirmed))
    return [rows[c] for c in order]


def review_table(review_rows: list[ReviewRow], years: list[int]) -> tuple[list[str], list[list]]:
    header = ["指標コード", "指標項目", "単位", "現状"]
    for y in years:
        label = f"R{y - 2018}" if y >= 2019 else str(y)
        header += [f"{label} 目標", f"{label} 実績"]
    rows = []
    for row in review_rows:
        line = [row.code, row.name, row.unit, row.baseline]
        for year in row.years:
            line += [year.target, year.actual]
        rows.append(line)
    return header, rows

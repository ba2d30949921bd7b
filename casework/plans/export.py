"""The records behind a number as a file (the drill-down's Excel/CSV export): every record the
drill-down lists, all pages, in its order, with what a manager needs to work with them outside
casework. The records come from casework.plans.rollup.drilldown_chunks (the one engine), a chunk
at a time; this module only lays them out and notes whose data they carry.

Aggregate exports (the rollup table, the yearly review sheet; casework.reports) hold numbers,
no personal data: they need no fresh password and record no people."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import IO

import sqlalchemy as sa

from casework import jp
from casework.extensions import db
from casework.plans.rollup import RuleSpec, drilldown_chunks
from casework.plans.sources import Source
from casework.web import write_csv

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_WIDTHS = {1: 10, 2: 14, 3: 30, 4: 18, 5: 20, 6: 18, 7: 12, 8: 10}

ID_LIST = sa.bindparam("ids", expanding=True)
CHUNK = 1000  # records read, described and written at a time


def holds_personal_data(source: Source) -> bool:
    return source.people is not None


def header(source: Source, spec: RuleSpec) -> list[str]:
    on = source.date_word or "日付"
    columns = ["記録番号", "整理番号", "記録", "氏名" if holds_personal_data(source) else "名称", "ふりがな",
               f"{on}（和暦）", f"{on}（西暦）", "状態"]
    if spec.measure == "sum_weight":
        columns.append(source.weight_word or "人数")
    return columns


@functools.lru_cache(maxsize=32)
def _listed_ids(source: Source) -> sa.Select:
    """A select of the record ids given as the parameter "ids" (what a source's selects take)."""
    rows = source.rows().subquery("x")
    return sa.select(rows.c.record_id).where(rows.c.record_id.in_(ID_LIST))


def _wareki(on: date | None) -> str:
    if on is None:
        return "日付なし"
    try:
        return jp.to_wareki(on)
    except ValueError:
        return ""


def rows(source: Source, spec: RuleSpec, fiscal_year: int, month: str, scope: str,
         people: set[int]) -> Iterator[list]:
    """The header, then one row per record behind the number. Adds to `people` the id of each
    person whose data a row carries, as the rows are read (the audit entry lists them)."""
    yield header(source, spec)
    ids_select = _listed_ids(source)
    for chunk in drilldown_chunks(spec, fiscal_year, month, scope=scope, chunk=CHUNK):
        params = {"ids": [row.record_id for row in chunk]}
        about = {}
        if source.export_describe is not None:
            about = {int(r[0]): r for r in db.session.execute(source.export_describe(ids_select), params)}
        if source.people is not None:
            people.update(int(r[1]) for r in db.session.execute(source.people(ids_select), params)
                          if r[1] is not None)
        for row in chunk:
            ref, name, furigana = ("", row.person, "")
            if row.record_id in about:
                _id, ref, name, furigana = about[row.record_id]
            line = [row.record_id, ref or "", row.title, (name or "").strip(), (furigana or "").strip(),
                    _wareki(row.event_date), row.event_date.isoformat() if row.event_date else "", row.status]
            if spec.measure == "sum_weight":
                line.append(row.weight)
            yield line


def filename(code: str, fiscal_year: int, month: str, scope: str, suffix: str) -> str:
    what = {"to_date": f"{month}末時点", "month": f"{month}の増加分", "undated": "日付なし"}[scope]
    return f"{code}_{jp.fiscal_year_label(fiscal_year)}_{what}.{suffix}"


@dataclass
class WrittenExport:
    file: IO[bytes]  # at its end; the response sends it and closes it
    count: int  # records written
    people: set[int]  # whose data they carry


def write_file(kind: str, title: str, source: Source, spec: RuleSpec, fiscal_year: int, month: str,
               scope: str, encoding: str | None = None) -> WrittenExport:
    """The export written to a temporary file ("xlsx", or "csv" in `encoding`): a file on disk,
    not in memory, however many records. Raises casework.web.NotEncodable for a CP932 CSV with
    characters CP932 lacks (the file is thrown away)."""
    from casework.reports.exports import write_xlsx  # reports builds on plans: imported late

    people: set[int] = set()
    listed = rows(source, spec, fiscal_year, month, scope, people)
    out = tempfile.TemporaryFile()  # noqa: SIM115 — outlives this function: the response closes it
    try:
        if kind == "xlsx":
            count = write_xlsx(title, next(listed), listed, out, widths=XLSX_WIDTHS)
        else:
            count = write_csv(listed, out, encoding)
    except BaseException:
        out.close()
        raise
    return WrittenExport(out, count, people)

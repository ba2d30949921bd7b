"""All-or-nothing CSV imports, one pipeline for every kind.

read the file → check the header → parse every cell → load every row → the kind's checks across
rows → commit only when there is no error. Each problem is reported as `line N: column: reason`
(the header is line 1).

Rows are loaded one of two ways, chosen by the kind: row by row through its own services (ORM,
audited by the flush hook: load_row), or, for a kind that sets chunk_size, in chunks by the
batched loader (casework.imports.batch: prepare_chunk, then stage_row for each row). Either way
everything happens in one transaction, committed only when the whole file is good."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from casework.audit.trail import record_event
from casework.extensions import db
from casework.imports.batch import Chunk, roomy_sqlite_cache
from casework.imports.columns import Column
from casework.imports.csvfile import FileError, read_table

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
OUTCOME_LABELS = {CREATED: "新規", UPDATED: "更新", UNCHANGED: "変更なし"}


class RowError(ValueError):
    """Raised by a kind while loading a row."""

    def __init__(self, column: str, reason: str):
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass(frozen=True, order=True)
class LineError:
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.column}: {self.reason}"


@dataclass
class Row:
    line: int
    values: dict[str, Any]
    outcome: str = ""
    summary: str = ""


class ImportKind:
    """A kind of import. Subclasses set the class attributes and implement load_row, or set
    chunk_size and implement prepare_chunk and stage_row (the batched loader)."""

    name: str = ""
    label: str = ""
    capability: str = ""
    columns: tuple[Column, ...] = ()
    # Rows per chunk for the batched loader; None: row by row through load_row.
    chunk_size: int | None = None

    def load_row(self, row: Row) -> tuple[str, str]:
        """Write one row (through services, flushing, never committing).
        Returns (CREATED/UPDATED/UNCHANGED, a short description). Raises RowError."""
        raise NotImplementedError

    def prepare_chunk(self, chunk: Chunk) -> None:
        """Batched loader: look up what the chunk's rows need, one query per table
        (chunk.by_ref, chunk.people.load, chunk.select), keeping it in chunk.found."""
        raise NotImplementedError

    def stage_row(self, row: Row, chunk: Chunk) -> tuple[str, str]:
        """Batched loader: load_row's rules on the chunk's staged records (chunk.create,
        chunk.update, chunk.people). Returns (outcome, description). Raises RowError."""
        raise NotImplementedError

    def check_all(self, rows: list[Row]) -> Iterable[LineError]:
        """Checks across rows once every row is loaded (e.g. a host family's capacity)."""
        return ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


_KINDS: dict[str, ImportKind] = {}


def register_kind(kind: ImportKind) -> None:
    _KINDS[kind.name] = kind


def kinds() -> dict[str, ImportKind]:
    return dict(_KINDS)


def get_kind(name: str) -> ImportKind | None:
    return _KINDS.get(name)


@dataclass
class ImportResult:
    kind: str
    rows: list[Row] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.outcome == outcome)

    def summary(self) -> str:
        return (f"{len(self.rows)}行: 新規 {self.count(CREATED)}件、更新 {self.count(UPDATED)}件、"
                f"変更なし {self.count(UNCHANGED)}件")


def _check_header(kind: ImportKind, header: list[str]) -> list[LineError]:
    known = set(kind.column_names)
    errors = []
    seen = set()
    for name in header:
        if name in seen:
            errors.append(LineError(1, name, "同じ列が2回あります"))
        seen.add(name)
        if name not in known:
            errors.append(LineError(1, name or "(空)", f"不明な列です（使える列: {', '.join(kind.column_names)}）"))
    for column in kind.columns:
        if column.required and column.name not in seen:
            errors.append(LineError(1, column.name, "必須の列がありません"))
    return errors


# Parsed cells remembered per column while a file is parsed (a parser is a function of the
# cell's text alone): large files repeat the same family names, furigana and dates over and
# over. Bounded, so that a file of all-different cells costs no more memory than before.
PARSED_CELLS_KEPT = 20_000


def _parse_rows(kind: ImportKind, header: list[str], table) -> tuple[list[Row], list[LineError]]:
    columns = {c.name: c for c in kind.columns}
    known: dict[str, dict[str, tuple[bool, Any]]] = {name: {} for name in header}
    rows, errors = [], []
    for line, cells in table:
        if len(cells) > len(header):
            errors.append(LineError(line, "-", f"見出しより列が多い行です（{len(cells)}列、見出しは{len(header)}列）"))
            continue
        values: dict[str, Any] = {}
        for name, cell in zip(header, cells + [""] * (len(header) - len(cells)), strict=True):
            column = columns[name]
            if column.required and not cell.strip():
                errors.append(LineError(line, name, "必須の項目が空です"))
                continue
            parsed = known[name].get(cell)
            if parsed is None:
                try:
                    parsed = (True, column.parse(cell))
                except ValueError as exc:
                    parsed = (False, str(exc))
                if len(known[name]) < PARSED_CELLS_KEPT:
                    known[name][cell] = parsed
            if parsed[0]:
                values[name] = parsed[1]
            else:
                errors.append(LineError(line, name, parsed[1]))
        rows.append(Row(line, values))
    return rows, errors


def _duplicate_refs(rows: list[Row]) -> list[LineError]:
    first_line: dict[str, int] = {}
    errors = []
    for row in rows:
        ref = row.values.get("ref")
        if not ref:
            continue
        if ref in first_line:
            errors.append(LineError(row.line, "ref", f"ref「{ref}」は{first_line[ref]}行目と重複しています"))
        else:
            first_line[ref] = row.line
    return errors


def run_import(kind: ImportKind, data: bytes, *, commit: bool, filename: str = "") -> ImportResult:
    """Run the whole pipeline. With commit=False (the preview) nothing is ever written."""
    result = ImportResult(kind.name)
    try:
        header, table = read_table(data)
    except FileError as exc:
        result.errors.append(LineError(1, "-", str(exc)))
        return result
    result.errors += _check_header(kind, header)
    if result.errors:
        return result
    result.rows, parse_errors = _parse_rows(kind, header, table)
    del table  # the raw cells take as much memory as the parsed rows: not kept while loading
    result.errors += parse_errors + _duplicate_refs(result.rows)
    if not result.rows and not result.errors:
        result.errors.append(LineError(2, "-", "データ行がありません"))
    if result.errors:
        return result
    _load(kind, result)
    if result.ok and commit:
        record_event("import", entity=kind.name, detail=f"{filename}: {result.summary()}")
        db.session.commit()
        result.committed = True
    else:
        db.session.rollback()
    result.errors.sort()
    return result


def _load(kind: ImportKind, result: ImportResult) -> None:
    if kind.chunk_size:
        with roomy_sqlite_cache():
            loaded = _load_in_chunks(kind, result)
    else:
        loaded = _load_row_by_row(kind, result)
    if loaded and result.ok:
        result.errors += list(kind.check_all(result.rows))


def _load_row_by_row(kind: ImportKind, result: ImportResult) -> bool:
    for row in result.rows:
        try:
            row.outcome, row.summary = kind.load_row(row)
            db.session.flush()
        except RowError as exc:
            result.errors.append(LineError(row.line, exc.column, exc.reason))
        except SQLAlchemyError as exc:
            # The session cannot go on after a failed flush; everything is rolled back anyway.
            result.errors.append(LineError(row.line, "-", f"保存できませんでした（{type(exc).__name__}）"))
            db.session.rollback()
            return False
    return True


def _load_in_chunks(kind: ImportKind, result: ImportResult) -> bool:
    """Every row is staged even after a bad one, so that every bad row is reported; the chunks
    are written as they go, in the one transaction that is committed only without errors."""
    for start in range(0, len(result.rows), kind.chunk_size):
        chunk = Chunk(result.rows[start:start + kind.chunk_size])
        try:
            kind.prepare_chunk(chunk)
            for row in chunk.rows:
                try:
                    row.outcome, row.summary = kind.stage_row(row, chunk)
                except RowError as exc:
                    result.errors.append(LineError(row.line, exc.column, exc.reason))
            chunk.write()
        except SQLAlchemyError as exc:
            # A chunk is written by a few statements for all its rows: name its range of lines.
            first, last = chunk.rows[0].line, chunk.rows[-1].line
            if isinstance(exc, StaleDataError):
                reason = (f"{first}〜{last}行目の記録が取込中に画面などで変更されたため、保存できませんでした。"
                          "もう一度取り込んでください")
            else:
                reason = f"{first}〜{last}行目を保存できませんでした（{type(exc).__name__}）"
            result.errors.append(LineError(first, "-", reason))
            db.session.rollback()
            return False
    return True


def upsert_by_ref(model, ref: str, values: dict[str, Any]) -> tuple[Any, str]:
    """The record with this ref, created or brought up to date. (record, outcome)"""
    record = db.session.scalar(sa.select(model).where(model.ref == ref))
    if record is None:
        record = model(ref=ref, **values)
        db.session.add(record)
        return record, CREATED
    changed = False
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)
            changed = True
    return record, UPDATED if changed else UNCHANGED

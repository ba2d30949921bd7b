"""Reading the CSV files staff bring: UTF-8 (with or without BOM) or CP932 as Excel writes it."""

import csv
import io

MAX_COLUMNS = 200


class FileError(ValueError):
    """The file as a whole cannot be read; the message is Japanese."""


def decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932")
    except UnicodeDecodeError as exc:
        raise FileError(
            "文字コードを判別できません。UTF-8 または Shift_JIS（CP932, Excel の「CSV」）で保存してください。"
        ) from exc


def read_table(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(header, [(line number, cells)]). Line 1 is the header; blank lines are skipped."""
    text = decode(data)
    if "\x00" in text:
        raise FileError("CSV ファイルではないようです（バイナリデータを含んでいます）。")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FileError("ファイルが空です。1行目に見出し行が必要です。") from None
    except csv.Error as exc:
        raise FileError(f"CSV として読めません: {exc}") from exc
    if len(header) > MAX_COLUMNS:
        raise FileError(f"列が多すぎます（{len(header)}列）。")
    rows = []
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise FileError(f"{reader.line_num}行目を CSV として読めません: {exc}") from exc
    return [h.strip().lstrip("\ufeff") for h in header], rows

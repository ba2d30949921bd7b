"""Property tests of the import parser: whatever bytes or cells arrive, the only failures are
the Japanese errors the framework reports, never a crash."""

import csv
import io
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework import jp
from casework.imports import columns
from casework.imports.csvfile import FileError, read_table

cells = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400))
def test_any_bytes_read_or_fail_with_a_file_error(data):
    try:
        header, rows = read_table(data)
    except FileError as exc:
        assert str(exc)
    else:
        assert isinstance(header, list)
        assert all(line >= 2 for line, _ in rows)


@settings(max_examples=200)
@given(st.lists(st.lists(cells, min_size=1, max_size=5), min_size=1, max_size=8),
       st.sampled_from(["utf-8", "utf-8-sig", "cp932"]))
def test_written_tables_read_back_the_same(table, encoding):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return  # CP932 cannot hold every character; such a file cannot exist
    try:
        header, rows = read_table(data)
    except FileError:
        return
    expected = [[c for c in row] for row in table]
    got = [header] + [cells for _, cells in rows]
    non_blank = [expected[0]] + [r for r in expected[1:] if any(c.strip() for c in r)]
    assert [h.strip().lstrip("\ufeff") for h in non_blank[0]] == header
    assert got[1:] == non_blank[1:]


PARSERS = [columns.text(20), columns.kana(20), columns.date_value, columns.whole_number(1, 99),
           columns.decimal_value, columns.choice({"cancelled": "cancelled", "取消": "cancelled"})]


@settings(max_examples=300)
@given(cells, st.sampled_from(PARSERS))
def test_column_parsers_fail_only_with_a_reason(text, parse):
    try:
        parse(text)
    except ValueError as exc:
        assert str(exc)


@given(st.dates(min_value=date(1989, 1, 8), max_value=date(2100, 12, 31)))
def test_dates_in_every_accepted_form_parse_back(d):
    for written in (d.isoformat(), f"{d.year}/{d.month}/{d.day}", jp.to_wareki(d), jp.to_wareki_short(d)):
        assert columns.date_value(written) == d

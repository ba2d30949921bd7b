"""Exports: CSV that Excel opens (UTF-8 with BOM, formulas neutralised), a real .xlsx, and the
yearly review sheet; every export is audited."""

import io

import sqlalchemy as sa
from openpyxl import load_workbook

from tests.test_plans_fixtures import import_rows, load_plan, startup


def test_rollup_csv_has_bom_and_numbers(app, runner, tmp_path, login_as):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2026-04-02")])
    response = login_as("manager").get("/reports/rollup.csv?fy=2026")
    assert response.status_code == 200
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("指標コード,節,指標項目,単位,現状値,目標値（令和8年度）,2026-04")
    assert "1-01-01-1,1-01-01 創業,創業支援対象者数,件,3,2,1,1," in text
    assert ",1.42,1.50," in text  # places kept
    from casework.audit.models import AuditEntry
    from casework.extensions import db

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "export")) == 1


def test_formula_cells_are_neutralised():
    from casework.reports.exports import to_csv

    data = to_csv(["a", "b"], [["=1+1", "@x"], ["-2", 5]]).decode("utf-8-sig")
    assert data.splitlines() == ["a,b", "'=1+1,'@x", "'-2,5"]


def test_rollup_xlsx_is_a_real_workbook(runner, login_as):
    load_plan(runner)
    response = login_as("admin").get("/reports/rollup.xlsx?fy=2026")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    sheet = book.active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[2]
    assert header[0] == "指標コード"
    jobs = next(r for r in rows if r and r[0] == "1-01-03-1")
    assert jobs[4] == 1.42 and jobs[5] == 1.5


def test_review_sheet_page_and_xlsx(runner, tmp_path, login_as):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2022-05-01"),
                                              startup("S2", "sato", "2022-06-01")])
    manager = login_as("manager")
    html = manager.get("/reports/review").get_data(as_text=True)
    assert "指標項目" in html and "現状" in html and "R4" in html and "R8" in html
    assert "173.0" in html and "留萌市法人市民税課税額" in html
    response = manager.get("/reports/review.xlsx")
    book = load_workbook(io.BytesIO(response.get_data()))
    rows = list(book.active.iter_rows(values_only=True))
    header = rows[2]
    assert list(header[:6]) == ["指標コード", "指標項目", "単位", "現状", "R4 目標", "R4 実績"]
    startups = next(r for r in rows if r and r[0] == "1-01-01-1")
    assert startups[3] == 3 and startups[4] == 2 and startups[5] == 2  # R4: target 2, actual 2

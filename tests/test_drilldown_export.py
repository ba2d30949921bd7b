"""The records behind a number, taken to Excel: exactly the records the number counts, all pages,
in the page's order; a fresh password first; the audit log keeps whose data left."""

import csv
import io
import re
from html import unescape

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import PASSWORD
from tests.test_plans_fixtures import (
    drilldown_data,
    import_rows,
    load_plan,
    startup,
)

CODES = ("1-01-01-1", "1-01-05-1", "1-01-05-2", "1-01-06-1")
HEADER = ["記録番号", "整理番号", "記録", "氏名", "ふりがな"]


def _csv_rows(response, encoding="utf-8-sig") -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data().decode(encoding), newline="")))


def _page_ids(client, url: str) -> list[int]:
    """The record ids the drill-down pages list, page after page (links to the records)."""
    ids, page = [], 1
    while True:
        html = client.get(f"{url}&page={page}").get_data(as_text=True)
        body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
        ids += [int(i) for i in re.findall(r'href="/[a-z]+/[a-z/-]*?(\d+)"', body)]
        if 'rel="next"' not in html:
            return ids
        page += 1


def _person_id(app, family_name: str) -> int:
    from casework.extensions import db
    from casework.people.models import Person

    with app.app_context():
        return db.session.scalar(sa.select(Person.id).where(Person.family_name == family_name))


def _export_entries(app) -> list:
    from casework.audit.models import AuditEntry
    from casework.extensions import db

    with app.app_context():
        return db.session.execute(sa.select(AuditEntry.id, AuditEntry.detail, AuditEntry.entity_id)
                                  .where(AuditEntry.action == "export").order_by(AuditEntry.id)).all()


def _exported_people(app, audit_id: int) -> list[int]:
    from casework.audit.exports import exported_people

    with app.app_context():
        return exported_people(audit_id)


def _text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_export_holds_exactly_the_records_the_number_counts(app, runner, tmp_path, login_as):
    drilldown_data(runner, tmp_path)
    app.config["PAGE_SIZE"] = 2  # several pages: the file holds them all, in the pages' order
    manager = login_as("manager")
    from casework.extensions import db
    from casework.plans.rollup import compute

    with app.app_context():
        result = compute(2026)
        db.session.rollback()
    for code in CODES:
        item = result.get(code)
        for index, month in ((1, "2026-05"), (11, "2027-03")):
            for scope in ("to_date", "month", "undated"):
                url = f"/plans/indicators/{code}/records?fy=2026&month={month}&scope={scope}"
                rows = _csv_rows(manager.get(url.replace("/records?", "/records.csv?")))
                ids = [int(r[0]) for r in rows[1:]]
                assert ids == _page_ids(manager, url), (code, month, scope)
                if scope == "undated":
                    assert len(ids) == item.not_countable
                    continue
                expected = item.values[index] - (item.values[index - 1] if scope == "month" else 0)
                if item.measure == "sum_weight":
                    assert rows[0][-1] and sum(int(r[-1]) for r in rows[1:]) == expected, (code, month, scope)
                else:
                    assert len(ids) == expected, (code, month, scope)


def test_xlsx_opens_with_the_japanese_intact(app, runner, tmp_path, login_as):
    drilldown_data(runner, tmp_path)
    manager = login_as("manager")
    page = manager.get("/plans/indicators/1-01-01-1/records?fy=2026&month=2026-05").get_data(as_text=True)
    assert "Excel（.xlsx）" in page and "CSV（Shift_JIS）" in page
    link = re.search(r'href="([^"]*records\.xlsx[^"]*)"', page).group(1)
    response = manager.get(unescape(link))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "1-01-01-1_" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == [*HEADER, "初回相談日（和暦）", "初回相談日（西暦）", "状態"]
    # S1 (田中, April) and S3 (佐藤, May 20th, before S6 the same day): one record per person.
    assert [(r[1], r[3], r[4], r[5], r[6]) for r in values[1:]] == [
        ("S1", "田中 花子", "たなか はなこ", "令和8年4月1日", "2026-04-01"),
        ("S3", "佐藤 一郎", "さとう いちろう", "令和8年5月20日", "2026-05-20")]


def test_csv_in_utf8_with_bom_and_in_shift_jis(app, runner, tmp_path, login_as):
    drilldown_data(runner, tmp_path)
    manager = login_as("manager")
    url = "/plans/indicators/1-01-05-1/records.csv?fy=2026&month=2027-03"
    utf8 = manager.get(url)
    assert utf8.status_code == 200 and utf8.get_data().startswith(b"\xef\xbb\xbf")
    assert utf8.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv_rows(utf8)
    assert rows[0] == [*HEADER, "転入日（和暦）", "転入日（西暦）", "状態", "人数"]
    # M1 moved in before the window starts; M4 has no date yet.
    assert [(r[1], r[3], r[5], r[6], r[-1]) for r in rows[1:]] == [
        ("M2", "佐藤 一郎", "令和6年4月1日", "2024-04-01", "2"),
        ("M3", "鈴木 次郎", "令和8年6月30日", "2026-06-30", "4")]
    sjis = manager.get(url + "&encoding=cp932")
    assert sjis.status_code == 200 and sjis.headers["Content-Type"] == "text/csv; charset=Windows-31J"
    assert "_sjis.csv" in sjis.headers["Content-Disposition"]
    assert not sjis.get_data().startswith(b"\xef\xbb\xbf")
    assert _csv_rows(sjis, "cp932") == rows
    assert [d.split(" (")[0] for _i, d, _c in _export_entries(app)] == [
        "CSV 1-01-05-1 fy=2026 month=2027-03 scope=to_date",
        "CSV Shift_JIS 1-01-05-1 fy=2026 month=2027-03 scope=to_date"]


def test_shift_jis_refuses_a_name_it_cannot_write(app, runner, tmp_path, login_as):
    load_plan(runner)
    yoshida = {**startup("S1", "tanaka", "2026-04-01"), "family_name": "𠮷田"}
    import_rows(runner, tmp_path, "startup", [yoshida, startup("S2", "sato", "2026-04-02")])
    manager = login_as("manager")
    url = "/plans/indicators/1-01-01-1/records.csv?fy=2026&month=2026-04&encoding=cp932"
    refused = manager.get(url)
    assert refused.status_code == 422
    text = _text(refused)
    assert "𠮷" in text and "氏名" in text and "U+20BB7" in text
    assert _export_entries(app) == []  # nothing left the building
    utf8 = manager.get(url.replace("&encoding=cp932", ""))
    assert "𠮷田 花子" in utf8.get_data().decode("utf-8-sig")


def test_cells_excel_would_run_as_formulas_are_neutralised(app, runner, tmp_path, login_as):
    load_plan(runner)
    formula = {**startup("S1", "tanaka", "2026-04-01"), "family_name": "=HYPERLINK(\"x\")"}
    import_rows(runner, tmp_path, "startup", [formula])
    manager = login_as("manager")
    rows = _csv_rows(manager.get("/plans/indicators/1-01-01-1/records.csv?fy=2026&month=2026-04"))
    assert rows[1][3].startswith("'=HYPERLINK")
    book = load_workbook(io.BytesIO(manager.get(
        "/plans/indicators/1-01-01-1/records.xlsx?fy=2026&month=2026-04").get_data()))
    assert book.active.cell(row=2, column=4).value.startswith("'=HYPERLINK")


def test_personal_data_needs_the_password_again_then_comes_back_to_the_file(app, runner, tmp_path, login_as):
    drilldown_data(runner, tmp_path)
    manager = login_as("manager")
    with manager.session_transaction() as session:
        session["auth_at"] -= app.config["REAUTH_MINUTES"] * 60 + 1
    url = "/plans/indicators/1-01-01-1/records.xlsx?fy=2026&month=2026-05"
    asked = manager.get(url)
    assert asked.status_code == 302 and "/reauth" in asked.headers["Location"]
    assert _export_entries(app) == []
    wrong = manager.post(asked.headers["Location"], data={"password": "not-the-password"})
    assert "パスワードが正しくありません" in wrong.get_data(as_text=True)
    back = manager.post(asked.headers["Location"], data={"password": PASSWORD})
    assert back.status_code == 302 and back.headers["Location"] == url
    assert manager.get(back.headers["Location"]).status_code == 200
    assert len(_export_entries(app)) == 1


def test_the_reauth_page_never_sends_anyone_off_site(app, login_as):
    manager = login_as("manager")
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        back = manager.post("/reauth", query_string={"next": target}, data={"password": PASSWORD})
        assert back.status_code == 302 and "evil" not in back.headers["Location"]
        assert back.headers["Location"].startswith("/")


def test_an_organization_list_holds_no_personal_data_and_needs_no_password(app, runner, tmp_path, login_as):
    drilldown_data(runner, tmp_path)
    manager = login_as("manager")
    with manager.session_transaction() as session:
        session["auth_at"] -= app.config["REAUTH_MINUTES"] * 60 + 1
    response = manager.get("/plans/indicators/1-01-06-1/records.csv?fy=2026&month=2027-03")
    assert response.status_code == 200
    rows = _csv_rows(response)
    assert rows[0][3] == "名称" and [r[1] for r in rows[1:]] == ["C1", "C5", "C2", "C3"]
    ((audit_id, _detail, _code),) = _export_entries(app)
    assert _exported_people(app, audit_id) == []


def test_the_audit_search_by_person_finds_the_exports_that_held_them(app, runner, tmp_path, login_as):
    drilldown_data(runner, tmp_path)
    manager = login_as("manager")
    assert manager.get("/plans/indicators/1-01-05-2/records.xlsx?fy=2026&month=2027-03").status_code == 200
    assert manager.get("/plans/indicators/1-01-01-1/records.csv?fy=2026&month=2026-04").status_code == 200
    placements, startups = _export_entries(app)
    # The placements list names the students placed and, in each title, the host family.
    assert set(_exported_people(app, placements.id)) == {
        _person_id(app, name) for name in ("加藤", "山田", "高橋")}
    assert _exported_people(app, startups.id) == [_person_id(app, "田中")]
    admin = login_as("admin")
    kato = admin.get(f"/admin/audit/?person_id={_person_id(app, '加藤')}&action=export")
    text = _text(kato)
    assert "1-01-05-2 fy=2026 month=2027-03" in text and "1-01-01-1 fy=2026" not in text
    assert "この対象者の情報を含む出力" in text
    tanaka = _text(admin.get(f"/admin/audit/?person_id={_person_id(app, '田中')}&action=export"))
    assert "1-01-01-1 fy=2026 month=2026-04" in tanaka and "1-01-05-2" not in tanaka
    sato = _text(admin.get(f"/admin/audit/?person_id={_person_id(app, '佐藤')}&action=export"))
    assert "該当する記録はありません" in sato


def test_nobody_exports_what_they_cannot_see(app, runner, tmp_path, login_as):
    drilldown_data(runner, tmp_path)
    coordinator = login_as("coordinator")
    for code in ("1-01-01-1", "1-01-05-1"):
        for kind in ("csv", "xlsx"):
            assert coordinator.get(f"/plans/indicators/{code}/records.{kind}?fy=2026").status_code == 404
    counter = login_as("counter")
    assert counter.get("/plans/indicators/1-01-05-2/records.csv?fy=2026").status_code == 404
    assert counter.get("/plans/indicators/1-01-01-1/records.csv?fy=2026").status_code == 200
    # Observed numbers have no records behind them; a bad month or scope is a 404, not a 500.
    manager = login_as("manager")
    assert manager.get("/plans/indicators/1-01-02-1/records.csv?fy=2026").status_code == 404
    assert manager.get("/plans/indicators/1-01-01-1/records.csv?fy=2026&month=2025-01").status_code == 404
    assert manager.get("/plans/indicators/1-01-01-1/records.csv?fy=2026&scope=all").status_code == 404
    assert manager.get("/plans/indicators/1-01-01-1/records.csv?fy=2026&encoding=latin1").status_code == 400
    assert len(_export_entries(app)) == 1  # the counter's


@pytest.mark.parametrize("statement", [
    "UPDATE audit_export_subjects SET person_id = person_id + 1",
    "DELETE FROM audit_export_subjects",
])
def test_the_people_of_an_export_cannot_be_changed_or_removed(app, runner, tmp_path, login_as, statement):
    drilldown_data(runner, tmp_path)
    login_as("manager").get("/plans/indicators/1-01-01-1/records.csv?fy=2026&month=2027-03")
    from casework.extensions import db

    with app.app_context():
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text(statement))
        count = db.session.scalar(sa.text("SELECT count(*) FROM audit_export_subjects"))
    assert count == 4  # 田中, 佐藤, 鈴木, 加藤


def test_a_long_list_is_read_a_chunk_at_a_time_in_the_pages_order(app, runner, tmp_path):
    drilldown_data(runner, tmp_path)
    from casework.extensions import db
    from casework.plans.rollup import RuleSpec, compute, drilldown, drilldown_chunks

    with app.app_context():
        item = compute(2026).get("1-01-01-1")
        spec = RuleSpec(item.source, item.measure, item.window, item.window_start)
        chunks = list(drilldown_chunks(spec, 2026, "2027-03", chunk=2))
        listed = drilldown(spec, 2026, "2027-03", per_page=100).rows
        db.session.rollback()
    assert [len(c) for c in chunks] == [2, 2]
    assert [r.record_id for c in chunks for r in c] == [r.record_id for r in listed]


def test_the_file_is_the_same_however_many_records_are_read_at_a_time(app, runner, tmp_path, login_as,
                                                                       monkeypatch):
    drilldown_data(runner, tmp_path)
    manager = login_as("manager")
    urls = ["/plans/indicators/1-01-05-2/records.csv?fy=2026&month=2027-03",
            "/plans/indicators/1-01-01-1/records.csv?fy=2026&month=2027-03&encoding=cp932"]
    whole = [manager.get(url).get_data() for url in urls]
    from casework.plans import export

    monkeypatch.setattr(export, "CHUNK", 1)
    assert [manager.get(url).get_data() for url in urls] == whole
    people = [_exported_people(app, audit_id) for audit_id, _d, _c in _export_entries(app)]
    assert people[:2] == people[2:] and all(people)

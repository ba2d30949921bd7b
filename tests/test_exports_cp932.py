"""CSV exports in Shift_JIS (CP932) for older PCs and partner systems: written strictly. A
character CP932 lacks (𠮷, emoji) stops the export with the row, the column and the character
listed and the UTF-8 file offered instead; nothing is ever written as "?". The UTF-8 export keeps
its BOM and its bytes."""

import csv
import io
import re
from html import unescape

import sqlalchemy as sa

from tests.test_plans_fixtures import import_rows, load_plan, startup

# What the UTF-8 writer produced for these rows before CP932 existed, byte for byte.
ROWS = [["氏名", "メモ"], ["=1+1", "@x"], ["-2", 5], [None, "\tb"], ["a,b", 'q"q\nline'], ["〜−", -3]]
UTF8_BEFORE = (b'\xef\xbb\xbf\xe6\xb0\x8f\xe5\x90\x8d,\xe3\x83\xa1\xe3\x83\xa2\r\n\'=1+1,\'@x\r\n'
               b'\'-2,5\r\n,\'\tb\r\n"a,b","q""q\nline"\r\n\xe3\x80\x9c\xe2\x88\x92,-3\r\n')


def rename_indicator(app, code: str, name: str) -> None:
    from casework.extensions import db
    from casework.plans.models import Indicator

    with app.app_context():
        db.session.scalar(sa.select(Indicator).where(Indicator.code == code)).name = name
        db.session.commit()


def export_events(app) -> list[str]:
    from casework.audit.models import AuditEntry
    from casework.extensions import db

    with app.app_context():
        return list(db.session.scalars(
            sa.select(AuditEntry.detail).where(AuditEntry.action == "export").order_by(AuditEntry.id)))


def page_text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_utf8_writer_keeps_its_bom_and_its_bytes():
    from casework.reports.exports import to_csv
    from casework.web import csv_bytes

    assert to_csv(ROWS[0], ROWS[1:]) == UTF8_BEFORE
    assert csv_bytes(ROWS) == UTF8_BEFORE


def test_neutralisation_applies_in_both_encodings():
    from casework.web import csv_bytes

    rows = [["列"], ["=SUM(A1)"], ["+1"], ["-2"], ["@x"], ["\tタブ"], ["\r改行"], ["田中"], [7]]
    expected = ["'=SUM(A1)", "'+1", "'-2", "'@x", "'\tタブ", "'\r改行", "田中", "7"]
    for encoding, codec in (("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")):
        text = csv_bytes(rows, encoding).decode(codec)
        assert [r[0] for r in csv.reader(io.StringIO(text, newline=""))][1:] == expected


def test_cp932_writes_the_nec_and_ibm_extensions_and_the_mac_wave_dash():
    from casework.web import csv_bytes

    data = csv_bytes([["氏名"], ["髙橋 﨑山〜"], ["−‖¢£¬—"]], "cp932")
    assert b"\xee\xe0" in data and b"\xed\x95" in data  # 髙 and 﨑 as Windows writes them
    # 〜 typed on a Mac (U+301C) is the byte Windows reads as ～ (U+FF5E): the same character.
    assert data.decode("cp932") == "氏名\r\n髙橋 﨑山～\r\n－∥￠￡￢―\r\n"
    assert not data.startswith(b"\xef\xbb\xbf")


def test_a_character_cp932_lacks_is_reported_with_its_row_and_column():
    import pytest

    from casework.web import NotEncodable, csv_bytes

    with pytest.raises(NotEncodable) as caught:
        csv_bytes([["番号", "氏名"], ["1", "田中"], ["2", "𠮷田😀"], ["3", "𠮷"]], "cp932")
    described = [(p.line, p.column, p.character) for p in caught.value.problems]
    assert described == [(3, "氏名", "「𠮷」(U+20BB7)"), (3, "氏名", "「😀」(U+1F600)"),
                         (4, "氏名", "「𠮷」(U+20BB7)")]
    assert caught.value.total == 3


def test_cp932_rollup_export_opens_as_shift_jis_text(app, runner, tmp_path, login_as):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2026-04-02")])
    rename_indicator(app, "1-01-01-1", "髙﨑〜創業支援対象者数")
    manager = login_as("manager")
    response = manager.get("/reports/rollup.csv?fy=2026&encoding=cp932")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=Windows-31J"
    assert "rollup_2026_sjis.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data().decode("cp932"), newline="")))
    assert rows[0][:6] == ["指標コード", "節", "指標項目", "単位", "現状値", "目標値（令和8年度）"]
    startups = next(r for r in rows if r[0] == "1-01-01-1")
    assert startups[2] == "髙﨑～創業支援対象者数" and startups[4:8] == ["3", "2", "1", "1"]
    # The same content as the UTF-8 file, which keeps its BOM.
    utf8 = manager.get("/reports/rollup.csv?fy=2026").get_data()
    assert utf8.startswith(b"\xef\xbb\xbf")
    assert utf8.decode("utf-8-sig").replace("〜", "～") == response.get_data().decode("cp932")
    assert [e.split(" (")[0] for e in export_events(app)] == ["CSV Shift_JIS fy=2026", "CSV fy=2026"]


def test_cp932_rollup_export_with_a_character_cp932_lacks_is_refused(app, runner, login_as):
    load_plan(runner)
    rename_indicator(app, "1-01-02-1", "𠮷野の移住者数")
    manager = login_as("manager")
    response = manager.get("/reports/rollup.csv?fy=2026&encoding=cp932",
                           headers={"Referer": "http://localhost/reports/"})
    assert response.status_code == 422
    assert response.mimetype == "text/html" and "Content-Disposition" not in response.headers
    text = page_text(response)
    assert "Shift_JISにない文字があるため出力できません" in text
    line = next(n for n, r in enumerate(csv.reader(io.StringIO(
        manager.get("/reports/rollup.csv?fy=2026").get_data().decode("utf-8-sig"))), start=1) if "𠮷" in r[2])
    assert f"{line}行目「指標項目」: 「𠮷」(U+20BB7)" in text
    assert "指標コード," not in response.get_data(as_text=True)  # no CSV body
    html = response.get_data(as_text=True)
    assert 'href="/reports/rollup.csv?fy=2026"' in html and "UTF-8のCSVで出力する" in html
    assert 'href="http://localhost/reports/"' in html  # back where the user came from
    # Only the UTF-8 file fetched above was exported.
    assert [e.split(" (")[0] for e in export_events(app)] == ["CSV fy=2026"]


def test_at_most_fifty_characters_are_listed_and_the_rest_counted(app, runner, login_as):
    load_plan(runner)
    rename_indicator(app, "1-01-01-1", "".join(chr(0x1F600 + i) for i in range(60)))
    text = page_text(login_as("admin").get("/reports/rollup.csv?fy=2026&encoding=cp932"))
    assert len(re.findall(r"\d+行目「指標項目」", text)) == 50
    assert "「😀」(U+1F600)" in text and "(U+1F631)" in text and "(U+1F632)" not in text
    assert "ほか10件" in text


def test_an_unknown_encoding_is_a_japanese_400(runner, login_as):
    load_plan(runner)
    response = login_as("manager").get("/reports/rollup.csv?fy=2026&encoding=latin-1")
    assert response.status_code == 400
    assert "リクエストが正しくありません" in response.get_data(as_text=True)


def test_personal_data_register_downloads_in_both_encodings(login_as):
    admin = login_as("admin")
    sjis = admin.get("/admin/personal-data?format=csv&encoding=cp932")
    utf8 = admin.get("/admin/personal-data?format=csv")
    assert sjis.status_code == utf8.status_code == 200
    assert "personal-data-register_sjis.csv" in sjis.headers["Content-Disposition"]
    assert utf8.get_data().startswith(b"\xef\xbb\xbf")
    assert sjis.get_data().decode("cp932") == utf8.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(sjis.get_data().decode("cp932"))))
    assert rows[0] == ["表", "列", "内容", "要配慮個人情報"] and ["people", "birth_date", "生年月日", ""] in rows


def test_every_csv_export_link_has_a_shift_jis_twin(runner, login_as):
    load_plan(runner)
    manager = login_as("manager")
    dashboard = manager.get("/plans/?fy=2026").get_data(as_text=True)
    assert 'href="/reports/rollup.csv?fy=2026&amp;encoding=cp932"' in dashboard
    reports = manager.get("/reports/").get_data(as_text=True)
    assert 'name="encoding" value="cp932"' in reports and "CSV（Shift_JIS）" in reports
    register = login_as("admin").get("/admin/personal-data").get_data(as_text=True)
    assert 'href="/admin/personal-data?format=csv&amp;encoding=cp932"' in register


def test_characters_are_described_so_staff_can_find_them():
    from casework import jp

    assert jp.describe_char("𠮷") == "「𠮷」(U+20BB7)"
    assert jp.describe_char("\u200b") == "（見えない文字 ZERO WIDTH SPACE）(U+200B)"
    assert jp.describe_char("\ue758") == "（外字）(U+E758)"
    assert [c for c in "髙﨑〜−—①№𠮷😀–¥" if not jp.in_cp932(c)] == ["𠮷", "😀", "–", "¥"]
    assert jp.not_in_cp932("𠮷田𠮷😀") == ["𠮷", "😀"]

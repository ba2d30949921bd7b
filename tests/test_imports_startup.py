"""The import framework, exercised through the `startup` kind: the CLI and the upload page."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.people.models import Person
from casework.startups.models import StartupCase

HEADER = ("ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,phone,"
          "first_consulted_on,certificate_issued_on,founded_on,status,note")
HANAKO = "S-001,田中,花子,たなか,はなこ,1990-04-01,0164-42-1234,2026-04-01,,,,パン屋"
ICHIRO = "S-002,佐藤,一郎,サトウ,イチロウ,1985-01-15,,R8.5.1,,,支援中,"


def _write(tmp_path, text: str, encoding: str = "utf-8", name: str = "startup.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _run(runner, path):
    return runner.invoke(args=["import", "startup", str(path)])


def _cases(app):
    with app.app_context():
        return {c.ref: (c.person_id, c.first_consulted_on, c.status, c.certificate_issued_on, c.founded_on, c.note)
                for c in db.session.scalars(sa.select(StartupCase))}


def _count(app, model):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_import_reads_utf8_with_and_without_bom_and_cp932(app, runner, tmp_path, encoding):
    path = _write(tmp_path, "\r\n".join([HEADER, HANAKO, ICHIRO]) + "\r\n", encoding)
    result = _run(runner, path)
    assert result.exit_code == 0, result.output
    assert "創業相談: 2行: 新規 2件、更新 0件、変更なし 0件を取り込みました。" in result.output
    cases = _cases(app)
    assert cases["S-001"][1:] == (date(2026, 4, 1), "consulting", None, None, "パン屋")
    assert cases["S-002"][1:3] == (date(2026, 5, 1), "supporting")
    with app.app_context():
        hanako = db.session.scalars(sa.select(Person).where(Person.family_name == "田中")).one()
        assert (hanako.given_name, hanako.family_name_kana, hanako.phone) == ("花子", "たなか", "0164-42-1234")


@pytest.mark.parametrize(("cell", "expected"), [
    ("R8.4.1", date(2026, 4, 1)),
    ("令和8年4月1日", date(2026, 4, 1)),
    ("令和元年5月1日", date(2019, 5, 1)),
    ("平成31年4月30日", date(2019, 4, 30)),
    ("2026/4/1", date(2026, 4, 1)),
    ("２０２６－０４－０１", date(2026, 4, 1)),
])
def test_import_reads_japanese_dates(app, runner, tmp_path, cell, expected):
    path = _write(tmp_path, f"ref,family_name,given_name,family_name_kana,given_name_kana,first_consulted_on\n"
                            f"S-1,田中,花子,たなか,はなこ,{cell}\n")
    result = _run(runner, path)
    assert result.exit_code == 0, result.output
    assert _cases(app)["S-1"][1] == expected


def test_an_impossible_era_date_is_an_error(app, runner, tmp_path):
    # 令和 began on 2019-05-01: 令和1年4月30日 does not exist (it was 平成31年).
    path = _write(tmp_path, "ref,family_name,given_name,family_name_kana,given_name_kana,first_consulted_on\n"
                            "S-1,田中,花子,たなか,はなこ,令和1年4月30日\n", "cp932")
    result = _run(runner, path)
    assert result.exit_code != 0
    assert "line 2: first_consulted_on: 「令和1年4月30日」は令和の始まり（2019年5月1日）より前の日付です" in result.output
    assert _count(app, StartupCase) == 0


def test_width_and_script_folding_match_one_person_across_rows(app, runner, tmp_path):
    path = _write(tmp_path, "\n".join([
        "ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,first_consulted_on",
        "S-1,田中,花子,ﾀﾅｶ,ﾊﾅｺ,1990-04-01,R8.4.1",
        "S-2,田中,花子,たなか,はなこ,H2.4.1,R8.6.1",
        "S-3,田中,花子,タナカ,ハナコ,1991-04-01,R8.6.1",  # another birth date: another person
    ]) + "\n")
    result = _run(runner, path)
    assert result.exit_code == 0, result.output
    cases = _cases(app)
    assert cases["S-1"][0] == cases["S-2"][0] != cases["S-3"][0]
    assert _count(app, Person) == 2
    # Matched also against people already known from an earlier file.
    later = _write(tmp_path, "ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,first_consulted_on\n"
                             "S-9,田中,花子,タナカ\u3000,ﾊ ﾅ ｺ,平成2年4月1日,R8.9.1\n", name="later.csv")
    assert _run(runner, later).exit_code == 0
    assert _cases(app)["S-9"][0] == cases["S-1"][0]
    assert _count(app, Person) == 2


def test_unknown_and_missing_columns_are_reported(app, runner, tmp_path):
    path = _write(tmp_path, "ref,family_name,given_name,family_name_kana,first_consulted_on,shoe_size\n"
                            "S-1,田中,花子,たなか,R8.4.1,24\n")
    result = _run(runner, path)
    assert result.exit_code != 0
    assert "line 1: shoe_size: 不明な列です" in result.output
    assert "line 1: given_name_kana: 必須の列がありません" in result.output
    assert _count(app, StartupCase) == 0


def test_a_bad_file_writes_nothing_and_reports_every_bad_row(app, runner, tmp_path):
    path = _write(tmp_path, "\n".join([
        HEADER,
        HANAKO,
        "S-002,佐藤,一郎,佐藤,いちろう,1985-01-15,,R8.5.1,,,,",
        "S-003,鈴木,次郎,すずき,じろう,,,,,,,",
        "S-004,高橋,三郎,たかはし,さぶろう,,,R8.5.1,,,閉店,",
        "S-001,伊藤,四郎,いとう,しろう,,,2026-13-01,,,,",
        "S-006,渡辺,五郎,わたなべ,ごろう,,,R8.5.1,R8.4.1,,,",
    ]) + "\n")
    result = _run(runner, path)
    assert result.exit_code != 0
    lines = result.output
    assert "line 3: family_name_kana: ふりがなはひらがなかカタカナで入力してください" in lines
    assert "line 4: first_consulted_on: 必須の項目が空です" in lines
    assert "line 5: status: 「閉店」は使えません" in lines
    assert "line 6: first_consulted_on: 「2026-13-01」は存在しない日付です" in lines
    assert "line 6: ref: ref「S-001」は2行目と重複しています" in lines
    assert "何も書き込みませんでした" in lines
    assert _count(app, StartupCase) == 0 and _count(app, Person) == 0
    # A row that only fails when loaded (certificate before the first consultation) also stops everything.
    path = _write(tmp_path, "\n".join([HEADER, HANAKO, "S-006,渡辺,五郎,わたなべ,ごろう,,,R8.5.1,R8.4.1,,,"]))
    result = _run(runner, path)
    assert result.exit_code != 0
    assert "line 3: certificate_issued_on: 証明書の発行日が初回相談日より前です" in result.output
    assert _count(app, StartupCase) == 0 and _count(app, Person) == 0


def test_reimport_is_idempotent_and_updates_by_ref(app, runner, tmp_path):
    path = _write(tmp_path, "\n".join([HEADER, HANAKO, ICHIRO]) + "\n")
    assert _run(runner, path).exit_code == 0
    before = _cases(app)
    result = _run(runner, path)
    assert result.exit_code == 0
    assert "2行: 新規 0件、更新 0件、変更なし 2件" in result.output
    assert _cases(app) == before and _count(app, Person) == 2
    # The same person typed in another width, and a status: one row changes.
    changed = _write(tmp_path, "\n".join([
        HEADER,
        "S-001,田中,花子,ﾀﾅｶ,ﾊﾅｺ,1990-04-01,0164421234,2026-04-01,R8.6.1,R8.7.1,創業済,パン屋",
        ICHIRO.replace("支援中", "cancelled"),
    ]) + "\n", name="changed.csv")
    result = _run(runner, changed)
    assert result.exit_code == 0, result.output
    assert "新規 0件、更新 2件、変更なし 0件" in result.output
    cases = _cases(app)
    assert cases["S-001"][2:5] == ("founded", date(2026, 6, 1), date(2026, 7, 1))
    assert cases["S-002"][2] == "cancelled"
    with app.app_context():
        hanako = db.session.get(Person, cases["S-001"][0])
        assert (hanako.family_name_kana, hanako.phone) == ("たなか", "0164-42-1234")  # spelling kept
    assert "変更なし 2件" in _run(runner, changed).output


@pytest.mark.parametrize("spelling", ["cancelled", "取消", "取消 "])
def test_status_cancelled_is_accepted_and_never_counted(app, runner, tmp_path, spelling):
    path = _write(tmp_path, f"ref,family_name,given_name,family_name_kana,given_name_kana,first_consulted_on,status\n"
                            f"S-1,田中,花子,たなか,はなこ,R8.4.1,{spelling}\n")
    assert _run(runner, path).exit_code == 0
    assert _cases(app)["S-1"][2] == "cancelled"
    from casework.plans.sources import get_source

    with app.app_context():
        assert db.session.execute(get_source("startup_cases").rows()).all() == []


def test_dry_run_checks_without_writing(app, runner, tmp_path):
    path = _write(tmp_path, "\n".join([HEADER, HANAKO]) + "\n")
    result = runner.invoke(args=["import", "startup", str(path), "--dry-run"])
    assert result.exit_code == 0 and "書き込みはしていません" in result.output
    assert _count(app, StartupCase) == 0


def _upload(client, text: str, encoding="utf-8"):
    return client.post("/imports/startup", data={"file": (io.BytesIO(text.encode(encoding)), "相談.csv")},
                       content_type="multipart/form-data")


def test_upload_page_previews_then_imports_on_confirm(app, login_as):
    counter = login_as("counter")
    index = counter.get("/imports/").get_data(as_text=True)
    assert "創業相談" in index and "first_consulted_on*" in index
    form = counter.get("/imports/startup").get_data(as_text=True)
    assert "certificate_issued_on" in form and "内容を確認する" in form
    response = _upload(counter, "\n".join([HEADER, HANAKO, ICHIRO]) + "\n", "cp932")
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = counter.get(preview_url).get_data(as_text=True)
    assert "2行: 新規 2件、更新 0件、変更なし 0件" in page and "田中 花子（新しい対象者）" in page
    assert _count(app, StartupCase) == 0  # a preview writes nothing
    page = counter.post(preview_url, follow_redirects=True).get_data(as_text=True)
    assert "創業相談: 2行: 新規 2件、更新 0件、変更なし 0件を取り込みました。" in page
    assert set(_cases(app)) == {"S-001", "S-002"}
    # The same file again: the preview says nothing will change.
    page = counter.get(_upload(counter, "\n".join([HEADER, HANAKO, ICHIRO])).headers["Location"]).get_data(as_text=True)
    assert "新規 0件、更新 0件、変更なし 2件" in page


def test_upload_page_shows_errors_and_offers_no_confirm(app, login_as):
    counter = login_as("counter")
    response = _upload(counter, "\n".join([HEADER, "S-1,田中,花子,たなか,はなこ,,,令和1年4月30日,,,,"]))
    page = counter.get(response.headers["Location"]).get_data(as_text=True)
    assert "1件の誤りがあります。何も書き込んでいません。" in page
    assert "line 2: first_consulted_on:" in page
    assert not re.search(r'<input[^>]*value="取り込む"', page)
    assert _count(app, StartupCase) == 0


def test_startup_import_is_only_for_those_who_write_startups(app, login_as):
    coordinator = login_as("coordinator")  # may import (their own kinds), not this one
    assert coordinator.get("/imports/startup").status_code == 403
    assert "創業相談" not in coordinator.get("/imports/").get_data(as_text=True)

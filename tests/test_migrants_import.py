"""`flask --app wsgi import migration FILE`: columns per interfaces.md, all or nothing,
`line N: column: reason`, idempotent by ref, people matched by folded kana + birth date."""

from datetime import date

import sqlalchemy as sa

from casework.extensions import db
from casework.migrants.models import HouseholdMember, MigrationCase
from casework.people.models import Person
from casework.plans.sources import get_source

HEADER = ("ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,household_size,"
          "origin_prefecture,origin_municipality,moved_in_on,status,note")
GOOD = "\n".join([
    HEADER,
    "M-001,山田,太郎,やまだ,たろう,1980-04-01,3,東京都,世田谷区,R8.5.1,,UIJターン",
    "M-002,山田,太郎,ﾔﾏﾀﾞ,ﾀﾛｳ,1980/4/1,1,東京都,世田谷区,,considering,同じ人の2件目",
    "M-003,佐藤,花子,サトウ,ハナコ,令和元年5月1日,2,大阪府,堺市,2026-06-01,取消,誤登録",
    "M-004,鈴木,一郎,すずき,いちろう,,4,,,2027-04-01,moved_in,",
]) + "\n"


def _run(runner, tmp_path, text, encoding="utf-8-sig", name="migration.csv"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return runner.invoke(args=["import", "migration", str(path)])


def _counts(app):
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(MigrationCase)),
                db.session.scalar(sa.select(sa.func.count()).select_from(Person)))


def test_import_creates_cases_and_matches_people(app, runner, tmp_path):
    result = _run(runner, tmp_path, GOOD)
    assert result.exit_code == 0, result.output
    assert "新規 4件" in result.output
    assert _counts(app) == (4, 3)  # M-001 and M-002 are the same person (folded kana + birth date)
    with app.app_context():
        cases = {c.ref: c for c in db.session.scalars(sa.select(MigrationCase))}
        assert cases["M-001"].person_id == cases["M-002"].person_id
        assert (cases["M-001"].status, cases["M-001"].moved_in_on, cases["M-001"].household_size) == (
            "moved_in", date(2026, 5, 1), 3)
        assert cases["M-002"].status == "considering" and cases["M-002"].note == "同じ人の2件目"
        assert cases["M-003"].status == "cancelled"
        assert cases["M-004"].origin_prefecture == "" and cases["M-004"].person.birth_date is None
        # The indicator: persons moved in, cancelled left out.
        rows = get_source("migration_cases").rows().subquery()
        weight = db.session.scalar(sa.select(sa.func.sum(rows.c.weight)).where(rows.c.event_date.is_not(None)))
        assert weight == 3 + 4


def test_second_import_changes_nothing_and_a_changed_row_updates(app, runner, tmp_path):
    assert _run(runner, tmp_path, GOOD).exit_code == 0
    again = _run(runner, tmp_path, GOOD)
    assert again.exit_code == 0, again.output
    assert "新規 0件、更新 0件、変更なし 4件" in again.output
    assert _counts(app) == (4, 3)
    changed = GOOD.replace("M-001,山田,太郎,やまだ,たろう,1980-04-01,3,", "M-001,山田,太郎,やまだ,たろう,1980-04-01,5,")
    result = _run(runner, tmp_path, changed)
    assert "新規 0件、更新 1件、変更なし 3件" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(MigrationCase.household_size).where(MigrationCase.ref == "M-001")) == 5
    assert _counts(app) == (4, 3)


def test_bad_rows_are_listed_and_nothing_is_written(app, runner, tmp_path):
    bad = "\n".join([
        HEADER,
        "M-001,山田,太郎,やまだ,たろう,1980-04-01,0,東京都,世田谷区,,,",
        "M-002,佐藤,花子,サトウ,Hanako,1990-01-01,2,,,R8.13.1,,",
        "M-003,鈴木,一郎,すずき,いちろう,,,,,,転居,",
        "M-004,田中,次郎,たなか,じろう,,1,,,,,",
        "M-004,田中,三郎,たなか,さぶろう,,1,,,,,",
    ]) + "\n"
    result = _run(runner, tmp_path, bad)
    assert result.exit_code != 0
    for line in ("line 2: household_size: 1以上の整数にしてください",
                 "line 3: given_name_kana: ふりがなはひらがなかカタカナで入力してください",
                 "line 3: moved_in_on: ",
                 "line 4: household_size: 必須の項目が空です",
                 "line 4: status: 「転居」は使えません",
                 "line 6: ref: ref「M-004」は5行目と重複しています"):
        assert line in result.output, result.output
    assert "何も書き込みませんでした" in result.output
    assert _counts(app) == (0, 0)


def test_header_must_match_the_interface(app, runner, tmp_path):
    result = _run(runner, tmp_path, "ref,family_name,given_name,family_name_kana,household_size,city\nM-1,a,b,あ,1,x\n")
    assert result.exit_code != 0
    assert "line 1: city: 不明な列です" in result.output
    assert "line 1: given_name_kana: 必須の列がありません" in result.output
    assert _counts(app) == (0, 0)


def test_cp932_file_and_columns_in_any_order(app, runner, tmp_path):
    text = "household_size,given_name_kana,family_name_kana,given_name,family_name,ref\n2,はなこ,さとう,花子,佐藤,M-9\n"
    result = _run(runner, tmp_path, text, encoding="cp932")
    assert result.exit_code == 0, result.output
    with app.app_context():
        case = db.session.scalars(sa.select(MigrationCase)).one()
        assert (case.person.family_name, case.household_size, case.status) == ("佐藤", 2, "consulting")


def test_import_refuses_a_size_below_the_recorded_members(app, runner, tmp_path):
    assert _run(runner, tmp_path, GOOD).exit_code == 0
    with app.app_context():
        case = db.session.scalar(sa.select(MigrationCase).where(MigrationCase.ref == "M-001"))
        for name in ("花子", "一郎", "次郎"):
            case.members.append(HouseholdMember(given_name=name, relationship="家族"))
        case.household_size = 4
        db.session.commit()
    result = _run(runner, tmp_path, GOOD)
    assert result.exit_code != 0
    assert "line 2: household_size: この案件には世帯員が3人記録されているため、4以上にしてください" in result.output
    with app.app_context():
        assert db.session.scalar(sa.select(MigrationCase.household_size).where(MigrationCase.ref == "M-001")) == 4


def test_upload_page_previews_then_imports(app, login_as):
    import io

    counter = login_as("counter")
    page = counter.get("/imports/").get_data(as_text=True)
    assert "移住受入支援" in page and "household_size*" in page
    response = counter.post("/imports/migration", data={
        "file": (io.BytesIO(GOOD.encode("utf-8-sig")), "migration.csv")}, content_type="multipart/form-data")
    assert response.status_code == 302
    preview = counter.get(response.headers["Location"]).get_data(as_text=True)
    assert "M-001" in preview and _counts(app) == (0, 0)
    done = counter.post(response.headers["Location"], data={}, follow_redirects=True).get_data(as_text=True)
    assert "新規 4件" in done
    assert _counts(app) == (4, 3)
    # Coordinators import students, not migration cases.
    assert login_as("coordinator").get("/imports/migration").status_code == 403

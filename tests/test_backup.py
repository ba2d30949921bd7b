"""`flask --app wsgi data export` / `data import`: a backup restores into an empty database of
the other kind with every row identical (SQLite → PostgreSQL in the SQLite run, and back)."""

import json
import os
import zipfile
from datetime import date

import flask_migrate
import pytest
import sqlalchemy as sa

from casework import create_app
from casework.admin.backup import _encode
from casework.extensions import db
from casework.people.models import Person
from casework.people.services import PersonFields, create_person, merge
from tests.conftest import TMP, _drop_postgres_database, _fresh_postgres_database

PG_SERVER = os.environ.get("TEST_DATABASE_URL", "").strip() or "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def other_kind_database(app):
    """An empty database of the other kind than the one the suite runs on."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        url, name = _fresh_postgres_database(PG_SERVER)
        yield url
        _drop_postgres_database(PG_SERVER, name)
    else:
        path = TMP / "restore-target.db"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"


def _snapshot(app) -> dict[str, list[dict]]:
    with app.app_context(), db.engine.connect() as conn:
        return {
            table.name: [
                {k: _encode(v) for k, v in row.items()}
                for row in conn.execute(sa.select(table).order_by(*table.primary_key.columns)).mappings()
            ]
            for table in db.metadata.sorted_tables
        }


def _some_records(app, make_user):
    make_user("admin", username="kanri")
    with app.app_context():
        a = create_person(PersonFields("髙橋", "𠮷子", "たかはし", "よしこ", date(1990, 4, 1), phone="0164-42-1234"))
        b = create_person(PersonFields("高橋", "吉子", "タカハシ", "ヨシコ", date(1990, 4, 1)))
        db.session.flush()
        merge(b, a)  # a row pointing at a later row of its own table
        db.session.commit()


def test_round_trip_to_the_other_database_kind(app, runner, make_user, other_kind_database, tmp_path):
    _some_records(app, make_user)
    archive = tmp_path / "backup.zip"
    result = runner.invoke(args=["data", "export", str(archive)])
    assert result.exit_code == 0, result.output
    assert "個人情報" in result.output
    before = _snapshot(app)

    target = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": other_kind_database})
    with target.app_context():
        flask_migrate.upgrade(revision="heads")
    result = target.test_cli_runner().invoke(args=["data", "import", str(archive)])
    assert result.exit_code == 0, result.output
    after = _snapshot(target)
    assert after == before
    with target.app_context():
        names = db.session.scalars(sa.select(Person.family_name).order_by(Person.id)).all()
        assert names == ["髙橋", "高橋"]
        # New rows after a restore get fresh ids (sequences were moved past the restored ones).
        fresh = create_person(PersonFields("新規", "", "しんき", ""))
        db.session.commit()
        assert fresh.id == 3
        db.engine.dispose()


def test_import_refuses_a_database_that_is_not_empty(app, runner, make_user, tmp_path):
    _some_records(app, make_user)
    archive = tmp_path / "backup.zip"
    runner.invoke(args=["data", "export", str(archive)])
    result = runner.invoke(args=["data", "import", str(archive)])
    assert result.exit_code != 0
    assert "空ではありません" in result.output


def test_import_refuses_a_file_that_is_not_a_backup(runner, tmp_path):
    bogus = tmp_path / "bogus.zip"
    with zipfile.ZipFile(bogus, "w") as archive:
        archive.writestr("hello.txt", "hi")
    result = runner.invoke(args=["data", "import", str(bogus)])
    assert result.exit_code != 0 and "バックアップファイルではありません" in result.output


def test_the_export_is_audited_and_says_what_it_holds(app, runner, tmp_path):
    archive = tmp_path / "backup.zip"
    runner.invoke(args=["data", "export", str(archive)])
    with zipfile.ZipFile(archive) as z:
        manifest = json.loads(z.read("manifest.json"))
        audit_rows = [json.loads(line) for line in z.read("tables/audit_log.jsonl").decode().splitlines()]
    assert "個人情報" in manifest["warning"]
    assert any(r["action"] == "export" and r["entity"] == "backup" for r in audit_rows)


STARTUPS = """ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,first_consulted_on,status
S-1,田中,花子,タナカ,ハナコ,1990-04-01,R8.4.1,
S-2,ﾀﾅｶ,ﾊﾅｺ,ﾀﾅｶ,ﾊﾅｺ,1990-04-01,2026-05-10,
S-3,佐藤,一郎,サトウ,イチロウ,1985-01-02,2027-03-31,
S-4,鈴木,次郎,スズキ,ジロウ,1970-07-07,2026-06-01,cancelled
"""
PARTNERSHIPS = """ref,organization,organization_prefecture,organization_municipality,kind,agreed_on
P-1,株式会社北海食品,東京都,千代田区,連携協定,2019-06-01
P-2,㈱北海食品,東京都,千代田区,商品開発,2026-08-01
"""


def test_rollups_are_byte_identical_after_moving_to_the_other_kind(
        app, runner, other_kind_database, tmp_path):
    assert runner.invoke(args=["plan", "load"]).exit_code == 0
    for kind, text in (("startup", STARTUPS), ("partnerships", PARTNERSHIPS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(args=["import", kind, str(path)])
        assert result.exit_code == 0, result.output
    archive = tmp_path / "backup.zip"
    assert runner.invoke(args=["data", "export", str(archive)]).exit_code == 0

    target = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": other_kind_database})
    with target.app_context():
        flask_migrate.upgrade(revision="heads")
    target_runner = target.test_cli_runner()
    assert target_runner.invoke(args=["data", "import", str(archive)]).exit_code == 0
    for fy in range(2019, 2028):
        for fmt in ("csv", "json"):
            before = runner.invoke(args=["rollup", "--fy", str(fy), "--format", fmt])
            after = target_runner.invoke(args=["rollup", "--fy", str(fy), "--format", fmt])
            assert before.exit_code == after.exit_code == 0
            assert after.stdout_bytes == before.stdout_bytes, (fy, fmt)
    first = runner.invoke(args=["rollup", "--fy", "2026"]).output.splitlines()
    assert "1-01-01-1,2026,2027-03,2,2" in first  # 田中 counted once, 佐藤 on 3/31, 鈴木 cancelled
    with target.app_context():
        db.engine.dispose()

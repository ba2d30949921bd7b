"""The batched loader (casework.imports.batch) through the `startup` kind: a file of a few
thousand rows, so that it spans more than one chunk, imported with the CLI as staff would."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.extensions import db
from casework.people.models import Person
from casework.startups.importer import StartupImport
from casework.startups.models import StartupCase
from tests.test_plans_fixtures import load_plan

HEADER = ("ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,phone,"
          "first_consulted_on,certificate_issued_on,founded_on,status,note")
ROWS = 3000
SAME_PERSON = (10, 20, 2600)  # row 10 and 20 share the first chunk, row 2600 is in the next one
PHONE_ADDED_AT = 2600


def _row(n: int) -> str:
    """Row n (1-based): one person per row, except SAME_PERSON, which name row 10's person in
    other spellings (half-width katakana, spaces); row 2600 also gives a phone number."""
    if n in SAME_PERSON:
        kana = {10: ("やまだ", "はなこ"), 20: ("ヤマダ", "ハナコ"), 2600: ("ﾔﾏﾀﾞ", "ﾊ ﾅ ｺ")}[n]
        phone = "0164-42-1234" if n == PHONE_ADDED_AT else ""
        return f"T{n:05d},山田,花子,{kana[0]},{kana[1]},1990-04-01,{phone},2025-05-01,,,,"
    birth = date(1950, 1, 1) + timedelta(days=n)
    return f"T{n:05d},佐藤,太郎,さとう,たろう,{birth.isoformat()},,2025-05-01,,,,"


def _file(tmp_path, lines: list[str], name: str):
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _import(runner, path, *options):
    return runner.invoke(args=["import", "startup", str(path), *options])


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def _startup_people_shown(manager) -> str:
    """What the plan page shows for 1-01-01-1 (創業支援対象者数) in 令和7年度."""
    html = manager.get("/plans/?fy=2025").get_data(as_text=True)
    row = html.split("1-01-01-1 創業支援対象者数")[1]
    return row.split('<td class="num big">')[1].split("</a>")[0].split(">")[-1].strip()


def test_the_file_spans_chunks():
    assert 20 < StartupImport.chunk_size < PHONE_ADDED_AT < ROWS


def test_a_large_file_is_imported_whole_with_people_matched_across_chunks(app, runner, tmp_path, login_as):
    load_plan(runner)
    manager = login_as("manager")
    assert _startup_people_shown(manager) == "0"  # the rollup is now cached
    with app.app_context():  # loading the plan and logging in were logged
        logged_before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id)))
    path = _file(tmp_path, [_row(n) for n in range(1, ROWS + 1)], "large.csv")

    preview = _import(runner, path, "--dry-run")
    assert preview.exit_code == 0, preview.output
    assert _count(app, StartupCase) == 0 and _count(app, Person) == 0
    assert _count(app, AuditEntry, AuditEntry.id > logged_before) == 0

    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert f"{ROWS}行: 新規 {ROWS}件、更新 0件、変更なし 0件を取り込みました" in result.output
    assert _count(app, StartupCase) == ROWS
    assert _count(app, Person) == ROWS - 2  # rows 20 and 2600 name row 10's person
    with app.app_context():
        cases = {c.ref: c for c in db.session.scalars(sa.select(StartupCase))}
        hanako = db.session.get(Person, cases["T00010"].person_id)
        assert {cases[f"T{n:05d}"].person_id for n in SAME_PERSON} == {hanako.id}
        # The spelling first stored stays; the phone given later is added.
        assert (hanako.family_name_kana, hanako.given_name_kana, hanako.phone) == ("やまだ", "はなこ", "0164-42-1234")
        assert hanako.kana_key == "やまだはなこ" and hanako.phone_key == "0164421234" and hanako.version == 2

        entries = db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.id > logged_before).order_by(AuditEntry.id)).all()
        created = {(e.entity, e.entity_id): e for e in entries if e.action == "create"}
        assert len(created) == 2 * ROWS - 2
        for case in cases.values():
            entry = created[("startup_cases", str(case.id))]
            assert entry.person_id == case.person_id and entry.username == "cli"
            assert entry.after["ref"] == case.ref and entry.after["person_id"] == case.person_id
            assert entry.after["status"] == "consulting" and entry.after["version"] == 1
        person_entry = created[("people", str(hanako.id))]
        assert person_entry.person_id == hanako.id
        assert (person_entry.after["kana_key"], person_entry.after["phone"]) == ("やまだはなこ", "")
        (update,) = [e for e in entries if e.action == "update"]
        assert (update.entity, update.entity_id, update.person_id) == ("people", str(hanako.id), hanako.id)
        assert (update.before["phone"], update.after["phone"]) == ("", "0164-42-1234")
        assert update.after["phone_key"] == "0164421234"
        assert all(name.startswith("phone") for name in update.after)  # the phone and its search keys only
        (event,) = [e for e in entries if e.action == "import"]
        assert f"large.csv: {ROWS}行: 新規 {ROWS}件" in event.detail
    # The cached rollup was invalidated by the import: the page counts the new people.
    assert _startup_people_shown(manager) == f"{ROWS - 2:,}"


def test_a_bad_row_in_the_last_chunk_writes_nothing(app, runner, tmp_path):
    lines = [_row(n) for n in range(1, ROWS + 1)]
    # Found only while loading (the certificate predates the first consultation), after the
    # first chunk was already written inside the transaction.
    lines[2950 - 1] = "T02950,鈴木,次郎,すずき,じろう,1980-01-01,,2025-05-01,2025-04-01,,,"
    result = _import(runner, _file(tmp_path, lines, "bad.csv"))
    assert result.exit_code != 0
    assert "line 2951: certificate_issued_on: 証明書の発行日が初回相談日より前です" in result.output
    assert "1件のエラーがあるため、何も書き込みませんでした。" in result.output
    assert _count(app, StartupCase) == 0 and _count(app, Person) == 0 and _count(app, AuditEntry) == 0


def test_importing_the_same_file_again_changes_nothing(app, runner, tmp_path):
    path = _file(tmp_path, [_row(n) for n in range(1, ROWS + 1)], "again.csv")
    assert _import(runner, path).exit_code == 0
    entries_before = _count(app, AuditEntry)
    with app.app_context():
        versions = dict(db.session.execute(sa.select(Person.id, Person.version)).all())
    result = _import(runner, path)
    assert result.exit_code == 0, result.output
    assert f"{ROWS}行: 新規 0件、更新 0件、変更なし {ROWS}件を取り込みました" in result.output
    assert _count(app, StartupCase) == ROWS and _count(app, Person) == ROWS - 2
    # Only the import itself is logged; no record got a new version.
    assert _count(app, AuditEntry) == entries_before + 1
    assert _count(app, AuditEntry, AuditEntry.action == "import") == 2
    with app.app_context():
        assert dict(db.session.execute(sa.select(Person.id, Person.version)).all()) == versions


def test_a_record_changed_while_importing_is_not_overwritten(app, runner, tmp_path, monkeypatch):
    assert _import(runner, _file(tmp_path, [_row(n) for n in (1, 10)], "first.csv")).exit_code == 0
    entries_before = _count(app, AuditEntry)
    prepare = StartupImport.prepare_chunk

    def someone_edits_meanwhile(self, chunk):
        prepare(self, chunk)  # the people are read here, then edited on a screen (a new version)
        db.session.execute(sa.update(Person).values(version=Person.version + 1))

    monkeypatch.setattr(StartupImport, "prepare_chunk", someone_edits_meanwhile)
    result = _import(runner, _file(tmp_path, [_row(1), _row(PHONE_ADDED_AT)], "second.csv"))
    assert result.exit_code != 0
    assert "line 2: -: 2〜3行目の記録が取込中に画面などで変更されたため、保存できませんでした。" in result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Person.phone)).all() == ["", ""]
    assert _count(app, AuditEntry) == entries_before and _count(app, StartupCase) == 2


def test_a_chunk_the_database_refuses_writes_nothing(app, runner, tmp_path, monkeypatch):
    """A chunk's rows go to the database in bulk (COPY on PostgreSQL): a row it refuses (here a
    ref that someone else stored meanwhile) stops the import with the chunk's lines named."""
    assert _import(runner, _file(tmp_path, [_row(1)], "first.csv")).exit_code == 0
    entries_before = _count(app, AuditEntry)
    prepare = StartupImport.prepare_chunk

    def someone_adds_the_same_ref_meanwhile(self, chunk):
        prepare(self, chunk)  # T00003 is not there yet when the chunk's cases are read
        person_id = db.session.scalar(sa.select(Person.id))
        db.session.execute(sa.insert(StartupCase).values(ref="T00003", person_id=person_id))

    monkeypatch.setattr(StartupImport, "prepare_chunk", someone_adds_the_same_ref_meanwhile)
    result = _import(runner, _file(tmp_path, [_row(2), _row(3)], "second.csv"))
    assert result.exit_code != 0
    assert "line 2: -: 2〜3行目を保存できませんでした（IntegrityError）" in result.output
    assert _count(app, StartupCase) == 1 and _count(app, Person) == 1
    assert _count(app, AuditEntry) == entries_before


def test_no_statement_waits_behind_rows_being_written(app):
    """On PostgreSQL the rows are streamed by COPY, which holds the connection until it ends: a
    statement sent meanwhile (a lazy load between batches) is refused at once instead of
    waiting forever. On SQLite each batch is written when given, so a statement simply runs."""
    from casework.audit.trail import audit_entry
    from casework.imports.batch import RowWriter

    with app.app_context():
        entry = audit_entry("import", entity="startup", detail="test")

        def write_and_ask():
            with RowWriter(AuditEntry.__table__, entry) as writer:
                writer.write([entry])
                return db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))

        if db.session.get_bind().dialect.name == "postgresql":
            with pytest.raises(RuntimeError, match="while rows were being copied into audit_log"):
                write_and_ask()
            db.session.rollback()
            assert _count(app, AuditEntry) == 0
        else:
            assert write_and_ask() == 1
            db.session.rollback()

"""The personal-data retention job: `flask --app wsgi data anonymize [--years N] [--dry-run]`.

People whose every record ended more than N years ago lose their personal data everywhere (the
records, the audit log, the backup), every rollup stays byte-identical, the audit log still says
who saw them, and the database still refuses any other change to the log."""

import json
import re
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from casework import jp
from casework.admin import retention
from casework.audit.models import AuditEntry
from casework.audit.trail import acting_as
from casework.extensions import db
from casework.migrants.models import Contact, FollowUp, HouseholdMember, MigrationCase, SupportItem
from casework.partnerships.models import Organization, OrganizationContact, Partnership
from casework.people.models import Person
from casework.people.services import PersonFields, create_person, merge
from casework.plans.models import RollupCache
from casework.startups.models import Consultation, StartupCase
from casework.students.models import (
    HostFamily,
    HostFamilyStep,
    Placement,
    Student,
    StudentContact,
    UnavailablePeriod,
)

LONG_AGO = datetime(2016, 1, 10, 3, 0, tzinfo=UTC)
TODAY = jp.today()
RECENT = TODAY - timedelta(days=120)

# Personal values of the people who are old enough: none may survive anywhere.
GONE = ("古川", "眠子", "ふるかわ", "ねむこ", "0164112233", "nemuko@example.jp", "旧町一丁目",
        "旧相談メモ甲", "借入の相談乙", "旧パン屋構想", "CERT-OLD-1",
        "移住旧野", "旧配偶者名", "旧連絡丙", "旧定住丁", "旧支援戊", "旧移住メモ",
        "学生旧名", "旧保護者名", "0164-99-8877", "喘息旧", "旧そば", "旧留萌高校", "旧配置メモ", "旧終了理由",
        "受入旧家", "旧世帯構成", "旧入院理由", "旧面談メモ",
        "統合旧名", "古記録", "担当旧者", "03-1111-2222", "旧営業部")
# Records from 2022-23: counted by the cumulative indicators (from 2022-04-01), kept for five
# years, gone when the job runs with --years 3.
WINDOW = ("三年前移住", "三年前連絡", "三年前学生", "三年前家")
# Personal values of people who are not: all of them stay.
KEPT = ("新井", "相談中の丸山", "最近の森", "新しい統合", "受入現家", "現役学生", "担当現者", "触った林",
        "新規記録")


def _person(family: str, given: str = "", fkana: str = "", gkana: str = "", **more) -> Person:
    return create_person(PersonFields(family, given, fkana or "てすと", gkana, **more))


def _build(app) -> dict[str, int]:
    """People in all four programs over several fiscal years. Returns ids by role."""
    ids = {}
    with app.app_context(), acting_as("tester"):
        # --- 創業支援 -------------------------------------------------------------------------
        old = _person("古川", "眠", "ふるかわ", "ねむこ", birth_date=date(1980, 5, 6),
                      phone="0164-11-2233", email="nemuko@example.jp", postal_code="077-0001",
                      address="留萌市旧町一丁目", note="旧相談メモ甲")
        case = StartupCase(person_id=old.id, business_idea="旧パン屋構想", status="founded",
                           first_consulted_on=date(2016, 5, 10), founded_on=date(2017, 3, 1),
                           certificate_number="CERT-OLD-1", certificate_issued_on=date(2016, 12, 1))
        db.session.add(case)
        db.session.flush()
        db.session.add_all([Consultation(case_id=case.id, held_on=date(2016, 5, 10), topics="finance",
                                         notes="借入の相談乙"),
                            Consultation(case_id=case.id, held_on=date(2016, 9, 1), topics="sales")])
        duplicate = _person("統合旧名", "", "とうごう", phone="0164-55-0000")
        db.session.add(StartupCase(person_id=duplicate.id, status="suspended",
                                   first_consulted_on=date(2017, 6, 1)))
        db.session.flush()
        merge(old, duplicate)
        ids["old"], ids["merged_old"] = old.id, duplicate.id

        open_case = _person("相談中の丸山", "", "まるやま")
        db.session.add(StartupCase(person_id=open_case.id, status="consulting",
                                   first_consulted_on=date(2015, 6, 1)))
        mixed = _person("新井", "二郎", "あらい", "じろう")
        db.session.add_all([
            StartupCase(person_id=mixed.id, status="supported", first_consulted_on=date(2015, 8, 1)),
            StartupCase(person_id=mixed.id, status="supported", first_consulted_on=RECENT)])
        touched = _person("触った林", "", "はやし")
        db.session.add(StartupCase(person_id=touched.id, status="founded",
                                   first_consulted_on=date(2016, 4, 4), founded_on=date(2016, 10, 1)))
        keeper = _person("最近の森", "", "もり", birth_date=date(1990, 1, 1))
        db.session.add(StartupCase(person_id=keeper.id, status="founded", first_consulted_on=date(2017, 1, 5),
                                   founded_on=RECENT))
        kept_duplicate = _person("新しい統合", "", "あたらしい")
        db.session.flush()
        merge(keeper, kept_duplicate)
        ids.update(open_case=open_case.id, mixed=mixed.id, touched=touched.id, keeper=keeper.id,
                   kept_duplicate=kept_duplicate.id)

        # --- 移住受入支援 ---------------------------------------------------------------------
        migrant = _person("移住旧野", "", "いじゅう")
        mcase = MigrationCase(person_id=migrant.id, status="settled", inquired_on=date(2015, 10, 1),
                              household_size=3, moved_in_on=date(2016, 4, 10), origin_prefecture="東京都",
                              note="旧移住メモ")
        db.session.add(mcase)
        db.session.flush()
        db.session.add_all([
            HouseholdMember(case_id=mcase.id, family_name="移住旧野", given_name="旧配偶者名",
                            relationship="配偶者", birth_date=date(1985, 2, 3)),
            HouseholdMember(case_id=mcase.id, family_name="移住旧野", given_name="子", relationship="子"),
            SupportItem(case_id=mcase.id, kind="grant", given_on=date(2016, 5, 1), amount=1_000_000,
                        note="旧支援戊"),
            Contact(case_id=mcase.id, contacted_on=date(2016, 3, 1), channel="phone", note="旧連絡丙"),
            FollowUp(case_id=mcase.id, year_mark=1, due_on=date(2017, 4, 10), outcome="staying",
                     checked_on=date(2017, 4, 20), note="旧定住丁"),
            FollowUp(case_id=mcase.id, year_mark=3, due_on=date(2019, 4, 10), outcome="staying",
                     checked_on=date(2019, 4, 12)),
            FollowUp(case_id=mcase.id, year_mark=5, due_on=date(2021, 4, 10), outcome="staying",
                     checked_on=date(2021, 4, 11)),
        ])
        recent_migrant = _person("新規記録", "", "しんき")
        rcase = MigrationCase(person_id=recent_migrant.id, status="moved_in", inquired_on=date(2022, 1, 5),
                              household_size=2, moved_in_on=date(2022, 6, 1))
        db.session.add(rcase)
        db.session.flush()
        db.session.add(FollowUp(case_id=rcase.id, year_mark=5, due_on=date(2027, 6, 1)))
        ids.update(migrant=migrant.id, recent_migrant=recent_migrant.id)

        # --- 越境学生・受入家庭 -----------------------------------------------------------------
        head = _person("受入旧家", "", "うけいれ", phone="0164-77-1111")
        family = HostFamily(person_id=head.id, household_members="旧世帯構成", status="ended",
                            registered_on=date(2015, 3, 1), capacity=2, note="旧世帯構成")
        student_person = _person("学生旧名", "", "がくせい", birth_date=date(2001, 7, 7))
        student = Student(person_id=student_person.id, gender="female", school="旧留萌高校", grade="1年",
                          status="left", allergens="旧そば", medical_notes="喘息旧", needs_no_pets=True)
        db.session.add_all([family, student])
        db.session.flush()
        db.session.add_all([
            HostFamilyStep(host_family_id=family.id, status="interviewed", done_on=date(2015, 2, 1),
                           note="旧面談メモ"),
            UnavailablePeriod(host_family_id=family.id, starts_on=date(2016, 8, 1), ends_on=date(2016, 8, 20),
                              reason="旧入院理由"),
            StudentContact(student_id=student.id, kind="guardian", name="旧保護者名", relation="父",
                           phone="0164-99-8877", address="旧町一丁目"),
            Placement(student_id=student.id, host_family_id=family.id, started_on=date(2016, 4, 1),
                      ended_on=date(2017, 3, 31), end_reason="旧終了理由", note="旧配置メモ"),
            Placement(student_id=student.id, host_family_id=family.id, started_on=date(2017, 4, 1),
                      ended_on=date(2018, 3, 20)),
        ])
        current_head = _person("受入現家", "", "げんけ")
        current_family = HostFamily(person_id=current_head.id, status="registered", registered_on=date(2018, 3, 1))
        current_student_person = _person("現役学生", "", "げんえき")
        current_student = Student(person_id=current_student_person.id, school="留萌高校")
        db.session.add_all([current_family, current_student])
        db.session.flush()
        db.session.add(Placement(student_id=current_student.id, host_family_id=current_family.id,
                                 started_on=date(2019, 4, 1)))
        ids.update(head=head.id, student=student_person.id, current_head=current_head.id,
                   current_student=current_student_person.id)

        # --- 域外企業との連携 ------------------------------------------------------------------
        ended_org = Organization(name="旧連携株式会社", prefecture="東京都")
        active_org = Organization(name="現連携株式会社", prefecture="大阪府")
        db.session.add_all([ended_org, active_org])
        db.session.flush()
        db.session.add_all([
            OrganizationContact(organization_id=ended_org.id, name="担当旧者", department="旧営業部",
                                phone="03-1111-2222", email="tanto-old@example.co.jp"),
            OrganizationContact(organization_id=active_org.id, name="担当現者", phone="06-1234-5678"),
            Partnership(organization_id=ended_org.id, kind="agreement", status="ended",
                        agreed_on=date(2015, 6, 1), ended_on=date(2016, 12, 31)),
            Partnership(organization_id=active_org.id, kind="product_development", status="active",
                        agreed_on=date(2017, 9, 1)),
        ])
        # --- counted by the cumulative indicators, ended more than three years ago ------------
        window_migrant = _person("三年前移住", "", "さんねん")
        wcase = MigrationCase(person_id=window_migrant.id, status="settled", inquired_on=date(2022, 2, 1),
                              household_size=4, moved_in_on=date(2022, 6, 15))
        window_head = _person("三年前家", "", "さんねんけ")
        window_family = HostFamily(person_id=window_head.id, status="ended", registered_on=date(2022, 3, 1))
        window_student_person = _person("三年前学生", "", "さんねんがく")
        window_student = Student(person_id=window_student_person.id, status="left")
        db.session.add_all([wcase, window_family, window_student])
        db.session.flush()
        db.session.add_all([
            Contact(case_id=wcase.id, contacted_on=date(2022, 7, 1), note="三年前連絡"),
            Placement(student_id=window_student.id, host_family_id=window_family.id,
                      started_on=date(2022, 4, 10), ended_on=date(2023, 3, 20))])
        ids.update(window_migrant=window_migrant.id, window_head=window_head.id,
                   window_student=window_student_person.id)

        bare = _person("古記録", "", "ふるきろく")
        ids["bare_old"] = bare.id
        db.session.commit()

        # Correct the name once, so the log holds a before and an after.
        person = db.session.get(Person, ids["old"])
        person.given_name = "眠子"
        person.note = "旧相談メモ甲（追記）"
        db.session.commit()
        ids["organization_old"] = ended_org.id
    _backdate_everything(app, keep_recent={ids["touched"]})
    return ids


def _backdate_everything(app, keep_recent: set[int]) -> None:
    """As if every record was entered in January 2016; the people in keep_recent had a case
    corrected today."""
    with app.app_context():
        for table in db.metadata.sorted_tables:
            if "updated_at" in table.c and "created_at" in table.c:
                db.session.execute(sa.update(table).values(created_at=LONG_AGO, updated_at=LONG_AGO))
        db.session.execute(sa.update(StartupCase).where(StartupCase.person_id.in_(keep_recent))
                           .values(updated_at=datetime.now(UTC)))
        newest = sa.select(Person.id).where(Person.family_name == "新規記録")
        db.session.execute(sa.update(Person).where(Person.id.in_(newest)).values(updated_at=datetime.now(UTC)))
        db.session.commit()


def _everything(app) -> str:
    """Every value of every table as one text (JSON decoded, so no \\u escapes hide a name)."""
    with app.app_context(), db.engine.connect() as conn:
        parts = []
        for table in db.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                parts.append(json.dumps({k: str(v) if not isinstance(v, dict | list | None) else v
                                         for k, v in row.items()}, ensure_ascii=False))
        return "\n".join(parts)


def _snapshot(app) -> dict[str, list]:
    with app.app_context(), db.engine.connect() as conn:
        return {table.name: [dict(row) for row in conn.execute(
            sa.select(table).order_by(*table.primary_key.columns)).mappings()]
            for table in db.metadata.sorted_tables}


def _rollups(app, runner) -> dict[tuple[int, str], bytes]:
    with app.app_context():
        db.session.execute(sa.delete(RollupCache))  # computed afresh, never served from the cache
        db.session.commit()
    outputs = {}
    for fy in range(2015, 2028):
        for fmt in ("csv", "json"):
            result = runner.invoke(args=["rollup", "--fy", str(fy), "--format", fmt])
            assert result.exit_code == 0, result.output
            outputs[fy, fmt] = result.stdout_bytes
    return outputs


def _anonymize(runner, *args):
    result = runner.invoke(args=["data", "anonymize", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _eligible(ids, years: int = 5) -> list[int]:
    roles = ["old", "merged_old", "migrant", "head", "student", "bare_old"]
    if years <= 3:
        roles += ["window_migrant", "window_head", "window_student"]
    return sorted(ids[k] for k in roles)


def test_anonymizing_keeps_every_rollup_byte_identical_and_removes_the_personal_data_everywhere(
        app, runner, login_as, tmp_path):
    assert runner.invoke(args=["plan", "load"]).exit_code == 0
    ids = _build(app)
    counter = login_as("counter")
    assert "古川" in counter.get(f"/people/{ids['old']}").get_data(as_text=True)  # a view to answer for
    before = _rollups(app, runner)
    # Every program's indicator counts people who are about to be anonymized.
    fy2016, fy2022 = before[2016, "csv"].decode(), before[2022, "csv"].decode()
    assert "\n1-01-01-1,2016,2017-03,3," in fy2016 and "\n1-01-06-1,2016,2017-03,1," in fy2016
    assert "\n1-01-05-1,2022,2023-03,6," in fy2022 and "\n1-01-05-2,2022,2023-03,1," in fy2022
    gone = GONE + WINDOW
    text = _everything(app)
    assert all(needle in text for needle in gone + KEPT), [n for n in gone + KEPT if n not in text]

    output = _anonymize(runner, "--years", "3")

    eligible = _eligible(ids, years=3)
    assert f"対象者 {len(eligible)}人（うち統合済みの記録 1人）、企業・機関の担当者 1人" in output
    assert "対象者の番号: " + ", ".join(str(i) for i in eligible) in output
    assert not any(needle in output for needle in gone)
    assert _rollups(app, runner) == before
    text = _everything(app)
    assert [needle for needle in gone if needle in text] == []
    assert [needle for needle in KEPT if needle not in text] == []

    with app.app_context():
        anonymized = db.session.scalars(sa.select(Person).where(Person.anonymized_at.is_not(None))
                                        .order_by(Person.id)).all()
        assert [p.id for p in anonymized] == eligible
        for person in anonymized:
            assert person.family_name == person.family_name_kana == f"匿名化済 #{person.id}"
            assert (person.given_name, person.phone, person.email, person.address, person.note) == ("",) * 5
            assert person.birth_date is None and person.name_key == person.kana_key == person.phone_key == ""
        # Ids, dates, statuses, sizes and links stay.
        case = db.session.scalar(sa.select(StartupCase).where(StartupCase.person_id == ids["old"])
                                 .order_by(StartupCase.id))
        assert (case.status, case.first_consulted_on, case.founded_on) == ("founded", date(2016, 5, 10), date(2017, 3, 1))
        assert case.business_idea == case.note == case.certificate_number == "" and case.certificate_issued_on is None
        mcase = db.session.scalar(sa.select(MigrationCase).where(MigrationCase.person_id == ids["migrant"]))
        assert (mcase.household_size, mcase.status, len(mcase.members), len(mcase.followups)) == (3, "settled", 2, 3)
        assert {m.given_name for m in mcase.members} == {""}
        student = db.session.scalar(sa.select(Student).where(Student.person_id == ids["student"]))
        assert (student.medical_notes, student.allergens, student.needs_no_pets, student.school) == ("", "", False, "")
        assert [c.name for c in student.contacts] == ["匿名化済"]
        contact = db.session.scalar(sa.select(OrganizationContact).where(
            OrganizationContact.organization_id == ids["organization_old"]))
        assert (contact.name, contact.phone, contact.email, contact.department) == ("匿名化済", "", "", "")
        assert db.session.get(Person, ids["keeper"]).anonymized_at is None

    # Search and import matching no longer find them; the page says what happened.
    for q in ("ふるかわ", "古川", "0164-11-2233", "匿名"):
        page = counter.get("/people/", query_string={"q": q}).get_data(as_text=True)
        assert f'href="/people/{ids["old"]}"' not in page, q
    with app.app_context():
        from casework.people.services import find_or_create
        found, created = find_or_create(PersonFields("古川", "眠子", "ふるかわ", "ねむこ", date(1980, 5, 6)))
        assert created and found.id != ids["old"]
        db.session.rollback()
        day = db.session.get(Person, ids["old"]).anonymized_on
    page = counter.get(f"/people/{ids['old']}").get_data(as_text=True)
    assert f"匿名化済み（{day.year}年{day.month}月{day.day}日）" in page
    assert not any(needle in page for needle in GONE)

    # The backup holds no trace of them either (the audit log included).
    archive = tmp_path / "backup.zip"
    assert runner.invoke(args=["data", "export", str(archive)]).exit_code == 0
    with zipfile.ZipFile(archive) as z:
        dumped = "\n".join(json.dumps(json.loads(line), ensure_ascii=False)
                           for name in z.namelist() if name.endswith(".jsonl")
                           for line in z.read(name).decode().splitlines())
    assert [needle for needle in GONE if needle in dumped] == []


def test_the_audit_log_still_says_who_saw_and_changed_them_without_their_values(app, runner, login_as):
    ids = _build(app)
    counter = login_as("counter")
    counter.get(f"/people/{ids['old']}")
    _anonymize(runner)
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.person_id == ids["old"])
                                     .order_by(AuditEntry.id)).all()
        views = [e for e in entries if e.action == "view"]
        assert [(e.username, e.entity, e.entity_id) for e in views] == [
            (counter.user.username, "people", str(ids["old"]))]
        update = next(e for e in entries if e.action == "update" and e.entity == "people")
        assert update.username == "tester" and update.redacted_at is not None
        assert update.before.keys() == update.after.keys() and {"given_name", "note"} <= update.before.keys()
        assert set(update.before.values()) == set(update.after.values()) == {"***"}
        create = next(e for e in entries if e.action == "create" and e.entity == "startup_cases")
        assert create.after["status"] == "founded" and create.after["first_consulted_on"] == "2016-05-10"
        assert create.after["business_idea"] == create.after["note"] == "***"
        job = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "retention")).one()
        assert job.action == "anonymize" and job.username == "cli"
        assert f"対象者{len(_eligible(ids))}人" in job.detail and f"#{ids['student']}" in job.detail
        assert not any(needle in job.detail for needle in GONE)
        marks = db.session.scalars(sa.select(AuditEntry.person_id).where(
            AuditEntry.action == "anonymize", AuditEntry.entity == "people").order_by(AuditEntry.person_id)).all()
        assert marks == _eligible(ids)

    admin = login_as("admin")
    page = admin.get("/admin/audit/", query_string={"person_id": ids["old"]}).get_data(as_text=True)
    assert counter.user.username in page and "閲覧" in page and "匿名化" in page
    assert "匿名化により個人情報の値を伏せ字にしました" in page
    assert not any(needle in page for needle in GONE)


def test_the_database_still_refuses_every_other_change_to_the_log(app, runner):
    ids = _build(app)
    _anonymize(runner)
    with app.app_context():
        redacted = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.redacted_at.is_not(None))
                                      .order_by(AuditEntry.id)).first()
        untouched = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.redacted_at.is_(None), AuditEntry.action == "create",
            AuditEntry.person_id == ids["keeper"]).order_by(AuditEntry.id)).first()
        assert redacted is not None and untouched is not None
        now = datetime.now(UTC)
        masked_all = {key: "***" for key in untouched.after}
        attempts = [
            ("a second redaction", sa.update(AuditEntry).where(AuditEntry.id == redacted.id)
             .values(after={key: "***" for key in redacted.after}, redacted_at=now)),
            ("taking the stamp back", sa.update(AuditEntry).where(AuditEntry.id == redacted.id).values(redacted_at=None)),
            ("a masked value without the stamp", sa.update(AuditEntry).where(AuditEntry.id == untouched.id)
             .values(after=masked_all)),
            ("a forged value", sa.update(AuditEntry).where(AuditEntry.id == untouched.id)
             .values(after={**untouched.after, "family_name": "偽名"}, redacted_at=now)),
            ("an added key", sa.update(AuditEntry).where(AuditEntry.id == untouched.id)
             .values(after={**untouched.after, "extra": "***"}, redacted_at=now)),
            ("a dropped key", sa.update(AuditEntry).where(AuditEntry.id == untouched.id)
             .values(after={k: v for k, v in untouched.after.items() if k != "family_name"}, redacted_at=now)),
            ("every entry", sa.update(AuditEntry).values(username="forged")),
            ("deleting", sa.delete(AuditEntry).where(AuditEntry.id == redacted.id)),
            ("deleting all", sa.delete(AuditEntry)),
        ]
        # Any other column changed along with a legitimate-looking redaction.
        changes = {"at": now, "user_id": 999, "username": "forged", "action": "view", "entity": "users",
                   "entity_id": "999", "person_id": 999, "detail": "forged", "ip": "10.0.0.1"}
        table_columns = {c.name for c in AuditEntry.__table__.columns} - {"before", "after", "redacted_at"}
        assert set(changes) | {"id"} == table_columns, "a new audit_log column needs a line here and in 0010"
        for name, value in changes.items():
            attempts.append((f"changing {name}", sa.update(AuditEntry).where(AuditEntry.id == untouched.id)
                             .values(after=masked_all, redacted_at=now, **{name: value})))
        for label, statement in attempts:
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(statement)
                pytest.fail(f"the database let {label} through")
            db.session.rollback()
        count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
        assert count > 0


def test_a_dry_run_writes_nothing_and_a_second_run_changes_nothing(app, runner):
    ids = _build(app)
    before = _snapshot(app)
    output = _anonymize(runner, "--dry-run")
    assert f"匿名化の対象: 対象者 {len(_eligible(ids))}人" in output and "何も書き込んでいません" in output
    assert str(ids["student"]) in output and not any(needle in output for needle in GONE)
    assert _snapshot(app) == before

    _anonymize(runner)
    after_first = _snapshot(app)
    output = _anonymize(runner)
    assert "対象者 0人" in output and "担当者 0人" in output
    assert _snapshot(app) == after_first


def test_the_period_comes_from_the_setting_or_the_option_and_bad_input_is_refused_in_japanese(app, runner):
    ids = _build(app)
    assert f"対象者 {len(_eligible(ids))}人" in _anonymize(runner, "--dry-run")
    app.config["RETENTION_YEARS"] = 30
    assert "対象者 0人" in _anonymize(runner, "--dry-run")
    output = _anonymize(runner, "--dry-run", "--years", "3")
    # Three years: the 2022-23 records too, but not the family whose 5-year check is scheduled.
    assert f"対象者 {len(_eligible(ids, years=3))}人" in output
    for bad in ("0", "abc", "-1", "５年"):
        result = runner.invoke(args=["data", "anonymize", "--dry-run", "--years", bad])
        assert result.exit_code != 0 and "1〜100の年数" in result.output, bad


def test_anonymized_people_cannot_be_edited_or_merged(app, runner, login_as):
    ids = _build(app)
    _anonymize(runner)
    counter = login_as("counter")
    for url in (f"/people/{ids['old']}/edit", f"/people/{ids['old']}/merge",
                f"/people/{ids['keeper']}/merge?other={ids['old']}"):
        response = counter.get(url, follow_redirects=True)
        assert response.status_code == 200
        assert "匿名化された対象者は編集・統合できません" in response.get_data(as_text=True), url
    response = counter.post(f"/people/{ids['old']}/edit", data={
        "family_name": "古川", "family_name_kana": "ふるかわ", "version": "1"}, follow_redirects=True)
    assert "匿名化された対象者は編集・統合できません" in response.get_data(as_text=True)
    response = counter.post(f"/people/{ids['keeper']}/merge", data={"other_id": ids["old"]}, follow_redirects=True)
    assert "匿名化された対象者は編集・統合できません" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Person, ids["old"]).family_name == f"匿名化済 #{ids['old']}"
        assert db.session.get(Person, ids["old"]).merged_into_id is None


def test_the_job_refuses_to_run_when_a_table_links_to_people_without_a_rule(app, runner, monkeypatch):
    monkeypatch.setattr(retention, "PERSON_LINKS", retention.PERSON_LINKS - {("students", "person_id")})
    result = runner.invoke(args=["data", "anonymize", "--dry-run"])
    assert result.exit_code != 0
    assert "保存期間のルールが決まっていない表" in result.output and "students.person_id" in result.output


def test_the_rule_reads_every_personal_column_from_the_register(app):
    with app.app_context():
        covered = set(retention.OWN_ROWS) | retention.NOT_ABOUT_A_PERSON
        assert set(retention.personal_columns()) <= covered
        # Household members are personal data too (the register feeds the 個人情報ファイル簿).
        columns = {c.name for c in retention.personal_columns()["migration_household_members"]}
        assert {"family_name", "given_name", "birth_date"} <= columns


def test_the_admin_page_shows_the_dry_run_and_runs_after_the_password_again(app, login_as):
    ids = _build(app)
    admin = login_as("admin")
    before = _snapshot(app)
    page = admin.get("/admin/retention").get_data(as_text=True)
    assert f"{len(_eligible(ids))}人" in page and f"#{ids['student']}" in page
    assert not any(needle in page for needle in GONE)
    assert _snapshot(app) == before  # looking writes nothing
    fingerprint = re.search(r'name="expected" type="hidden" value="([0-9a-f]+)"', page).group(1)

    # What the page showed is no longer what would run: refused.
    response = admin.post("/admin/retention", data={"expected": "0" * 32}, follow_redirects=True)
    assert "確認した後に対象が変わりました" in response.get_data(as_text=True)
    assert _snapshot(app) == before

    with admin.session_transaction() as session:
        session["auth_at"] -= app.config["REAUTH_MINUTES"] * 60 + 1
    response = admin.post("/admin/retention", data={"expected": fingerprint})
    assert response.status_code == 302 and "/reauth" in response.headers["Location"]
    assert _snapshot(app) == before
    assert admin.post(response.headers["Location"], data={"password": "correct-horse-battery"}).status_code == 302

    response = admin.post("/admin/retention", data={"expected": fingerprint}, follow_redirects=True)
    assert f"対象者{len(_eligible(ids))}人と企業・機関の担当者1人を匿名化しました" in response.get_data(as_text=True)
    assert "いま匿名化する対象はありません" in response.get_data(as_text=True)
    with app.app_context():
        anonymized = db.session.scalars(sa.select(Person.id).where(Person.anonymized_at.is_not(None))
                                        .order_by(Person.id)).all()
        assert anonymized == _eligible(ids)
        job = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "retention")).one()
        assert job.username == admin.user.username


def test_the_admin_page_needs_the_csrf_token(csrf_app, make_user):
    from tests.conftest import PASSWORD, csrf_token_from

    ids = _build(csrf_app)
    user = make_user("admin")
    client = csrf_app.test_client()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"username": user.username, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    page = client.get("/admin/retention").get_data(as_text=True)
    fingerprint = re.search(r'name="expected" type="hidden" value="([0-9a-f]+)"', page).group(1)
    response = client.post("/admin/retention", data={"expected": fingerprint})
    assert response.status_code == 400
    with csrf_app.app_context():
        assert db.session.get(Person, ids["old"]).anonymized_at is None


def test_a_failure_half_way_leaves_everything_as_it_was(app, runner, login_as, monkeypatch):
    """All or nothing: the people are already cleared when the audit log refuses (the app's
    PostgreSQL role may lack UPDATE on it, deploy/postgres-roles.sql); nothing stays changed."""
    from casework.audit import redaction

    class Refused(Exception):
        sqlstate = "42501"

    def refuse(*_args, **_kwargs):
        raise sa.exc.ProgrammingError("UPDATE audit_log", {}, Refused("permission denied for table audit_log"))

    ids = _build(app)
    before = _snapshot(app)
    monkeypatch.setattr(redaction, "redact", refuse)
    result = runner.invoke(args=["data", "anonymize"])
    assert result.exit_code != 0 and "監査ログを伏せ字にする権限がない" in result.output
    assert _snapshot(app) == before

    admin = login_as("admin")
    page = admin.get("/admin/retention").get_data(as_text=True)
    fingerprint = re.search(r'name="expected" type="hidden" value="([0-9a-f]+)"', page).group(1)
    before = _snapshot(app)
    response = admin.post("/admin/retention", data={"expected": fingerprint}, follow_redirects=True)
    assert "監査ログを伏せ字にする権限がない" in response.get_data(as_text=True)
    assert _snapshot(app) == before
    with app.app_context():
        assert db.session.get(Person, ids["old"]).anonymized_at is None


def test_uploads_nobody_confirmed_are_removed_by_the_job(app, runner, make_user):
    from casework.admin.privacy import personal_data_register
    from casework.imports.models import PendingImport

    owner = make_user("counter")
    with app.app_context():
        old = PendingImport(kind="startup", filename="old.csv", data="田中,花子".encode(), user_id=owner.id,
                            created_at=datetime.now(UTC) - timedelta(hours=3))
        fresh = PendingImport(kind="startup", filename="new.csv", data=b"x", user_id=owner.id)
        db.session.add_all([old, fresh])
        db.session.commit()
        assert ("pending_imports", "data") in {(f.table, f.column) for f in personal_data_register(db.metadata)}

    _anonymize(runner)

    with app.app_context():
        assert db.session.scalars(sa.select(PendingImport.filename)).all() == ["new.csv"]


def test_anonymized_students_and_families_cannot_be_edited_nor_chosen_at_the_counter(app, runner, login_as):
    ids = _build(app)
    _anonymize(runner)
    with app.app_context():
        student_id = db.session.scalar(sa.select(Student.id).where(Student.person_id == ids["student"]))
        family_id = db.session.scalar(sa.select(HostFamily.id).where(HostFamily.person_id == ids["head"]))
    coordinator = login_as("coordinator")
    for url in (f"/students/{student_id}/edit", f"/students/families/{family_id}/edit"):
        response = coordinator.post(url, data={"family_name": "古川", "family_name_kana": "ふるかわ"},
                                    follow_redirects=True)
        assert "匿名化された対象者は編集・統合できません" in response.get_data(as_text=True), url
    with app.app_context():
        assert db.session.get(Person, ids["student"]).family_name == f"匿名化済 #{ids['student']}"
        assert db.session.get(Person, ids["head"]).family_name == f"匿名化済 #{ids['head']}"

    counter = login_as("counter")
    page = counter.get(f"/startups/counter?person_id={ids['old']}").get_data(as_text=True)
    assert f"匿名化済 #{ids['old']}" not in page  # not offered as the person at the counter

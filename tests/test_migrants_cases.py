"""Migration cases through the pages: from the first call to the move-in, the household, the
status workflow with 取消, the timeline, lists, and who may see which case."""

import re
from datetime import date

import pytest
import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.extensions import db
from casework.migrants.models import FollowUp, MigrationCase
from casework.people.models import Person
from tests.conftest import table_row

APPLICANT = {
    "family_name": "山田", "given_name": "太郎", "family_name_kana": "やまだ", "given_name_kana": "たろう",
    "birth_date": "1988-07-07", "phone": "090-1234-5678", "household_size": "1",
    "inquired_on": "R8.4.10", "channel": "phone", "origin_prefecture": "東京都",
    "origin_municipality": "世田谷区", "wants": ["work", "childcare"], "note": "漁業に関心",
}


def _new_case(client, **changes) -> int:
    response = client.post("/migrants/new", data={**APPLICANT, **changes})
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").split("/")[-1])


def _case(app, case_id) -> MigrationCase:
    with app.app_context():
        case = db.session.get(MigrationCase, case_id)
        _ = case.followups, case.members, case.supports
        db.session.expunge_all()
        return case


def test_first_call_to_settlement_check(app, login_as, monkeypatch):
    counter = login_as("counter")
    case_id = _new_case(counter)
    page = counter.get(f"/migrants/{case_id}").get_data(as_text=True)
    assert "山田 太郎" in page and "相談" in page and "東京都世田谷区" in page
    assert "仕事・子育て" in page and "令和8年4月10日（2026-04-10）" in page

    # The household: spouse and a child make three persons.
    for member in ({"relationship": "配偶者", "given_name": "花子", "birth_date": "1990-01-01"},
                   {"relationship": "子", "given_name": "一郎", "birth_date": "令和2年5月1日"}):
        assert counter.post(f"/migrants/{case_id}/members", data=member).status_code == 302
    assert _case(app, case_id).household_size == 3

    # A contact and the grant: the case is now being supported.
    counter.post(f"/migrants/{case_id}/contacts", data={
        "contacted_on": "2026-05-01", "channel": "counter", "staff": "佐藤", "note": "住宅の内覧に同行"})
    response = counter.post(f"/migrants/{case_id}/supports", data={
        "kind": "grant", "given_on": "2026-06-01", "amount": "1000000", "note": "世帯加算あり"})
    assert response.status_code == 302
    case = _case(app, case_id)
    assert case.status == "supporting" and case.followups == []  # no move-in yet, nothing to check

    # Moving in schedules checks 1, 3 and 5 years later.
    edit = counter.get(f"/migrants/{case_id}/edit").get_data(as_text=True)
    assert 'value="3"' in edit
    response = counter.post(f"/migrants/{case_id}/edit", data={
        **APPLICANT, "version": case.version, "household_size": "3", "moved_in_on": "2026-07-15"})
    assert response.status_code == 302
    counter.post(f"/migrants/{case_id}/status", data={"version": _case(app, case_id).version, "status": "moved_in"})
    case = _case(app, case_id)
    assert case.status == "moved_in"
    assert [(f.year_mark, f.due_on) for f in case.followups] == [
        (1, date(2027, 7, 15)), (3, date(2029, 7, 15)), (5, date(2031, 7, 15))]

    page = counter.get(f"/migrants/{case_id}").get_data(as_text=True)
    for text in ("住宅の内覧に同行", "支援: 移住支援金", "1,000,000円", "転入", "定住確認の予定（3年）", "花子", "一郎"):
        assert text in page

    # Three years later: still here.
    monkeypatch.setattr("casework.jp.today", lambda: date(2029, 7, 20))
    three = case.followups[1]
    response = counter.post(f"/migrants/{case_id}/followups/{three.id}", data={
        "version": three.version, "outcome": "staying", "checked_on": "2029-07-20", "note": "電話で確認"})
    assert response.status_code == 302
    case = _case(app, case_id)
    assert case.status == "settled"
    assert case.followups[1].outcome == "staying" and case.followups[1].checked_on == date(2029, 7, 20)
    page = counter.get(f"/migrants/{case_id}").get_data(as_text=True)
    assert "定住確認済" in page and "定住確認（3年）" in page and "電話で確認" in page


def test_case_page_links_the_applicant_to_the_people_page(app, login_as):
    from flask import url_for

    counter = login_as("counter")
    case_id = _new_case(counter)
    with app.app_context(), app.test_request_context():
        person_url = url_for("people.show", person_id=db.session.get(MigrationCase, case_id).person_id)
    assert f'href="{person_url}"' in counter.get(f"/migrants/{case_id}").get_data(as_text=True)


def test_case_page_view_is_audited(app, login_as):
    counter = login_as("counter")
    case_id = _new_case(counter)
    manager = login_as("manager")
    assert manager.get(f"/migrants/{case_id}").status_code == 200
    with app.app_context():
        person_id = db.session.get(MigrationCase, case_id).person_id
        views = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "view", AuditEntry.entity == "migration_cases")).all()
    assert [(v.username, v.person_id) for v in views] == [(manager.user.username, person_id)]


def test_possible_duplicate_is_offered_not_created(app, login_as):
    counter = login_as("counter")
    _new_case(counter)
    # Same person typed in katakana with full-width digits: offered, nothing created yet.
    again = {**APPLICANT, "family_name_kana": "ヤマダ", "given_name_kana": "タロウ", "birth_date": "１９８８/7/7"}
    page = counter.post("/migrants/new", data=again).get_data(as_text=True)
    assert "同じ人がすでに登録されているかもしれません" in page and "やまだ たろう" in page
    with app.app_context():
        person = db.session.scalars(sa.select(Person)).one()
    response = counter.post("/migrants/new", data={**again, "person_choice": str(person.id)})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MigrationCase)) == 2
    counter.post("/migrants/new", data={**again, "person_choice": "new"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 2


def test_household_size_never_below_the_recorded_members(app, login_as):
    counter = login_as("counter")
    case_id = _new_case(counter, household_size="4")
    # An applicant declared 4 persons; recording the spouse does not shrink the household.
    counter.post(f"/migrants/{case_id}/members", data={"relationship": "配偶者", "given_name": "花子"})
    assert _case(app, case_id).household_size == 4
    for name in ("一郎", "次郎", "三郎"):
        counter.post(f"/migrants/{case_id}/members", data={"relationship": "子", "given_name": name})
    case = _case(app, case_id)
    assert case.household_size == 5 and len(case.members) == 4
    # The edit form refuses a size below applicant + members.
    page = counter.post(f"/migrants/{case_id}/edit", data={
        **APPLICANT, "version": case.version, "household_size": "2"}).get_data(as_text=True)
    assert "5以上にしてください" in page
    assert _case(app, case_id).household_size == 5
    # A member who is not part of the household any more: one person fewer.
    response = counter.post(f"/migrants/{case_id}/members/{case.members[-1].id}/delete")
    assert response.status_code == 302
    assert _case(app, case_id).household_size == 4


def test_status_workflow_and_cancelled(app, login_as):
    counter = login_as("counter")
    case_id = _new_case(counter)
    case = _case(app, case_id)
    # Not allowed without a move-in date, not allowed from 相談 to 転出.
    page = counter.post(f"/migrants/{case_id}/status", data={"version": case.version, "status": "moved_in"},
                        follow_redirects=True).get_data(as_text=True)
    assert "転入日を入力してから" in page
    page = counter.post(f"/migrants/{case_id}/status", data={"version": case.version, "status": "moved_out"},
                        follow_redirects=True).get_data(as_text=True)
    assert "には変更できません" in page
    assert _case(app, case_id).status == "consulting"
    for status in ("considering", "suspended", "consulting", "cancelled"):
        response = counter.post(f"/migrants/{case_id}/status",
                                data={"version": _case(app, case_id).version, "status": status})
        assert response.status_code == 302
        assert _case(app, case_id).status == status
    page = counter.get(f"/migrants/{case_id}").get_data(as_text=True)
    assert "取消（誤登録）" in page
    listing = counter.get("/migrants/").get_data(as_text=True)
    assert 'class="cancelled"' in listing and "山田 太郎" in listing
    # A stale status form changes nothing.
    page = counter.post(f"/migrants/{case_id}/status", data={"version": 1, "status": "consulting"},
                        follow_redirects=True).get_data(as_text=True)
    assert "他の人が先に" in page and _case(app, case_id).status == "cancelled"


def test_support_requires_its_details(app, login_as):
    counter = login_as("counter")
    case_id = _new_case(counter)
    page = counter.post(f"/migrants/{case_id}/supports", data={
        "kind": "grant", "given_on": "2026-06-01"}).get_data(as_text=True)
    assert "金額を入力してください" in page
    page = counter.post(f"/migrants/{case_id}/supports", data={
        "kind": "student_family", "given_on": "2026-06-01", "student_family_name_kana": "だれ",
        "student_given_name_kana": "でもない", "student_birth_date": "2010-01-01"}).get_data(as_text=True)
    assert "生徒が見つかりません" in page
    assert _case(app, case_id).supports == []


def _student(app) -> int:
    from casework.people.services import PersonFields, create_person

    with app.app_context():
        pupil = create_person(PersonFields("越境", "花子", "えっきょう", "はなこ", date(2010, 6, 1)))
        db.session.commit()
        return pupil.id


def test_coordinator_sees_only_student_families(app, login_as):
    counter = login_as("counter")
    pupil_id = _student(app)
    family = _new_case(counter, family_name="越境", given_name="父", family_name_kana="えっきょう",
                       given_name_kana="ちち", phone="")
    other = _new_case(counter, family_name="無関係", family_name_kana="むかんけい", phone="")
    response = counter.post(f"/migrants/{family}/supports", data={
        "kind": "student_family", "given_on": "2026-04-01", "student_family_name_kana": "エッキョウ",
        "student_given_name_kana": "ハナコ", "student_birth_date": "H22.6.1"})
    assert response.status_code == 302
    assert _case(app, family).student_person_id == pupil_id

    coordinator = login_as("coordinator")
    listing = coordinator.get("/migrants/").get_data(as_text=True)
    assert "越境 父" in listing and "無関係" not in listing
    page = coordinator.get(f"/migrants/{family}").get_data(as_text=True)
    assert "越境 花子" in page and "支援を記録する" not in page
    assert coordinator.get(f"/migrants/{other}").status_code == 404
    assert coordinator.post(f"/migrants/{family}/contacts", data={}).status_code == 403
    assert coordinator.get("/migrants/funnel").status_code == 403

    # Removing the support item removes the link: the coordinator loses the case.
    support_id = _case(app, family).supports[0].id
    counter.post(f"/migrants/{family}/supports/{support_id}/delete")
    assert _case(app, family).student_person_id is None
    assert coordinator.get(f"/migrants/{family}").status_code == 404


def test_list_filters_sorts_and_pages(app, login_as, monkeypatch):
    counter = login_as("counter")
    tokyo = _new_case(counter, inquired_on="2026-04-10")
    osaka = _new_case(counter, family_name="大阪", family_name_kana="おおさか", birth_date="1970-01-01", phone="",
                      origin_prefecture="大阪府", origin_municipality="堺市", inquired_on="2027-03-31",
                      household_size="5")
    counter.post(f"/migrants/{osaka}/supports", data={"kind": "housing", "given_on": "2027-04-02"})

    def names(query):
        page = counter.get("/migrants/" + query).get_data(as_text=True)
        return [n for n in ("山田 太郎", "大阪 太郎") if n in page], page

    assert names("?fy=2026")[0] == ["山田 太郎", "大阪 太郎"]
    assert names("?fy=2027")[0] == []
    assert names("?origin=大阪")[0] == ["大阪 太郎"]
    assert names("?support=housing")[0] == ["大阪 太郎"]
    assert names("?status=supporting")[0] == ["大阪 太郎"]
    assert names("?status=consulting")[0] == ["山田 太郎"]
    assert names("?q=ｵｵｻｶ")[0] == ["大阪 太郎"]
    page = names("?sort=household")[1]
    assert page.index("大阪 太郎") < page.index("山田 太郎")
    page = names("?sort=old")[1]
    assert page.index("山田 太郎") < page.index("大阪 太郎")

    # Follow-up due filter: a grant and a move-in make a check due one year later.
    counter.post(f"/migrants/{tokyo}/supports", data={"kind": "grant", "given_on": "2026-04-20", "amount": "600000"})
    case = _case(app, tokyo)
    response = counter.post(f"/migrants/{tokyo}/edit", data={**APPLICANT, "version": case.version,
                                                               "moved_in_on": "2026-05-01"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert [f.year_mark for f in _case(app, tokyo).followups] == [1, 3, 5]
    monkeypatch.setattr("casework.jp.today", lambda: date(2027, 5, 10))
    assert names("?followup=due")[0] == ["山田 太郎"]
    assert names("?followup=overdue")[0] == ["山田 太郎"]
    monkeypatch.setattr("casework.jp.today", lambda: date(2027, 5, 1))
    assert names("?followup=due")[0] == ["山田 太郎"]
    assert names("?followup=overdue")[0] == []
    monkeypatch.setattr("casework.jp.today", lambda: date(2027, 4, 30))
    assert names("?followup=due")[0] == []

    with app.app_context():
        person_id = db.session.get(MigrationCase, tokyo).person_id
        for _i in range(55):
            db.session.add(MigrationCase(person_id=person_id, household_size=1, inquired_on=date(2025, 4, 1)))
        db.session.commit()
    page = counter.get("/migrants/").get_data(as_text=True)
    assert "1 / 2 ページ（全57件）" in page
    assert "2 / 2 ページ" in counter.get("/migrants/?page=2").get_data(as_text=True)


def test_people_pages_see_migration_cases(app, login_as):
    from casework.people.programs import programs

    counter = login_as("counter")
    case_id = _new_case(counter)
    program = next(p for p in programs() if p.name == "migrants")
    with app.app_context(), app.test_request_context():
        person_id = db.session.get(MigrationCase, case_id).person_id
        assert db.session.scalars(sa.select(Person.id).where(program.takes_part())).all() == [person_id]
        [link] = program.cases_of(person_id)
    assert link.url == f"/migrants/{case_id}" and link.status == "相談" and link.on == date(2026, 4, 10)


def test_no_followups_without_duty_unless_requested(app, login_as):
    counter = login_as("counter")
    case_id = _new_case(counter)
    counter.post(f"/migrants/{case_id}/supports", data={"kind": "job_matching", "given_on": "2026-05-01"})
    case = _case(app, case_id)
    counter.post(f"/migrants/{case_id}/edit", data={**APPLICANT, "version": case.version,
                                                      "moved_in_on": "2026-06-01"})
    assert _case(app, case_id).followups == []
    case = _case(app, case_id)
    counter.post(f"/migrants/{case_id}/edit", data={**APPLICANT, "version": case.version,
                                                      "moved_in_on": "2026-06-01", "followup_requested": "y"})
    assert [f.year_mark for f in _case(app, case_id).followups] == [1, 3, 5]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUp)) == 3


def test_list_rows_show_what_the_case_says(app, login_as):
    # The list reads columns, not cases (paging.paginate(columns=...)): each row must still
    # say what the case's own properties say (name, furigana, status label, origin, dates).
    counter = login_as("counter")
    first = _new_case(counter)
    second = _new_case(counter, family_name="大阪", family_name_kana="おおさか", given_name="", given_name_kana="",
                       birth_date="1970-01-01", phone="", origin_prefecture="大阪府", origin_municipality="",
                       inquired_on="", household_size="4")
    with app.app_context():
        case = db.session.get(MigrationCase, second)
        case.ref, case.status, case.moved_in_on = "M-7", "cancelled", date(2019, 5, 1)
        db.session.commit()
        expected = {c.id: (c.person.full_name, c.person.full_kana, c.status_label, c.origin)
                    for c in db.session.scalars(sa.select(MigrationCase))}
    page = counter.get("/migrants/").get_data(as_text=True)
    assert table_row(page, f'href="/migrants/{first}"') == (
        f'<tr> <td><a href="/migrants/{first}">山田 太郎</a> <span class="muted">やまだ たろう</span></td> '
        '<td>相談</td> <td>令和8年4月10日</td> <td>東京都世田谷区</td> <td class="num">1</td> <td></td> </tr>')
    assert table_row(page, f'href="/migrants/{second}"') == (
        f'<tr class="cancelled"> <td><a href="/migrants/{second}">大阪</a> <span class="muted">おおさか</span> '
        '<span class="muted">M-7</span></td> <td>取消</td> <td></td> <td>大阪府</td> <td class="num">4</td> '
        '<td>令和元年5月1日</td> </tr>')
    assert expected == {first: ("山田 太郎", "やまだ たろう", "相談", "東京都世田谷区"),
                        second: ("大阪", "おおさか", "取消", "大阪府")}


def _town_of_cases(app):
    """People with one to three cases each (some placed by their move-in alone, two people with
    the same furigana), phone numbers, open and recorded settlement checks, a student's family."""
    from casework.people.services import PersonFields, create_person

    people = [("田中", "花子", "たなか", "はなこ", "0164-42-1234"), ("田中", "一郎", "たなか", "いちろう", "0164-42-5678"),
              ("田中", "花子", "たなか", "はなこ", "011-222-3333"), ("高橋", "花", "たかはし", "はな", "0164-43-1234"),
              ("中田", "太郎", "なかた", "たろう", ""), ("佐藤", "たなか", "さとう", "たなか", "0164-44-0001")]
    with app.app_context():
        student = create_person(PersonFields("留萌", "学", "るもい", "まなぶ"))
        for n, (family, given, family_kana, given_kana, phone) in enumerate(people):
            person = create_person(PersonFields(family, given, family_kana, given_kana, phone=phone))
            for k in range(1 + n % 3):
                moved_in = date(2024 + k, 1 + n, 5)
                case = MigrationCase(person_id=person.id, household_size=1 + (n + k) % 4, moved_in_on=moved_in,
                                     inquired_on=None if (n + k) % 4 == 3 else date(2023 + k, 1 + n, 10 + k),
                                     status=("consulting", "moved_in", "settled")[(n + k) % 3],
                                     student_person_id=student.id if (n + k) % 2 else None)
                db.session.add(case)
                db.session.flush()
                db.session.add(FollowUp(case_id=case.id, year_mark=1, due_on=date(2026, 1 + n, 1),
                                        outcome="staying" if k == 1 else None))
        db.session.commit()


@pytest.mark.parametrize("how", ["few", "some", "many"])
def test_the_list_filters_the_same_cases_however_many_match(app, login_as, monkeypatch, how):
    """people.MatchingRecords reads the matching people's cases and sorts them (few people match),
    walks the list's order looking each case's person up among them (some), or testing each
    case's person's keys (many); open settlement checks are read first (few) or asked of each
    case (many): the same cases, pages and counts every way."""
    _town_of_cases(app)
    monkeypatch.setattr("casework.jp.today", lambda: date(2026, 4, 15))
    clients = {"counter": login_as("counter"), "coordinator": login_as("coordinator")}
    app.config["PAGE_SIZE"] = 2

    def listed():
        seen = {}
        for role, q, extra in [("counter", q, extra) for q in ("たなか", "ﾀﾅｶ ﾊﾅｺ", "はな", "0164", "1234", "ゑ", "")
                               for extra in ({}, {"status": "settled"}, {"followup": "due"})] + [
                ("coordinator", "たなか", {}), ("counter", "", {"followup": "overdue"})]:
            for sort in ("new", "old", "moved_in", "name", "household"):
                for page in (1, 2, 3):
                    html = clients[role].get("/migrants/", query_string={"q": q, "sort": sort, "page": page,
                                                                         **extra}).get_data(as_text=True)
                    pager = re.search(r"全\d+件|件以上", html)
                    seen[role, q, str(extra), sort, page] = (re.findall(r'href="/migrants/(\d+)"', html),
                                                             pager and pager.group(0))
        return seen

    expected = listed()  # few people, few open checks: read first and sorted
    assert expected["counter", "たなか", "{}", "new", 1][1] == "全9件"  # 3 Tanakas' 6 cases, the given name's 3
    assert expected["counter", "", "{'followup': 'due'}", "new", 1][1] == "全5件"  # open, due by the end of April
    if how != "few":
        monkeypatch.setattr("casework.people.services.FEW_PEOPLE", 0)
        monkeypatch.setattr("casework.migrants.services.FEW_OPEN_CHECKS", 0)
    if how == "many":
        monkeypatch.setattr("casework.people.services.MANY_PEOPLE", 0)
    assert listed() == expected

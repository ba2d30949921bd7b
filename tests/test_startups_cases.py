import re
from datetime import date

import pytest
import sqlalchemy as sa

from casework import jp
from casework.audit.trail import acting_as
from casework.extensions import db
from casework.people.models import Person
from casework.people.services import PersonFields, create_person
from casework.plans.sources import get_source
from casework.startups.models import Consultation, StartupCase
from casework.startups.services import add_consultation, open_case

ALL = ["management", "finance", "hr", "sales"]


def _case(app, *sessions, family="田中", kana="たなか", first=date(2026, 4, 1), status="consulting", **case):
    """A case with consultations given as (date, [topics])."""
    with app.app_context(), acting_as("setup"):
        person = create_person(PersonFields(family, "花子", kana, "はなこ"))
        c = open_case(person, first_consulted_on=first, **case)
        for held_on, topics in sessions:
            add_consultation(c, held_on=held_on, topics=topics)
        c.status = status
        db.session.commit()
        return c.id


def _get(app, case_id) -> StartupCase:
    with app.app_context():
        c = db.session.get(StartupCase, case_id)
        db.session.expunge(c)
        return c


def _version(page: str, form_action: str) -> str:
    form = page[page.index(form_action):]
    return re.search(r'name="version" type="hidden" value="(\d+)"', form).group(1)


@pytest.mark.parametrize(("sessions", "met", "shown"), [
    # Three sessions over two months covering every field: one session short.
    ([(date(2026, 4, 1), ["management", "finance"]), (date(2026, 5, 1), ["hr"]), (date(2026, 6, 1), ["sales"])],
     False, ["3/4回", "期間 61日/1か月", "4分野すべて実施"]),
    # Four sessions, but 29 days from the first to the last.
    ([(date(2026, 4, 1), ["management"]), (date(2026, 4, 10), ["finance"]), (date(2026, 4, 20), ["hr"]),
      (date(2026, 4, 30), ["sales"])], False, ["4/4回", "期間 29日/1か月"]),
    # Four sessions over exactly one month, every field: met.
    ([(date(2026, 4, 1), ["management"]), (date(2026, 4, 10), ["finance"]), (date(2026, 4, 20), ["hr"]),
      (date(2026, 5, 1), ["sales"])], True, ["4/4回", "期間 30日/1か月", "4分野すべて実施"]),
    # Enough sessions and time, but sales channels never discussed.
    ([(date(2026, 4, 1), ["management"]), (date(2026, 5, 1), ["finance"]), (date(2026, 6, 1), ["hr"]),
      (date(2026, 7, 1), ["management", "finance"])], False, ["未実施の分野: 販路開拓"]),
])
def test_specific_support_condition_at_its_edges(app, login_as, sessions, met, shown):
    case_id = _case(app, *sessions)
    page = login_as("counter").get(f"/startups/cases/{case_id}").get_data(as_text=True)
    for text in shown:
        assert text in page
    assert ("要件を満たしています" in page) is met
    assert ("要件未達" in page) is not met


def test_certificate_is_refused_until_the_condition_is_met(app, login_as):
    short = [(date(2026, 4, 1), ALL), (date(2026, 4, 15), ALL), (date(2026, 4, 30), ALL)]
    case_id = _case(app, *short)
    counter = login_as("counter")
    page = counter.get(f"/startups/cases/{case_id}").get_data(as_text=True)
    assert "証明書は要件を満たしてから記録できます" in page
    page = counter.post(f"/startups/cases/{case_id}/certificate", data={
        "version": _get(app, case_id).version, "certificate_number": "R8-001",
        "certificate_issued_on": "R8.5.10"}, follow_redirects=True).get_data(as_text=True)
    assert "特定創業支援等事業の要件を満たしていないため、証明書を記録できません" in page
    assert "3/4回" in page
    assert _get(app, case_id).certificate_issued_on is None

    counter.post(f"/startups/cases/{case_id}/consultations", data={
        "held_on": "令和8年5月1日", "channel": "phone", "topics": ["sales"], "minutes": "30"})
    page = counter.get(f"/startups/cases/{case_id}").get_data(as_text=True)
    assert "要件を満たしています" in page and "証明書を記録" in page
    page = counter.post(f"/startups/cases/{case_id}/certificate", data={
        "version": _get(app, case_id).version, "certificate_number": "R8-001",
        "certificate_issued_on": "R8.5.10"}, follow_redirects=True).get_data(as_text=True)
    assert "証明書を記録しました" in page and "R8-001" in page
    assert _get(app, case_id).certificate_issued_on == date(2026, 5, 10)


def test_workflow_allows_only_its_transitions(app, login_as):
    case_id = _case(app)
    counter = login_as("counter")

    def move(status, **more):
        return counter.post(f"/startups/cases/{case_id}/status", data={
            "version": _get(app, case_id).version, "status": status, **more},
            follow_redirects=True).get_data(as_text=True)

    assert "「相談中」から「支援完了」には変更できません" in move("supported")
    assert _get(app, case_id).status == "consulting"
    assert "状態を「支援中」にしました" in move("supporting")
    assert "状態を「支援完了」にしました" in move("supported")
    assert "創業日を入力してください" in move("founded")
    assert "状態を「創業済」にしました" in move("founded", founded_on="R8.10.1")
    case = _get(app, case_id)
    assert (case.status, case.founded_on) == ("founded", date(2026, 10, 1))
    assert "変更できません" in move("consulting")
    assert "状態を「取消」にしました" in move("cancelled")
    page = counter.get("/startups/cases").get_data(as_text=True)
    assert 'class="cancelled"' in page  # kept, shown struck through


def test_a_stale_status_change_is_refused(app, login_as):
    case_id = _case(app)
    counter = login_as("counter")
    page = counter.post(f"/startups/cases/{case_id}/status", data={"version": "0", "status": "supporting"},
                        follow_redirects=True).get_data(as_text=True)
    assert "他の人が先に" in page
    assert _get(app, case_id).status == "consulting"


def test_first_consultation_date_follows_the_earliest_log(app, login_as):
    case_id = _case(app, (date(2026, 5, 1), ["management"]), first=date(2026, 6, 1))
    assert _get(app, case_id).first_consulted_on == date(2026, 5, 1)
    counter = login_as("counter")
    response = counter.post(f"/startups/cases/{case_id}/consultations", data={
        "held_on": "2026/4/20", "channel": "counter", "topics": ["finance"], "notes": "資金計画"})
    assert response.status_code == 302
    assert _get(app, case_id).first_consulted_on == date(2026, 4, 20)
    page = counter.get(f"/startups/cases/{case_id}").get_data(as_text=True)
    assert "相談記録（2回）" in page and "資金計画" in page and "令和8年4月20日" in page


def test_case_edit_saves_and_refuses_a_stale_form(app, login_as):
    case_id = _case(app)
    counter = login_as("counter")
    page = counter.get(f"/startups/cases/{case_id}/edit").get_data(as_text=True)
    version = _version(page, "<form")
    form = {"version": version, "business_idea": "ジェラート店", "industry": "飲食", "supporting_body": "cci",
            "staff_id": str(counter.user.id), "first_consulted_on": "R8.4.2", "ref": "S-1"}
    assert counter.post(f"/startups/cases/{case_id}/edit", data=form).status_code == 302
    case = _get(app, case_id)
    assert (case.business_idea, case.supporting_body, case.staff_id, case.first_consulted_on, case.ref) == (
        "ジェラート店", "cci", counter.user.id, date(2026, 4, 2), "S-1")
    page = counter.post(f"/startups/cases/{case_id}/edit", data={**form, "industry": "小売"},
                        follow_redirects=True).get_data(as_text=True)
    assert "他の人が先に" in page
    assert _get(app, case_id).industry == "飲食"


def test_counter_screen_from_nobody_to_a_saved_first_consultation(app, login_as):
    counter = login_as("counter")
    page = counter.get("/startups/counter").get_data(as_text=True)
    assert 'id="counter-q" name="q" type="search" value="" autofocus' in page
    assert f'value="{jp.today().isoformat()}"' in page  # today's date prefilled
    assert re.search(rf'<option selected value="{counter.user.id}">|<option value="{counter.user.id}" selected',
                     page)
    # Nobody found: what was typed becomes the furigana, and the cursor goes to the next empty box.
    page = counter.get("/startups/counter?q=ﾀﾅｶ ﾊﾅｺ").get_data(as_text=True)
    assert "該当する人はいません" in page
    assert 'value="ﾀﾅｶ"' in page and 'value="ﾊﾅｺ"' in page
    assert re.search(r'id="family_name"[^>]*autofocus|autofocus[^>]*id="family_name"', page)
    response = counter.post("/startups/counter", data={
        "q": "ﾀﾅｶ ﾊﾅｺ", "person": "new", "family_name": "田中", "given_name": "花子",
        "family_name_kana": "ﾀﾅｶ", "given_name_kana": "ﾊﾅｺ", "birth_date": "H2.4.1", "phone": "0164-42-1234",
        "business_idea": "留萌港の魚介を使った食堂", "industry": "飲食", "supporting_body": "shinkin",
        "staff_id": str(counter.user.id), "held_on": "R8.4.1", "channel": "counter",
        "topics": ["management", "finance"], "minutes": "45", "notes": "物件を探している"})
    assert response.status_code == 302
    page = counter.get(response.headers["Location"]).get_data(as_text=True)
    assert "田中 花子" in page and "留萌港の魚介を使った食堂" in page and "留萌信用金庫" in page
    assert "相談記録（1回）" in page and "経営・財務" in page and "物件を探している" in page
    assert "未実施の分野: 人材育成・販路開拓" in page
    with app.app_context():
        case = db.session.scalars(sa.select(StartupCase)).one()
        assert (case.first_consulted_on, case.staff_id, case.status) == (date(2026, 4, 1), counter.user.id,
                                                                         "consulting")
        entry = db.session.scalars(sa.select(Consultation)).one()
        assert (entry.staff_id, entry.minutes, entry.channel) == (counter.user.id, 45, "counter")
        person_id = case.person_id

    # She comes back: searching in katakana finds her, already chosen, focus on her.
    page = counter.get("/startups/counter?q=タナカ").get_data(as_text=True)
    assert re.search(rf'value="{person_id}" checked autofocus', page)
    response = counter.post("/startups/counter", data={
        "q": "タナカ", "person": str(person_id), "business_idea": "二号店", "supporting_body": "city",
        "staff_id": str(counter.user.id), "held_on": "R8.6.1", "channel": "phone"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 1
        assert db.session.scalars(sa.select(StartupCase.person_id)).all() == [person_id, person_id]


def test_counter_screen_warns_before_creating_a_duplicate(app, login_as):
    with app.app_context():
        existing = create_person(PersonFields("田中", "花子", "たなか", "はなこ", birth_date=date(1990, 4, 1)))
        db.session.commit()
        existing_id = existing.id
    counter = login_as("counter")
    form = {"person": "new", "family_name": "田中", "given_name": "華子", "family_name_kana": "タナカ",
            "given_name_kana": "ハナコ", "birth_date": "平成2年4月1日", "supporting_body": "city",
            "staff_id": str(counter.user.id), "held_on": "R8.4.1", "channel": "counter"}
    page = counter.post("/startups/counter", data=form).get_data(as_text=True)
    assert "同じ人が既に登録されているかもしれません" in page
    # The existing person is offered, chosen and focused: Enter now uses her.
    assert re.search(rf'value="{existing_id}" checked autofocus', page)
    assert f'name="offered" type="hidden" value="{existing_id}"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StartupCase)) == 0
    # Choosing the found person while a new name is typed, without the warning, is refused...
    page = counter.post("/startups/counter", data={**form, "person": str(existing_id)}).get_data(as_text=True)
    assert "新しい人の氏名も入力されています" in page
    # ...but choosing her from the warning (as the page sends it) uses her.
    assert counter.post("/startups/counter", data={**form, "person": str(existing_id),
                                                   "offered": str(existing_id)}).status_code == 302
    # Or, told it is someone else, staff register a new person.
    assert counter.post("/startups/counter", data={**form, "confirm_new": "y"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 2
        assert sorted(db.session.scalars(sa.select(StartupCase.person_id))) == [existing_id, existing_id + 1]


def test_counter_screen_reports_missing_fields_and_saves_nothing(app, login_as):
    counter = login_as("counter")
    page = counter.post("/startups/counter", data={
        "person": "new", "family_name": "", "family_name_kana": "", "supporting_body": "city",
        "held_on": "", "channel": "counter"}).get_data(as_text=True)
    assert "姓を入力してください" in page and "ふりがなを入力してください" in page
    assert "相談日を入力してください" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Person)) == 0


def test_person_page_offers_the_counter_screen_for_that_person(app, login_as):
    case_id = _case(app)
    person_id = _get(app, case_id).person_id
    counter = login_as("counter")
    page = counter.get(f"/people/{person_id}").get_data(as_text=True)
    assert f"/startups/counter?person_id={person_id}" in page
    page = counter.get(f"/startups/counter?person_id={person_id}").get_data(as_text=True)
    assert re.search(rf'value="{person_id}" checked', page)
    assert re.search(r'id="business_idea"[^>]*autofocus|autofocus[^>]*id="business_idea"', page)


def test_case_list_filters_sorts_and_pages(app, login_as, make_user):
    other = make_user("counter", display_name="佐々木")
    _case(app, family="青木", kana="あおき", first=date(2026, 3, 31))
    _case(app, family="井上", kana="いのうえ", first=date(2026, 4, 1), staff_id=other.id)
    _case(app, family="上田", kana="うえだ", first=date(2027, 3, 31), status="cancelled")
    manager = login_as("manager")

    def names(**params):
        page = manager.get("/startups/cases", query_string=params).get_data(as_text=True)
        return [n for n in ("青木", "井上", "上田") if n in page]

    assert names() == ["青木", "井上", "上田"]
    assert names(fy="2026") == ["井上", "上田"]
    assert names(fy="2025") == ["青木"]
    assert names(status="cancelled") == ["上田"]
    assert names(status="open") == ["青木", "井上"]
    assert names(staff=str(other.id)) == ["井上"]
    assert names(**{"from": "R8.4.1", "to": "2026-12-31"}) == ["井上"]
    assert names(q="ｲﾉｳｴ") == ["井上"]
    page = manager.get("/startups/cases?sort=first_asc").get_data(as_text=True)
    assert page.index("青木") < page.index("井上") < page.index("上田")
    page = manager.get("/startups/cases?sort=first_desc").get_data(as_text=True)
    assert page.index("上田") < page.index("井上") < page.index("青木")
    # Readers see the case but not the forms that write.
    case_page = manager.get("/startups/cases/1").get_data(as_text=True)
    assert "相談記録" in case_page and "相談記録を追加" not in case_page and "編集" not in case_page


def test_case_list_pages(app, login_as):
    with app.app_context(), acting_as("setup"):
        person = create_person(PersonFields("多田", "一", "ただ", "はじめ"))
        for i in range(55):
            open_case(person, first_consulted_on=date(2026, 4, 1), business_idea=f"案{i:02d}")
        db.session.commit()
    counter = login_as("counter")
    assert "1 / 2 ページ（全55件）" in counter.get("/startups/cases").get_data(as_text=True)
    assert "2 / 2 ページ" in counter.get("/startups/cases?page=2").get_data(as_text=True)


def test_startup_pages_are_closed_to_coordinators_and_admins(app, login_as):
    case_id = _case(app)
    for role in ("coordinator", "admin"):
        client = login_as(role)
        assert client.get("/startups/cases").status_code == 403
        assert client.get(f"/startups/cases/{case_id}").status_code == 403
        assert client.get("/startups/counter").status_code == 403


def test_rollup_source_counts_people_and_never_cancelled_cases(app):
    kept = _case(app, first=date(2026, 4, 10), business_idea="パン屋")
    _case(app, family="上田", kana="うえだ", first=date(2026, 5, 1), status="cancelled")
    source = get_source("startup_cases")
    assert source.program == "startups" and source.record_endpoint == "startups.case"
    with app.app_context():
        rows = db.session.execute(source.rows()).mappings().all()
        assert [(r["record_id"], r["event_date"], r["weight"]) for r in rows] == [(kept, date(2026, 4, 10), 1)]
        assert rows[0]["subject_key"] == db.session.get(StartupCase, kept).person_id
        described = db.session.execute(source.describe(sa.select(source.rows().subquery().c.record_id))).all()
    assert [tuple(d) for d in described] == [(kept, "パン屋", "田中 花子", "相談中")]


def _town_of_cases(app):
    """People with one to three cases each (some without a first consultation date, two with the
    same furigana), phone numbers, and one case known by its reference number."""
    people = [("田中", "花子", "たなか", "はなこ", "0164-42-1234"), ("田中", "一郎", "たなか", "いちろう", "0164-42-5678"),
              ("田中", "花子", "たなか", "はなこ", "011-222-3333"), ("高橋", "花", "たかはし", "はな", "0164-43-1234"),
              ("中田", "太郎", "なかた", "たろう", ""), ("佐藤", "たなか", "さとう", "たなか", "0164-44-0001"),
              ("上田", "健", "うえだ", "けん", "0164-45-1234")]
    with app.app_context(), acting_as("setup"):
        for n, (family, given, family_kana, given_kana, phone) in enumerate(people):
            person = create_person(PersonFields(family, given, family_kana, given_kana, phone=phone))
            for k in range(1 + n % 3):
                first = None if (n + k) % 5 == 4 else date(2025 + k, 1 + n, 10 + k)
                c = open_case(person, first_consulted_on=first, business_idea=f"構想{n}-{k}",
                              ref="S-7" if (n, k) == (4, 0) else None)
                c.status = ("consulting", "supporting", "founded")[(n + k) % 3]
        db.session.commit()


@pytest.mark.parametrize("how", ["few", "some", "many"])
def test_the_name_filter_lists_the_same_cases_however_many_people_match(app, login_as, monkeypatch, how):
    """people.MatchingRecords reads the matching people's cases and sorts them (few people match),
    walks the list's order looking each case's person up among them (some), or testing each
    case's person's keys (many): the same cases, pages and counts every way."""
    _town_of_cases(app)
    counter = login_as("counter")
    app.config["PAGE_SIZE"] = 2

    def listed():
        seen = {}
        for q in ("たなか", "ﾀﾅｶ ﾊﾅｺ", "はな", "0164", "1234", "S-7", "ゑ"):
            for sort in ("first_desc", "first_asc", "kana", "status", "updated"):
                for extra in ({}, {"status": "founded"}):
                    for page in (1, 2, 3):
                        html = counter.get("/startups/cases", query_string={"q": q, "sort": sort, "page": page,
                                                                            **extra}).get_data(as_text=True)
                        pager = re.search(r"全\d+件|件以上", html)
                        seen[q, sort, str(extra), page] = (re.findall(r'href="/startups/cases/(\d+)"', html),
                                                           pager and pager.group(0))
        return seen

    expected = listed()  # few people match each text: their cases read and sorted
    assert expected["たなか", "kana", "{}", 1][1] == "全9件"  # 3 Tanakas' 6 cases, the given name たなか's 3
    assert expected["S-7", "first_desc", "{}", 1][0] and expected["ゑ", "first_desc", "{}", 1] == ([], "全0件")
    if how != "few":
        monkeypatch.setattr("casework.people.services.FEW_PEOPLE", 0)
    if how == "many":
        monkeypatch.setattr("casework.people.services.MANY_PEOPLE", 0)
    assert listed() == expected

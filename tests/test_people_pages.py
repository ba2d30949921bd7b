import re
from datetime import date

import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.extensions import db
from casework.people.models import Person
from casework.people.services import PersonFields, create_person
from casework.startups.models import StartupCase
from casework.startups.services import open_case


def _person(app, family="田中", given="花子", fkana="たなか", gkana="はなこ", *, with_case=True, **more):
    with app.app_context():
        person = create_person(PersonFields(family, given, fkana, gkana, **more))
        if with_case:
            open_case(person, business_idea=f"{family}さんの店", first_consulted_on=date(2026, 4, 10))
        db.session.commit()
        return person.id


def _count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_search_finds_a_person_in_any_script_width_and_by_phone(app, login_as):
    _person(app, phone="0164-42-1234")
    _person(app, "佐藤", "一郎", "さとう", "いちろう", phone="011-222-3333")
    counter = login_as("counter")
    for text in ("田中", "たなか", "タナカ", "ﾀﾅｶ", "ﾀﾅｶ ﾊﾅｺ", "たなか　はなこ", "はなこ", "0164421234",
                 "0164-42-1234", "０１６４－４２", "42-1234"):
        page = counter.get("/people/", query_string={"q": text}).get_data(as_text=True)
        assert "田中 花子" in page, text
        assert "佐藤 一郎" not in page, text
    page = counter.get("/people/?q=鈴木").get_data(as_text=True)
    assert "該当する対象者はいません" in page


def test_search_matches_the_start_of_the_family_or_given_name(app, login_as):
    """What a counter clerk types: the start of the family name or of the given name, in kanji or
    furigana (any width), or the first or last digits of the phone number. Letters inside a
    name, or digits inside a number, are not a start: 「なか」 finds 中村, not 田中."""
    _person(app, phone="0164-42-1234")
    _person(app, "中村", "一郎", "なかむら", "いちろう", phone="011-222-3333")
    counter = login_as("counter")

    def names(text):
        page = counter.get("/people/", query_string={"q": text}).get_data(as_text=True)
        return [n for n in ("田中 花子", "中村 一郎") if n in page]

    assert names("花") == ["田中 花子"]
    assert names("ﾊﾅｺ") == ["田中 花子"]
    assert names("たなかは") == ["田中 花子"]
    assert names("なか") == ["中村 一郎"]
    assert names("中") == ["中村 一郎"]
    assert names("1234") == ["田中 花子"]
    assert names("011-2") == ["中村 一郎"]
    assert names("4212") == []
    # The counter's search box finds by the given name too.
    page = counter.get("/startups/counter", query_string={"q": "はなこ"}).get_data(as_text=True)
    assert "田中 花子" in page and "中村 一郎" not in page


def test_people_list_pages_and_sorts(app, login_as):
    for i in range(55):
        _person(app, "山田", f"{i:02d}", "やまだ", f"た{i:02d}", with_case=False)
    counter = login_as("counter")
    page = counter.get("/people/").get_data(as_text=True)
    assert "1 / 2 ページ（全55件）" in page
    page = counter.get("/people/?page=2").get_data(as_text=True)
    assert "2 / 2 ページ" in page and page.count('href="/people/') >= 5
    by_kana = counter.get("/people/").get_data(as_text=True)
    assert "山田 00" in by_kana and "山田 54" not in by_kana
    newest = counter.get("/people/?sort=new").get_data(as_text=True)
    assert "山田 54" in newest and "山田 00" not in newest


def test_person_page_shows_cases_and_records_the_view(app, login_as):
    person_id = _person(app, birth_date=date(1990, 4, 1))
    counter = login_as("counter")
    page = counter.get(f"/people/{person_id}").get_data(as_text=True)
    assert "田中 花子" in page and "創業支援" in page and "田中さんの店" in page
    assert "平成2年4月1日（1990-04-01）" in page
    with app.app_context():
        views = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "view", AuditEntry.person_id == person_id)).all()
    assert [v.username for v in views] == [counter.user.username]


def test_coordinator_and_admin_do_not_see_startup_people(app, login_as):
    person_id = _person(app)
    # The same search by the counter first: its statement is kept per role, never shared.
    assert "田中 花子" in login_as("counter").get("/people/?q=田中").get_data(as_text=True)
    coordinator = login_as("coordinator")
    page = coordinator.get("/people/?q=田中").get_data(as_text=True)
    assert "田中 花子" not in page and "該当する対象者はいません" in page
    assert coordinator.get(f"/people/{person_id}").status_code == 404
    assert login_as("admin").get("/people/").status_code == 403
    manager = login_as("manager")
    assert "田中 花子" in manager.get(f"/people/{person_id}").get_data(as_text=True)
    assert manager.get(f"/people/{person_id}/edit").status_code == 403


def test_new_person_form_warns_about_the_same_furigana_and_birth_date(app, login_as):
    existing = _person(app, birth_date=date(1990, 4, 1), with_case=False)
    counter = login_as("counter")
    form = {"family_name": "田中", "given_name": "花子", "family_name_kana": "ﾀﾅｶ",
            "given_name_kana": "ﾊﾅｺ", "birth_date": "H2.4.1"}
    page = counter.post("/people/new", data=form).get_data(as_text=True)
    assert "同じ人が既に登録されているかもしれません" in page
    assert f'href="/people/{existing}"' in page and "この人を使う" in page
    assert _count(app, Person) == 1
    # Staff who know it is someone else say so, and only then a second person is created.
    response = counter.post("/people/new", data={**form, "confirm_new": "y"})
    assert response.status_code == 302
    assert _count(app, Person) == 2


def test_new_person_form_warns_about_the_same_phone(app, login_as):
    _person(app, phone="0164-42-1234", with_case=False)
    counter = login_as("counter")
    page = counter.post("/people/new", data={
        "family_name": "鈴木", "family_name_kana": "すずき", "phone": "０１６４４２１２３４"}).get_data(as_text=True)
    assert "同じ人が既に登録されているかもしれません" in page and "田中 花子" in page
    assert _count(app, Person) == 1


def test_new_person_refuses_bad_input_in_japanese(app, login_as):
    counter = login_as("counter")
    page = counter.post("/people/new", data={"family_name": "田中", "family_name_kana": "田中",
                                              "birth_date": "令和1年4月30日"}).get_data(as_text=True)
    assert "ふりがなはひらがなかカタカナで入力してください" in page
    assert "令和の始まり" in page
    assert _count(app, Person) == 0


def test_edit_saves_and_a_stale_form_does_not_overwrite(app, login_as):
    person_id = _person(app)
    counter = login_as("counter")
    page = counter.get(f"/people/{person_id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    form = {"version": version, "family_name": "田中", "given_name": "花子", "family_name_kana": "たなか",
            "given_name_kana": "はなこ", "address": "留萌市幸町1丁目"}
    assert counter.post(f"/people/{person_id}/edit", data=form).status_code == 302
    page = counter.post(f"/people/{person_id}/edit", data={**form, "address": "旭川市"},
                        follow_redirects=True).get_data(as_text=True)
    assert "他の人が先に" in page
    with app.app_context():
        assert db.session.get(Person, person_id).address == "留萌市幸町1丁目"


def test_merge_moves_cases_and_the_audit_keeps_both(app, login_as):
    survivor = _person(app, phone="0164-42-1234", birth_date=date(1990, 4, 1))
    duplicate = _person(app, "田中", "はなこ", "タナカ", "ハナコ", email="hanako@example.jp",
                        birth_date=date(1990, 4, 1))
    counter = login_as("counter")
    pick = counter.get(f"/people/{survivor}/merge").get_data(as_text=True)
    assert f"other={duplicate}" in pick  # same furigana and birth date: offered as a duplicate
    confirm = counter.get(f"/people/{survivor}/merge?other={duplicate}").get_data(as_text=True)
    assert "統合の確認" in confirm and "残す人" in confirm and "hanako@example.jp" in confirm
    response = counter.post(f"/people/{survivor}/merge", data={"other_id": duplicate}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "統合しました" in page and "移した記録 1件" in page
    with app.app_context():
        cases = db.session.scalars(sa.select(StartupCase.person_id)).all()
        assert cases == [survivor, survivor]
        merged = db.session.get(Person, duplicate)
        assert merged.merged_into_id == survivor
        assert db.session.get(Person, survivor).email == "hanako@example.jp"
        audited = db.session.scalars(sa.select(AuditEntry.entity_id).where(
            AuditEntry.action == "merge")).all()
    assert sorted(audited) == sorted([str(survivor), str(duplicate)])
    # The merged person's page leads to the survivor; searches list only the survivor.
    response = counter.get(f"/people/{duplicate}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/people/{survivor}")
    listing = counter.get("/people/?q=たなか").get_data(as_text=True)
    assert f'href="/people/{survivor}"' in listing and f'href="/people/{duplicate}"' not in listing
    # Merging again is refused in Japanese.
    assert counter.post(f"/people/{survivor}/merge", data={"other_id": duplicate}).status_code == 404


def test_merge_search_finds_people_who_are_not_obvious_duplicates(app, login_as):
    survivor = _person(app)
    other = _person(app, "田仲", "花子", "たなか", "はなこ", birth_date=date(1990, 1, 1))
    counter = login_as("counter")
    page = counter.get(f"/people/{survivor}/merge?q=田仲").get_data(as_text=True)
    assert f"other={other}" in page

"""The coordinators' pages: recruiting families, registering students, the bed calendar, free
places, the matching helper, who may see what, and how the rest of casework sees this area."""

import re
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from casework import jp
from casework.audit.models import AuditEntry
from casework.auth import permissions
from casework.extensions import db
from casework.people.models import Person
from casework.people.programs import programs
from casework.plans.sources import get_source
from casework.students import services
from casework.students.models import (
    HostFamily,
    HostFamilyStep,
    Placement,
    Student,
    UnavailablePeriod,
)
from tests.conftest import table_row
from tests.permission_table.students import make_family, make_placement, make_student

STUDENT_FORM = {
    "family_name": "山田", "given_name": "太郎", "family_name_kana": "やまだ", "given_name_kana": "たろう",
    "birth_date": "H22.5.1", "ref": "S-100", "gender": "male", "school": "留萌高校", "grade": "1年",
    "home_prefecture": "北海道", "home_municipality": "札幌市", "status": "enrolled",
    "allergens": "そば、卵", "medical_notes": "喘息の吸入薬を持参", "needs_no_pets": "y",
}


def test_recruiting_a_family_through_the_workflow(app, login_as):
    coordinator = login_as("coordinator")
    page = coordinator.post("/students/families/new", data={
        "family_name": "佐藤", "given_name": "一郎", "family_name_kana": "さとう", "given_name_kana": "いちろう",
        "address": "留萌市錦町1-1", "phone": "0164-42-1111", "capacity": "2", "applied_on": "R8.2.1",
        "accepts_boys": "y", "accepts_girls": "y", "allergies_handled": "卵、小麦", "meals": "three",
        "household_members": "妻 花子\n長女 さくら（8歳）"}, follow_redirects=True).get_data(as_text=True)
    assert "受入家庭「佐藤家」の申込を登録しました" in page
    with app.app_context():
        family = db.session.scalar(sa.select(HostFamily))
        family_id = family.id
        assert family.status == "applied" and family.capacity == 2
    url = f"/students/families/{family_id}"
    # The workflow cannot skip the interview and the home visit.
    page = coordinator.post(f"{url}/steps", data={"status": "registered", "done_on": "2026-02-10"},
                            follow_redirects=True).get_data(as_text=True)
    assert "「申込」の次は「面談、登録終了、取消」にしか進めません" in page
    for status, on in (("interviewed", "2026-02-10"), ("home_visited", "2026-02-20"), ("registered", "2026-03-01")):
        page = coordinator.post(f"{url}/steps", data={"status": status, "done_on": on, "note": "確認済み"},
                                follow_redirects=True).get_data(as_text=True)
        assert "を記録しました" in page
    assert "令和8年3月1日" in page and "coordinator staff" in page
    assert page.count("確認済み") == 3
    with app.app_context():
        family = db.session.get(HostFamily, family_id)
        assert family.status == "registered" and family.registered_on == date(2026, 3, 1)
        assert [s.status for s in family.steps] == ["registered", "home_visited", "interviewed", "applied"]


def test_student_registration_with_needs_and_contacts(app, login_as):
    coordinator = login_as("coordinator")
    page = coordinator.post("/students/new", data=STUDENT_FORM, follow_redirects=True).get_data(as_text=True)
    assert "学生「山田 太郎」を登録しました" in page
    assert "そば、卵" in page and "喘息の吸入薬を持参" in page
    assert "保護者の連絡先が登録されていません" in page
    with app.app_context():
        student = db.session.scalar(sa.select(Student))
        assert student.person.birth_date == date(2010, 5, 1) and student.needs_no_pets
    page = coordinator.post(f"/students/{student.id}/contacts", data={
        "kind": "guardian", "name": "山田 花子", "relation": "母", "phone": "011-123-4567"},
        follow_redirects=True).get_data(as_text=True)
    assert "山田 花子" in page and "011-123-4567" in page and "保護者の連絡先が登録されていません" not in page
    # The same person again (same furigana and birth date): offered, not duplicated.
    again = dict(STUDENT_FORM, ref="S-101", family_name_kana="ヤマダ")
    page = coordinator.post("/students/new", data=again).get_data(as_text=True)
    assert "同じ人かもしれない登録があります" in page and "別の人として新しく登録する" in page
    page = coordinator.post("/students/new", data=dict(again, person_choice=str(student.person_id)),
                            follow_redirects=True).get_data(as_text=True)
    assert "既に学生として登録されています" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Student)) == 1


def test_stale_student_edit_overwrites_nothing(app, login_as):
    with app.app_context():
        student_id = make_student(name="古川")
        version = db.session.get(Student, student_id).version
    coordinator = login_as("coordinator")
    form = dict(STUDENT_FORM, family_name="古川", version=version)
    assert coordinator.post(f"/students/{student_id}/edit", data=dict(form, school="留萌高校A")).status_code == 302
    page = coordinator.post(f"/students/{student_id}/edit", data=dict(form, school="留萌高校B"),
                            follow_redirects=True).get_data(as_text=True)
    assert "他の人が先に" in page
    with app.app_context():
        assert db.session.get(Student, student_id).school == "留萌高校A"


def test_counter_and_admin_cannot_reach_a_student_by_guessing_its_url(app, login_as):
    with app.app_context():
        student = make_student(name="秘密", allergens="そば", medical_notes="てんかん")
        family = make_family(name="里親")
        placement = make_placement(student, family, date(2026, 4, 1))
    for role in ("counter", "admin"):
        client = login_as(role)
        for url in (f"/students/{student}", f"/students/{student}/match", f"/students/families/{family}",
                    f"/students/placements/{placement}", "/students/calendar", "/students/list",
                    f"/students/{student + 1000}"):
            response = client.get(url)
            body = response.get_data(as_text=True)
            assert response.status_code == 403, url
            assert "秘密" not in body and "そば" not in body and "てんかん" not in body
        assert "越境学生・里親" not in client.get("/").get_data(as_text=True)
        with app.app_context():
            denied = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "denied")).all()
            assert any(f"/students/{student}" in e.detail for e in denied)


def test_sensitive_fields_only_with_the_capability(app, login_as, monkeypatch):
    with app.app_context():
        student = make_student(name="配慮", allergens="そば", medical_notes="てんかん", needs_no_pets=True)
        family = make_family(name="候補", has_pets=False)
        make_placement(student, family, date(2026, 4, 1))
    coordinator = login_as("coordinator")
    assert "てんかん" in coordinator.get(f"/students/{student}").get_data(as_text=True)
    manager = login_as("manager")
    assert "てんかん" in manager.get(f"/students/{student}").get_data(as_text=True)
    # Never in lists, whoever looks.
    for url in ("/students/list", "/students/calendar?month=2026-04", "/students/free?start=2026-04-01",
                "/students/", f"/students/families/{family}"):
        body = coordinator.get(url).get_data(as_text=True)
        assert "配慮" in body or url == "/students/"
        assert "そば" not in body and "てんかん" not in body, url
    # A reader without students.sensitive (a role the city may add) sees the student, not the needs.
    reduced = dict(permissions.ROLE_CAPABILITIES)
    reduced[permissions.Role.MANAGER] = reduced[permissions.Role.MANAGER] - {"students.sensitive"}
    monkeypatch.setattr(permissions, "ROLE_CAPABILITIES", reduced)
    page = manager.get(f"/students/{student}").get_data(as_text=True)
    assert "配慮 一郎" in page
    assert "てんかん" not in page and "そば" not in page and "配慮が必要なこと" not in page
    match = manager.get(f"/students/{student}/match?start=2026-04-01").get_data(as_text=True)
    assert "そば" not in match and "アレルギー未対応" in match
    # The audit log holds the fact of a change and of a view, never the values.
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity.in_(("students", "placements")))).all()
        assert any(e.action == "view" for e in entries)
        assert any(e.action == "create" and e.after and e.after.get("allergens") == "***" for e in entries)
        for entry in entries:
            assert "そば" not in f"{entry.before} {entry.after} {entry.detail}"
            assert "てんかん" not in f"{entry.before} {entry.after} {entry.detail}"


def test_bed_calendar_shows_who_sleeps_where(app, login_as):
    with app.app_context():
        family = make_family(capacity=2, name="海野")
        a = make_student(name="青木")
        b = make_student(name="馬場")
        make_placement(a, family, date(2026, 3, 20), date(2026, 4, 10))
        make_placement(b, family, date(2026, 4, 11))
        db.session.add(UnavailablePeriod(
            host_family_id=make_family(capacity=1, name="旅行"), starts_on=date(2026, 4, 28), ends_on=date(2026, 5, 3),
            reason="家族旅行"))
        db.session.commit()
    manager = login_as("manager")
    page = manager.get("/students/calendar?month=2026-04").get_data(as_text=True)
    assert "ベッド表 2026年4月" in page
    assert "海野家" in page and "青木 一郎" in page and "馬場 一郎" in page and "旅行家" in page
    # Nights are marked: 青木 10 nights in April (4/1..4/10), 馬場 20 (4/11..4/30).
    aoki_row = page.split("青木 一郎</a></th>")[1].split("</tr>")[0]
    baba_row = page.split("馬場 一郎</a></th>")[1].split("</tr>")[0]
    assert aoki_row.count("■") == 10 and baba_row.count("■") == 20
    free_row = page.split("海野家")[1].split('<tr class="free">')[1].split("</tr>")[0]
    assert free_row.count('class="open">1<') == 30
    trip_row = page.split("旅行家")[1].split('<tr class="free">')[1].split("</tr>")[0]
    assert trip_row.count("休") == 3
    assert "青木" not in manager.get("/students/calendar?month=2026-05").get_data(as_text=True)


def test_free_places_unplaced_students_and_matching(app, login_as):
    with app.app_context():
        full = make_family(capacity=1, name="満室")
        open_family = make_family(capacity=2, name="空室", allergies_handled="そば, 卵", has_pets=False)
        pets = make_family(capacity=3, name="犬飼", has_pets=True, allergies_handled="そば、卵")
        girls_only = make_family(capacity=2, name="女子寮", accepts_boys=False, allergies_handled="そば、卵")
        make_placement(make_student(name="先客"), full, date(2026, 4, 1))
        placed = make_student(name="配置済")
        make_placement(placed, open_family, date(2026, 4, 1), date(2026, 4, 30))
        waiting = make_student(name="待機", allergens="そば", needs_no_pets=True)
        make_student(name="卒業", expected_graduation_on=date(2026, 3, 31))
    coordinator = login_as("coordinator")
    page = coordinator.get("/students/free?start=R8.4.15").get_data(as_text=True)
    assert "空き: 合計 6 人分" in page
    assert "先客 一郎" in page and "配置済 一郎" in page
    page = coordinator.get("/students/unplaced?on=2026-04-15").get_data(as_text=True)
    assert "待機 一郎" in page and "配置なし" in page
    assert "配置済 一郎" not in page and "卒業" not in page
    assert "配置済 一郎" in coordinator.get("/students/unplaced?on=2026-05-01").get_data(as_text=True)
    page = coordinator.get(f"/students/{waiting}/match?start=2026-04-15&end=2026-05-31").get_data(as_text=True)
    fits = page.split("受入可")
    assert len(fits) == 2 and "空室家" in fits[0]  # the one family that fits, listed first
    assert "満室" in page and "ペットあり" in page and "男子の受入なし" in page
    assert f"host_family_id={open_family}" in page
    # Following the link places the student.
    page = coordinator.post("/students/placements/new", data={
        "student_id": waiting, "host_family_id": open_family, "started_on": "2026-04-15", "ended_on": "2026-05-31"},
        follow_redirects=True).get_data(as_text=True)
    assert "待機 一郎さんを空室家に配置しました" in page
    assert pets and girls_only


def test_overview_lists_renewals_screenings_and_gaps(app, login_as):
    today = jp.today()
    with app.app_context():
        make_family(name="更新", renewal_due_on=today + timedelta(days=20))
        make_family(name="先の更新", renewal_due_on=today + timedelta(days=200))
        make_family(name="審査", status="interviewed")
        make_student(name="未定")
    page = login_as("manager").get("/students/").get_data(as_text=True)
    assert "更新家" in page and "先の更新家" not in page
    assert "審査家" in page and "面談" in page
    assert "未定 一郎" in page


def test_rollup_source_and_people_program(app):
    with app.app_context():
        family = make_family(capacity=3)
        a, b = make_student(name="甲", allergens="そば"), make_student(name="乙")
        first = make_placement(a, family, date(2026, 4, 1), date(2026, 5, 31))
        make_placement(a, family, date(2026, 9, 1))
        wrong = make_placement(b, family, date(2026, 4, 1))
        services.cancel_placement(db.session.get(Placement, wrong), "誤り")
        db.session.commit()
        source = get_source("placements")
        rows = db.session.execute(source.rows()).mappings().all()
        assert sorted((r["subject_key"], r["event_date"], r["weight"]) for r in rows) == [
            (a, date(2026, 4, 1), 1), (a, date(2026, 9, 1), 1)]
        described = db.session.execute(source.describe(sa.select(sa.literal(first)))).mappings().all()
        assert described[0]["person"] == "甲 一郎" and "家" in described[0]["title"]
        assert "そば" not in str(dict(described[0]))
        assert source.record_endpoint == "students.placement"
        program = next(p for p in programs() if p.name == "students")
        ids = set(db.session.scalars(sa.select(Person.id).where(program.takes_part())))
        head = db.session.get(HostFamily, family).person_id
        assert head in ids and db.session.get(Student, a).person_id in ids


def test_family_list_rows_show_what_the_family_says(app, login_as, monkeypatch):
    # The list reads columns, not families (paging.paginate(columns=...)), and free_places reads
    # those rows: each row must still say what the family's own properties and free places say.
    monkeypatch.setattr("casework.jp.today", lambda: date(2026, 6, 1))
    with app.app_context():
        hosting = make_family(3, ref="H-1", name="佐藤", renewal_due_on=date(2027, 3, 31))
        make_placement(make_student(), hosting, date(2026, 5, 1))
        away = make_family(2, name="鈴木")
        db.session.add(UnavailablePeriod(host_family_id=away, starts_on=date(2026, 5, 30),
                                         ends_on=date(2026, 6, 2), reason="入院"))
        resting = make_family(2, status="suspended", name="高橋")
        cancelled = make_family(1, status="cancelled", name="伊藤")
        db.session.commit()
        families = list(db.session.scalars(sa.select(HostFamily).order_by(HostFamily.id)))
        free = {f.family.id: f for f in services.free_places(date(2026, 6, 1), families=families)}
        expected = {}
        for f in families:
            shown = (f'<span class="muted">{free[f.id].blocked}</span>' if free[f.id].blocked
                     else str(free[f.id].free))
            expected[f.id] = (
                f'<tr class="{"cancelled" if f.status == "cancelled" else ("inactive" if f.status != "registered" else "")}"> '
                f'<td>{f.ref or ""}</td> <td><a href="/students/families/{f.id}">{f.name}</a><br>'
                f'<span class="muted">{f.person.full_name}（{f.person.full_kana}）</span></td> '
                f'<td>{f.person.address}<br>{f.person.phone}</td> <td class="num">{f.capacity}</td> '
                f'<td class="num">{shown}</td> <td>{jp.format_date_ja(f.renewal_due_on)}</td> '
                f'<td>{f.status_label}</td> </tr>')
    page = login_as("coordinator").get("/students/families").get_data(as_text=True)
    for family_id, row in expected.items():
        assert table_row(page, f'href="/students/families/{family_id}"') == row
    assert "佐藤家" in expected[hosting] and '<td class="num">2</td> <td>令和9年3月31日（2027-03-31）</td> <td>登録</td>' in expected[hosting]
    assert "受入不可" in expected[away] and "入院" in expected[away]
    assert "「休止」" in expected[resting] and 'class="inactive"' in expected[resting]
    assert 'class="cancelled"' in expected[cancelled] and "<td>取消</td>" in expected[cancelled]


# --- the coordinators' lists, a page at a time ------------------------------------------------
# At 1,000,000 cases the overview, the free beds and the unplaced students loaded every family,
# placement and student (8-45 s); they now count in SQL and read one page. These tests hold the
# pages to what the whole lists said: the same rows, in the same order, the same totals.
def _placed(student_id: int, family_id: int, start: date, end: date | None = None, status: str = "placed") -> None:
    """A placement written as it is, past the capacity rule (as an old import or a data fix
    could have left it): the lists must count whatever is there."""
    db.session.add(Placement(student_id=student_id, host_family_id=family_id, started_on=start, ended_on=end,
                             status=status))
    db.session.commit()


def _listed_families(client, url: str) -> list[int]:
    """The families of every page of the list, following its 次へ links."""
    families, page = [], 1
    while True:
        html = client.get(f"{url}&page={page}").get_data(as_text=True)
        families += [int(n) for n in re.findall(r'href="/students/families/(\d+)"', html)]
        if 'rel="next"' not in html:
            return families
        page += 1


def test_free_beds_list_every_registered_family_a_page_at_a_time(app, login_as):
    app.config["PAGE_SIZE"] = 2
    april = (date(2026, 4, 1), date(2026, 4, 30))
    with app.app_context():
        for capacity, name in ((3, "広井"), (2, "空井"), (1, "小井")):
            make_family(capacity, name=name)  # nobody placed: every bed free
        one_of_3 = make_family(3, name="一人")
        make_placement(make_student(), one_of_3, date(2026, 3, 1), date(2026, 4, 10))
        # Three students, never all on the same night: the peak is 2, not 3.
        turns = make_family(3, name="交代")
        for first, last in ((date(2026, 4, 1), date(2026, 4, 10)), (date(2026, 4, 20), date(2026, 4, 30)),
                            (date(2026, 4, 5), date(2026, 4, 25))):
            make_placement(make_student(), turns, first, last)
        full = make_family(1, name="満員")
        make_placement(make_student(), full, date(2026, 4, 15))
        crowded = make_family(1, name="超過")  # more students than beds: no bed free, not fewer
        for _ in range(2):
            _placed(make_student(), crowded, date(2026, 4, 1), date(2026, 4, 30))
        away = make_family(2, name="旅行")
        db.session.add(UnavailablePeriod(host_family_id=away, starts_on=date(2026, 4, 28), ends_on=date(2026, 5, 3),
                                         reason="家族旅行"))
        db.session.commit()
        later = make_family(2, name="新規", registered_on=date(2026, 4, 20))
        cancelled_placement = make_family(2, name="取消済")
        _placed(make_student(), cancelled_placement, date(2026, 4, 1), status="cancelled")
        make_family(2, name="休止中", status="suspended")  # not registered: not listed
        registered = list(db.session.scalars(sa.select(HostFamily).where(HostFamily.status == "registered")))
        places = services.free_places(*april, families=registered)
        by_free = sorted(places, key=lambda p: (-p.free, p.family.person.kana_key, p.family.id))
        by_kana = sorted(places, key=lambda p: (p.family.person.kana_key, p.family.id))
        summary = services.free_summary(*april)
        assert summary.total == sum(p.free for p in places) == 3 + 2 + 1 + 2 + 1 + 2
        assert summary.families == len(places) == 10
        free = {p.family.id: p.free for p in places}
        assert (free[turns], free[crowded], free[away], free[later], free[cancelled_placement]) == (1, 0, 0, 0, 2)
        assert services.free_summary(date(2026, 4, 12)).total == 3 + 2 + 1 + 3 + 2 + 1 + 0 + 2 + 2
    coordinator = login_as("coordinator")
    url = "/students/free?start=2026-04-01&end=2026-04-30"
    assert _listed_families(coordinator, url) == [p.family.id for p in by_free]
    assert _listed_families(coordinator, url + "&sort=kana") == [p.family.id for p in by_kana]
    page = coordinator.get(url + "&page=3").get_data(as_text=True)
    assert "空き: 合計 11 人分" in page and "3 / 5 ページ（全10件）" in page
    shown = {p.family.id: p for p in by_free[4:6]}
    for family_id, p in shown.items():
        assert f'<td class="num">{p.family.capacity}</td> <td class="num">{p.occupied}</td> <td class="num">{p.free}</td>' \
            in table_row(page, f'href="/students/families/{family_id}"')
    assert "家族旅行" in coordinator.get(url + "&sort=kana").get_data(as_text=True) + "".join(
        coordinator.get(f"{url}&sort=kana&page={n}").get_data(as_text=True) for n in range(2, 6))


def test_unplaced_students_a_page_at_a_time_with_the_reason(app, login_as, monkeypatch):
    app.config["PAGE_SIZE"] = 2
    night = date(2026, 4, 15)
    with app.app_context():
        family, other = make_family(2, name="受入"), make_family(2, name="別宅")
        placed = make_student(name="配置済")
        make_placement(placed, family, date(2026, 4, 1))
        waiting = [make_student(name=name) for name in ("青木", "井上", "上野")]
        make_student(name="卒業", expected_graduation_on=date(2026, 3, 31))
        make_student(name="退学", status="left")
        away = make_student(name="旅先")
        make_placement(away, other, date(2026, 4, 1), date(2026, 4, 30))
        db.session.add(UnavailablePeriod(host_family_id=other, starts_on=night, ends_on=date(2026, 4, 16),
                                         reason="入院"))
        resting_family = make_family(1, name="休業")
        resting = make_student(name="休業先")
        make_placement(resting, resting_family, date(2026, 4, 1))
        db.session.execute(sa.update(HostFamily).where(HostFamily.id == resting_family).values(status="suspended"))
        # Placed twice that night, once at a family that can host: the student has a bed.
        twice = make_student(name="二重")
        make_placement(twice, family, date(2026, 4, 1))
        _placed(twice, resting_family, date(2026, 4, 10))
        db.session.commit()
        expected = [s for s in db.session.scalars(
            sa.select(Student).where(Student.id.in_([*waiting, away, resting])).join(Student.person)
            .order_by(Person.kana_key, Student.id))]
        names = [s.person.full_name for s in expected]
    coordinator = login_as("coordinator")
    rows = []
    for page in (1, 2, 3):
        html = coordinator.get(f"/students/unplaced?on=2026-04-15&page={page}").get_data(as_text=True)
        rows += [table_row(html, f"{name}</a>") for name in names if f"{name}</a>" in html]
    assert [next(n for n in names if f"{n}</a>" in row) for row in rows] == names
    reasons = {next(n for n in names if f"{n}</a>" in row): row for row in rows}
    assert "別宅家が受入不可（令和8年4月15日" in reasons["旅先 一郎"] and "入院）" in reasons["旅先 一郎"]
    assert "休業家が「休止」" in reasons["休業先 一郎"]
    assert all("配置なし" in reasons[f"{name} 一郎"] for name in ("青木", "井上", "上野"))
    everything = "".join(coordinator.get(f"/students/unplaced?on=2026-04-15&page={n}").get_data(as_text=True)
                         for n in (1, 2, 3))
    for name in ("配置済", "卒業", "退学", "二重"):
        assert name not in everything
    # The overview lists tonight's first page and counts the new term's, up to the limit.
    monkeypatch.setattr("casework.jp.today", lambda: night)
    overview = coordinator.get("/students/").get_data(as_text=True)
    assert names[0] in overview and names[1] in overview and names[2] not in overview
    assert "続きを見る" in overview
    monkeypatch.setattr("casework.students.routes.COUNT_LIMIT", 3)
    assert "3人以上が未配置です" in coordinator.get("/students/").get_data(as_text=True)


def test_overview_lists_the_placements_an_unavailable_period_puts_out(app, login_as, monkeypatch):
    today = date(2026, 6, 1)
    monkeypatch.setattr("casework.jp.today", lambda: today)
    with app.app_context():
        family, calm = make_family(2, name="留守"), make_family(2, name="平穏")
        staying, leaving, elsewhere = make_student(name="滞在"), make_student(name="退去"), make_student(name="他所")
        make_placement(staying, family, date(2026, 5, 1))
        make_placement(leaving, family, date(2026, 5, 1), date(2026, 6, 9))
        make_placement(elsewhere, calm, date(2026, 5, 1))
        services.add_unavailable(db.session.get(HostFamily, family), date(2026, 6, 10), date(2026, 6, 20), "改装")
        services.add_unavailable(db.session.get(HostFamily, calm), date(2026, 5, 1), date(2026, 5, 31), "過去")
        db.session.commit()
        assert [(u.reason, p.student_id) for u, p in services.upcoming_conflicts(today)] == [("改装", staying)]
    coordinator = login_as("coordinator")
    page = coordinator.get("/students/").get_data(as_text=True)
    conflicts = page.split('id="conflicts-title"')[1].split("</section>")[0]
    assert "留守家" in conflicts and "改装" in conflicts and "滞在 一郎" in conflicts
    assert "退去" not in conflicts and "他所" not in conflicts and "過去" not in conflicts
    assert "2026-06-10" in coordinator.get("/students/unplaced").get_data(as_text=True)


def test_screenings_oldest_last_step_first(app):
    with app.app_context():
        recent, old, none = make_family(name="最近", status="interviewed"), make_family(name="古い", status="applied"), \
            make_family(name="記録なし", status="home_visited")
        make_family(name="登録済")
        for family_id, done_on in ((recent, date(2026, 5, 1)), (old, date(2026, 1, 10)), (old, date(2026, 3, 1)),
                                   (recent, date(2026, 4, 1))):
            db.session.add(HostFamilyStep(host_family_id=family_id, status="applied", done_on=done_on))
        db.session.commit()
        assert [(f.id, last) for f, last in services.screenings_open()] == [
            (none, None), (old, date(2026, 3, 1)), (recent, date(2026, 5, 1))]


@pytest.mark.parametrize("matching", ["few", "most of the town"])
def test_bed_calendar_search_by_name_or_number(app, login_as, monkeypatch, matching):
    if matching != "few":  # the families of many people are found walking the furigana index
        monkeypatch.setattr("casework.people.services.MANY_PEOPLE", 0)
    with app.app_context():
        tanaka = make_family(name="田中", ref="H-2024-0012")
        make_family(name="佐藤", ref="H-2024-0013")
        ended = make_family(name="田中", status="ended")  # no longer hosting and nobody placed: not shown
        hosted = make_family(name="田中")
        make_placement(make_student(name="学生"), hosted, date(2026, 4, 1), date(2026, 4, 30))
        db.session.execute(sa.update(HostFamily).where(HostFamily.id == hosted).values(status="ended"))
        db.session.commit()
    manager = login_as("manager")
    page = manager.get("/students/calendar?month=2026-04&q=" + "田中").get_data(as_text=True)
    assert f"/students/families/{tanaka}" in page and f"/students/families/{hosted}" in page
    assert "佐藤家" not in page and f"/students/families/{ended}" not in page
    assert "全2件" in page
    assert f"/students/families/{hosted}" not in manager.get("/students/calendar?month=2026-05&q=たなか").get_data(
        as_text=True)
    page = manager.get("/students/calendar?month=2026-04&q=2024-001").get_data(as_text=True)
    assert "田中家" in page and "佐藤家" in page and "全2件" in page


# url: the pager's bounded counts made once there is a next page. The free beds in their default
# order know their total from their own counts (services.free_summary).
COORDINATOR_PAGES = {"/students/free": 0, "/students/free?sort=kana": 1, "/students/unplaced": 1, "/students/": 1}


@pytest.mark.parametrize("url", list(COORDINATOR_PAGES))
def test_a_coordinators_page_issues_as_many_queries_for_100_rows_as_for_10(app, login_as, url):
    def statements() -> tuple[int, str]:
        seen = []
        listener = lambda *_args: seen.append(1)  # noqa: E731
        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            html = coordinator.get(url).get_data(as_text=True)
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(seen), html

    def add(count: int) -> None:
        with app.app_context():
            for _ in range(count):
                make_family(2)
                make_student()

    coordinator = login_as("coordinator")
    add(10)
    coordinator.get(url)
    few, _html = statements()
    add(90)
    many, html = statements()
    # 100 rows have a next page: the pager counts them (once, bounded); nothing else grows.
    assert many - few == COORDINATOR_PAGES[url], (few, many)
    assert 'rel="next"' in html or "続きを見る" in html

"""The capacity rule: at no night may a family host more students than its capacity, nor any
student while it is unavailable or not registered; a student never has two placements sharing a
night. Through the forms, the moves and under concurrent requests, on both databases."""

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from casework.extensions import db
from casework.students import services
from casework.students.models import HostFamily, Placement
from casework.students.services import Refused
from tests.conftest import login
from tests.permission_table.students import make_family, make_placement, make_student


def _count(app, **filters) -> int:
    with app.app_context():
        query = sa.select(sa.func.count()).select_from(Placement)
        for name, value in filters.items():
            query = query.where(getattr(Placement, name) == value)
        return db.session.scalar(query)


def _post_placement(client, student, family, start, end=""):
    return client.post("/students/placements/new", data={
        "student_id": student, "host_family_id": family, "started_on": start, "ended_on": end},
        follow_redirects=True)


def test_last_night_and_next_first_night(app, login_as):
    """ended_on is the last night: a placement ending 4/10 and one starting 4/11 share no
    night; one starting 4/10 shares the night of 4/10 and is refused in a family of one bed."""
    with app.app_context():
        family = make_family(capacity=1)
        first, second, third = make_student(), make_student(), make_student()
        make_placement(first, family, date(2026, 4, 1), date(2026, 4, 10))
    coordinator = login_as("coordinator")
    page = _post_placement(coordinator, second, family, "2026-04-10", "2026-04-20").get_data(as_text=True)
    assert "配置できません" in page and "定員（1人）に達している" in page
    assert "令和8年4月10日" in page
    assert _count(app) == 1
    page = _post_placement(coordinator, second, family, "R8.4.11", "令和8年4月20日").get_data(as_text=True)
    assert "配置しました" in page
    # Open-ended: the bed stays taken for every later night.
    page = _post_placement(coordinator, third, family, "2026-04-21", "").get_data(as_text=True)
    assert "配置しました" in page
    page = _post_placement(coordinator, make_student_in(app), family, "2030-01-01", "").get_data(as_text=True)
    assert "定員（1人）に達している" in page and "令和12年1月1日" in page
    assert _count(app) == 3


def make_student_in(app) -> int:
    with app.app_context():
        return make_student()


def test_capacity_counts_every_night_of_the_period(app):
    """Two students in a family of two on different nights leave room; the peak is what counts."""
    with app.app_context():
        family = make_family(capacity=2)
        make_placement(make_student(), family, date(2026, 4, 1), date(2026, 4, 30))
        make_placement(make_student(), family, date(2026, 4, 20), date(2026, 5, 31))
        # Now two sleep there 4/5..4/19 and 4/20..4/30; one 4/1..4/4 and 5/1..5/31.
        make_placement(make_student(), family, date(2026, 4, 5), date(2026, 4, 19))
        late = make_student()
        with pytest.raises(Refused, match="令和8年4月15日（2026-04-15）の夜に定員"):
            services.place(late, family, date(2026, 4, 15), date(2026, 5, 10))
        db.session.rollback()
        make_placement(late, family, date(2026, 5, 1), date(2026, 5, 10))
        assert services.occupancy_peak(family, date(2026, 4, 1), date(2026, 5, 31)) == (2, date(2026, 4, 5))
        assert services.occupancy_peak(family, date(2026, 6, 1), None) == (0, None)


def test_cancelled_placements_never_occupy_a_bed(app, login_as):
    with app.app_context():
        family = make_family(capacity=1)
        wrong = make_placement(make_student(), family, date(2026, 4, 1))
        other = make_student()
    coordinator = login_as("coordinator")
    assert "定員" in _post_placement(coordinator, other, family, "2026-05-01").get_data(as_text=True)
    placement_page = coordinator.get(f"/students/placements/{wrong}").get_data(as_text=True)
    assert "誤登録の取消" in placement_page
    with app.app_context():
        version = db.session.get(Placement, wrong).version
    page = coordinator.post(f"/students/placements/{wrong}/cancel", data={"version": version, "reason": "入力ミス"},
                            follow_redirects=True).get_data(as_text=True)
    assert "取消しました" in page
    assert "配置しました" in _post_placement(coordinator, other, family, "2026-05-01").get_data(as_text=True)
    assert _count(app) == 2 and _count(app, status="cancelled") == 1


def test_unavailable_period_and_unregistered_families(app, login_as):
    with app.app_context():
        family = make_family(capacity=3)
        student = make_student()
    coordinator = login_as("coordinator")
    page = coordinator.post(f"/students/families/{family}/unavailable", data={
        "starts_on": "2026-08-01", "ends_on": "2026-08-05", "reason": "家族旅行"}, follow_redirects=True)
    assert "受入不可期間を追加しました" in page.get_data(as_text=True)
    page = _post_placement(coordinator, student, family, "2026-07-20", "2026-08-01").get_data(as_text=True)
    assert "受け入れできない期間" in page and "家族旅行" in page
    assert "配置しました" in _post_placement(coordinator, student, family, "2026-07-20", "2026-07-31").get_data(as_text=True)
    other = make_student_in(app)
    assert "受け入れできない期間" in _post_placement(coordinator, other, family, "2026-07-01", "").get_data(as_text=True)
    assert "配置しました" in _post_placement(coordinator, other, family, "2026-08-06", "").get_data(as_text=True)
    with app.app_context():
        for status in ("applied", "home_visited", "suspended", "ended"):
            waiting = make_family(capacity=2, status=status)
            with pytest.raises(Refused, match="登録中の家庭だけ"):
                services.place(make_student(), waiting, date(2026, 4, 1), None)
            db.session.rollback()
        registered_later = make_family(capacity=2, registered_on=date(2026, 6, 1))
        with pytest.raises(Refused, match="登録日"):
            services.place(make_student(), registered_later, date(2026, 5, 1), None)
        db.session.rollback()
    # A family that is not registered is not even offered in the form.
    with app.app_context():
        make_family(status="interviewed", name="面談中")
    page = coordinator.get("/students/placements/new").get_data(as_text=True)
    assert "面談中家" not in page and "定員3人" in page
    assert _count(app) == 2


def test_unavailable_period_over_a_placed_student_shows_the_gap(app, login_as):
    """A family falls ill while hosting: the period is recorded, the coordinator is warned and
    the student appears among those without a bed for those nights."""
    with app.app_context():
        family = make_family(capacity=1, name="佐藤")
        student = make_student(name="山田")
        make_placement(student, family, date(2026, 4, 1))
    coordinator = login_as("coordinator")
    page = coordinator.post(f"/students/families/{family}/unavailable", data={
        "starts_on": "2026-09-10", "ends_on": "2026-09-20", "reason": "入院"}, follow_redirects=True).get_data(as_text=True)
    assert "別の家庭を探してください: 山田 一郎" in page
    page = coordinator.get("/students/unplaced?on=2026-09-12").get_data(as_text=True)
    assert "山田 一郎" in page and "佐藤家が受入不可" in page and "入院" in page
    assert "山田 一郎" not in coordinator.get("/students/unplaced?on=2026-09-21").get_data(as_text=True)


def test_a_student_cannot_have_two_placements_sharing_a_night(app, login_as):
    with app.app_context():
        first, second = make_family(capacity=2), make_family(capacity=2)
        student = make_student()
        make_placement(student, first, date(2026, 4, 1), date(2026, 7, 31))
    coordinator = login_as("coordinator")
    page = _post_placement(coordinator, student, second, "2026-07-31", "").get_data(as_text=True)
    assert "配置済みで、期間が重なります" in page
    assert "配置しました" in _post_placement(coordinator, student, second, "2026-08-01", "").get_data(as_text=True)


def test_move_ends_the_night_before_and_starts_the_next_in_one_go(app, login_as):
    with app.app_context():
        old, new, full = make_family(capacity=1), make_family(capacity=1, name="鈴木"), make_family(capacity=1)
        student = make_student(name="移動")
        placement = make_placement(student, old, date(2026, 4, 1), date(2027, 3, 20))
        make_placement(make_student(), full, date(2026, 4, 1))
    coordinator = login_as("coordinator")
    # Into a full family: refused, and the current placement is left exactly as it was.
    page = coordinator.post(f"/students/placements/{placement}/move", data={
        "host_family_id": full, "first_night": "2026-06-01"}, follow_redirects=True).get_data(as_text=True)
    assert "移動できません" in page and "定員（1人）" in page
    with app.app_context():
        assert db.session.get(Placement, placement).ended_on == date(2027, 3, 20)
    page = coordinator.post(f"/students/placements/{placement}/move", data={
        "host_family_id": new, "first_night": "2026-06-01", "reason": "通学の便"}, follow_redirects=True).get_data(as_text=True)
    assert "令和8年6月1日（2026-06-01）から鈴木家です" in page
    with app.app_context():
        rows = db.session.scalars(sa.select(Placement).where(Placement.student_id == student)
                                  .order_by(Placement.started_on)).all()
        assert [(p.host_family_id, p.started_on, p.ended_on) for p in rows] == [
            (old, date(2026, 4, 1), date(2026, 5, 31)), (new, date(2026, 6, 1), date(2027, 3, 20))]
        assert "鈴木家へ移動" in rows[0].end_reason
    # The whole history on one page.
    history = coordinator.get(f"/students/{student}").get_data(as_text=True)
    assert history.index("令和8年5月31日") < history.index("令和8年6月1日")
    assert "鈴木家へ移動（通学の便）" in history
    # The bed at the old family is free from 6/1.
    with app.app_context():
        assert services.occupancy_peak(old, date(2026, 6, 1), None) == (0, None)


def test_early_end_and_extension(app, login_as):
    with app.app_context():
        family = make_family(capacity=1)
        placement = make_placement(make_student(), family, date(2026, 4, 1), date(2026, 7, 31))
        make_placement(make_student(), family, date(2026, 8, 1), date(2026, 8, 31))
    coordinator = login_as("coordinator")

    def end(on):
        with app.app_context():
            version = db.session.get(Placement, placement).version
        return coordinator.post(f"/students/placements/{placement}/end", data={
            "version": version, "ended_on": on, "end_reason": "帰省"}, follow_redirects=True).get_data(as_text=True)

    assert "最終泊日を令和8年8月5日" not in end("2026-08-05")  # would share nights with the next student
    with app.app_context():
        assert db.session.get(Placement, placement).ended_on == date(2026, 7, 31)
    assert "最終泊日を令和8年6月30日（2026-06-30）にしました" in end("2026-06-30")
    assert "開始日以降" in end("2026-03-01")


def test_capacity_and_status_cannot_drop_below_who_is_placed(app, login_as):
    with app.app_context():
        family = make_family(capacity=2)
        make_placement(make_student(), family, date(2026, 4, 1), date(2026, 9, 30))
        make_placement(make_student(), family, date(2026, 5, 1))
        fam = db.session.get(HostFamily, family)
        with pytest.raises(Refused, match="定員を1人にはできません"):
            services.set_capacity(fam, 1)
        db.session.rollback()
    coordinator = login_as("coordinator")
    page = coordinator.post(f"/students/families/{family}/steps", data={
        "status": "suspended", "done_on": "2026-10-01"}, follow_redirects=True).get_data(as_text=True)
    assert "配置されている学生がいるため「休止」にできません" in page
    with app.app_context():
        assert db.session.get(HostFamily, family).status == "registered"


def test_concurrent_requests_for_the_last_free_bed(app, make_user):
    """THE concurrency test: six coordinators press 配置する at the same moment for six
    students and one family with one free bed: exactly one succeeds, five get the Japanese
    refusal, and the database holds exactly one new placement."""
    with app.app_context():
        family = make_family(capacity=2)
        make_placement(make_student(), family, date(2026, 4, 1))
        students = [make_student() for _ in range(6)]
    clients = []
    for _ in range(6):
        client = app.test_client()
        assert login(client, make_user("coordinator").username).status_code == 302
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    results: list[str | None] = [None] * len(clients)

    def request(i: int) -> None:
        barrier.wait()
        response = _post_placement(clients[i], students[i], family, "2026-06-01", "2026-06-30")
        results[i] = f"{response.status_code} {response.get_data(as_text=True)}"

    threads = [threading.Thread(target=request, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert all(r is not None for r in results)
    placed = [r for r in results if "配置しました" in r]
    refused = [r for r in results if "定員（2人）に達しているため" in r]
    assert len(placed) == 1 and len(refused) == 5, [r[:3] for r in results]
    assert _count(app) == 2
    with app.app_context():
        assert services.occupancy_peak(family, date(2026, 4, 1), None)[0] == 2


def test_concurrent_service_calls_hold_on_this_database(app):
    """The same through the service alone: threads with their own app context and session."""
    with app.app_context():
        family = make_family(capacity=1)
        students = [make_student() for _ in range(6)]
    barrier = threading.Barrier(len(students))
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(student: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                services.place(student, family, date(2026, 4, 1), date(2026, 4, 30))
                db.session.commit()
                outcome = "placed"
            except Refused as exc:
                db.session.rollback()
                outcome = exc.reason
            finally:
                db.session.remove()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=attempt, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes.count("placed") == 1
    assert sum("定員（1人）に達している" in o for o in outcomes) == 5
    assert _count(app) == 1

"""Settlement follow-up: checks scheduled from the move-in across fiscal years, what is due this
month and overdue, the repayment rule at its edges, and the 地域おこし協力隊 settlement rate."""

from datetime import date

import pytest

from casework.extensions import db
from casework.migrants import services
from casework.migrants.models import MigrationCase, SupportItem
from casework.people.services import PersonFields, create_person


def _case(app, name="移住", moved_in=None, supports=(), household=1, status="moved_in", **values) -> int:
    with app.app_context():
        person = create_person(PersonFields(name, "太郎", "いじゅう", name, date(1985, 1, 1)))
        case = MigrationCase(person_id=person.id, household_size=household, status=status,
                             moved_in_on=moved_in, **values)
        db.session.add(case)
        for kind, given_on, extra in supports:
            services.add_support(case, SupportItem(kind=kind, given_on=given_on, **extra))
        services.schedule_followups(case)
        db.session.commit()
        return case.id


def _grant(amount=1_000_000, on=date(2027, 3, 1)):
    return ("grant", on, {"amount": amount})


def _schedule(app, case_id):
    with app.app_context():
        case = db.session.get(MigrationCase, case_id)
        return [(f.year_mark, f.due_on) for f in case.followups]


def test_checks_follow_the_move_in_across_fiscal_years(app, login_as, monkeypatch):
    march = _case(app, "三月", date(2027, 3, 31), [_grant()])
    april = _case(app, "四月", date(2027, 4, 1), [_grant()])
    assert _schedule(app, march) == [(1, date(2028, 3, 31)), (3, date(2030, 3, 31)), (5, date(2032, 3, 31))]
    assert _schedule(app, april) == [(1, date(2028, 4, 1)), (3, date(2030, 4, 1)), (5, date(2032, 4, 1))]

    manager = login_as("manager")
    # 31 March 2028 (last day of FY2027): the March household is due today, April's next month.
    monkeypatch.setattr("casework.jp.today", lambda: date(2028, 3, 31))
    page = manager.get("/migrants/followups?which=month").get_data(as_text=True)
    assert "三月 太郎" in page and "四月 太郎" not in page
    assert "期限切れ" not in page.split("<tbody>")[1]
    # 1 April 2028 (FY2028): the March check is overdue, the April check due this month.
    monkeypatch.setattr("casework.jp.today", lambda: date(2028, 4, 1))
    overdue = manager.get("/migrants/followups?which=overdue").get_data(as_text=True)
    assert "三月 太郎" in overdue and "四月 太郎" not in overdue
    month = manager.get("/migrants/followups?which=month").get_data(as_text=True)
    assert "四月 太郎" in month and "三月 太郎" not in month
    both = manager.get("/migrants/followups").get_data(as_text=True)
    assert both.index("三月 太郎") < both.index("四月 太郎")
    assert "全2件" in both


def test_leap_day_move_in_checks_fall_on_28_february(app):
    case_id = _case(app, "閏日", date(2028, 2, 29), [_grant()])
    assert _schedule(app, case_id) == [(1, date(2029, 2, 28)), (3, date(2031, 2, 28)), (5, date(2033, 2, 28))]


def test_changing_or_cancelling_a_case_moves_open_checks(app, login_as):
    case_id = _case(app, "変更", date(2026, 6, 1), [_grant()])
    counter = login_as("counter")
    with app.app_context():
        case = db.session.get(MigrationCase, case_id)
        first = case.followups[0]
        first_id, first_version, version = first.id, first.version, case.version
    counter.post(f"/migrants/{case_id}/followups/{first_id}", data={
        "version": first_version, "outcome": "staying", "checked_on": "2027-06-03"})
    # A corrected move-in moves the open checks; the recorded one stays as history.
    with app.app_context():
        version = db.session.get(MigrationCase, case_id).version
    counter.post(f"/migrants/{case_id}/edit", data={
        "version": version, "household_size": "1", "channel": "phone", "moved_in_on": "2026-07-01"})
    assert _schedule(app, case_id) == [(1, date(2027, 6, 1)), (3, date(2029, 7, 1)), (5, date(2031, 7, 1))]
    # Cancelled: its open checks are gone from every due list.
    with app.app_context():
        version = db.session.get(MigrationCase, case_id).version
    counter.post(f"/migrants/{case_id}/status", data={"version": version, "status": "cancelled"})
    assert _schedule(app, case_id) == [(1, date(2027, 6, 1))]


@pytest.mark.parametrize(("moved_out", "share", "due"), [
    (date(2029, 3, 31), "全額", 1_000_000),  # one day short of 3 years
    (date(2029, 4, 1), "半額", 500_000),  # 3 years to the day: no longer "within 3 years"
    (date(2031, 3, 31), "半額", 500_000),  # one day short of 5 years
    (date(2031, 4, 1), None, 0),  # 5 years to the day: nothing to repay
])
def test_repayment_at_the_three_and_five_year_edges(app, login_as, moved_out, share, due):
    case_id = _case(app, "返還", date(2026, 4, 1), [_grant(700_000, date(2026, 5, 1)), _grant(300_000, date(2026, 6, 1))])
    counter = login_as("counter")
    with app.app_context():
        case = db.session.get(MigrationCase, case_id)
        open_check = next(f for f in case.followups if f.outcome is None and f.due_on > moved_out) \
            if moved_out < date(2031, 4, 1) else case.followups[-1]
        check_id, version = open_check.id, open_check.version
    response = counter.post(f"/migrants/{case_id}/followups/{check_id}", data={
        "version": version, "outcome": "moved_out", "checked_on": moved_out.isoformat(),
        "moved_out_on": moved_out.isoformat()}, follow_redirects=True)
    page = response.get_data(as_text=True)
    with app.app_context():
        case = db.session.get(MigrationCase, case_id)
        assert case.status == "moved_out" and case.moved_out_on == moved_out
        repay = services.repayment(case)
        # Later checks are not needed once the household has left.
        assert all(f.outcome is not None or f.due_on <= moved_out for f in case.followups)
    if share is None:
        assert repay is None and "返還が必要" not in page
    else:
        assert (repay.label, repay.due, repay.granted) == (share, due, 1_000_000)
        assert f"{share} {due:,}円" in page


def test_repayment_settings_are_read_from_config(app):
    case_id = _case(app, "設定", date(2026, 4, 1), [_grant(800_000)], moved_out_on=date(2027, 4, 1),
                    status="moved_out")
    with app.app_context():
        case = db.session.get(MigrationCase, case_id)
        assert services.repayment(case).label == "全額"
        app.config["MIGRANT_REPAY_FULL_YEARS"] = 1
        assert (services.repayment(case).label, services.repayment(case).due) == ("半額", 400_000)
        app.config["MIGRANT_REPAY_HALF_YEARS"] = 1
        assert services.repayment(case) is None


def test_moved_out_needs_a_date(app, login_as):
    case_id = _case(app, "日付", date(2026, 4, 1), [_grant()])
    counter = login_as("counter")
    with app.app_context():
        check = db.session.get(MigrationCase, case_id).followups[0]
        check_id, version = check.id, check.version
    page = counter.post(f"/migrants/{case_id}/followups/{check_id}", data={
        "version": version, "outcome": "moved_out", "checked_on": "2027-04-02"}).get_data(as_text=True)
    assert "転出日を入力してください" in page
    with app.app_context():
        assert db.session.get(MigrationCase, case_id).status == "moved_in"


def _member(start, end, stayed):
    return ("kyoryokutai", start, {"term_start": start, "term_end": end, "stayed_after": stayed})


def test_kyoryokutai_settlement_rate(app, login_as, monkeypatch):
    monkeypatch.setattr("casework.jp.today", lambda: date(2026, 10, 1))
    for i, (end, stayed) in enumerate([
        (date(2013, 3, 31), True), (date(2016, 3, 31), True), (date(2019, 3, 31), False),
        (date(2022, 3, 31), None), (date(2026, 9, 30), True),  # 4 of 5 ended members... see below
        (date(2028, 3, 31), None),  # still serving
    ]):
        _case(app, f"隊員{i}", date(2010 + i * 3, 4, 1), [_member(date(2010 + i * 3, 4, 1), end, stayed)])
    cancelled = _case(app, "誤登録", date(2011, 4, 1), [_member(date(2011, 4, 1), date(2014, 3, 31), True)])
    with app.app_context():
        db.session.get(MigrationCase, cancelled).status = "cancelled"
        db.session.commit()
    page = login_as("manager").get("/migrants/funnel").get_data(as_text=True)
    # Ended: 5 (one ended yesterday); stayed 3, left 1, unknown 1 → 3 / 5 = 60.0%.
    rate = page.split('id="settlement-rate">')[1]
    assert rate.startswith("60.0%")
    assert "6人" in page and "任期中 1人" in page and "任期を終えた隊員</dt><dd>5人" in page

"""Outcomes of partnerships are dated and reported per fiscal year (1 April – 31 March)."""

from datetime import date

import sqlalchemy as sa

from casework.extensions import db
from casework.partnerships.models import Outcome
from casework.partnerships.services import outcome_summary, save_organization, save_partnership


def _partnership(app, status="concluded"):
    with app.app_context():
        org = save_organization(None, name=f"成果テスト{status}", outside_region=True)
        p = save_partnership(None, organization_id=org.id, status=status, agreed_on=date(2025, 6, 1),
                             kind="product_development")
        db.session.commit()
        return p.id


def test_outcomes_on_31_march_and_1_april_fall_in_different_fiscal_years(app, login_as):
    pid = _partnership(app)
    counter = login_as("counter")
    for day, kind, amount in [("2027-03-31", "products", "2"), ("R9.4.1", "products", "1"),
                              ("2027/3/31", "jobs", "5"), ("令和9年4月1日", "investment", "12000")]:
        response = counter.post(f"/partnerships/{pid}/outcomes", data={
            "occurred_on": day, "kind": kind, "amount": amount, "description": "新商品"})
        assert response.status_code == 302
    page = counter.get(f"/partnerships/{pid}").get_data(as_text=True)
    assert "令和8年度" in page and "令和9年度" in page and "12,000万円" in page
    with app.app_context():
        assert outcome_summary(pid) == {
            2027: {"products": 1, "jobs": 0, "investment": 12000},
            2026: {"products": 2, "jobs": 5, "investment": 0},
        }


def test_cancelled_partnerships_outcomes_never_count(app, login_as):
    kept = _partnership(app)
    cancelled = _partnership(app, status="cancelled")
    with app.app_context():
        db.session.add_all([
            Outcome(partnership_id=kept, occurred_on=date(2026, 4, 1), kind="jobs", amount=3),
            Outcome(partnership_id=cancelled, occurred_on=date(2026, 4, 1), kind="jobs", amount=100),
        ])
        db.session.commit()
        assert outcome_summary() == {2026: {"products": 0, "jobs": 3, "investment": 0}}
    manager = login_as("manager")
    page = manager.get("/partnerships/outcomes").get_data(as_text=True)
    assert "令和8年度（2026）" in page and ">3</td>" in page and ">100</td>" not in page


def test_bad_outcome_is_refused_and_nothing_written(app, login_as):
    pid = _partnership(app)
    counter = login_as("counter")
    response = counter.post(f"/partnerships/{pid}/outcomes", data={
        "occurred_on": "R8.2.30", "kind": "jobs", "amount": "0"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "存在しない日付" in page and "1以上の整数" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Outcome)) == 0


def test_outcome_can_be_deleted_only_under_its_own_partnership(app, login_as):
    pid = _partnership(app)
    other = _partnership(app, status="active")
    with app.app_context():
        outcome = Outcome(partnership_id=pid, occurred_on=date(2026, 4, 1), kind="jobs", amount=3)
        db.session.add(outcome)
        db.session.commit()
        oid = outcome.id
    counter = login_as("counter")
    assert counter.post(f"/partnerships/{other}/outcomes/{oid}/delete").status_code == 404
    assert counter.post(f"/partnerships/{pid}/outcomes/{oid}/delete").status_code == 302
    with app.app_context():
        assert db.session.get(Outcome, oid) is None

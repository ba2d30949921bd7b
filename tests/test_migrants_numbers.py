"""The numbers migrant support feeds: inquiries (件), households (世帯) and persons (人), the
funnel of a fiscal year, and the rollup source of indicator 1-01-05-1."""

import re
from datetime import date

import sqlalchemy as sa

from casework.extensions import db
from casework.migrants import reporting
from casework.migrants.models import FollowUp, MigrationCase, SupportItem
from casework.people.services import PersonFields, create_person
from casework.plans.sources import get_source


def _add(name, household, inquired=None, moved_in=None, supports=(), checks=(), status="consulting"):
    person = create_person(PersonFields(name, "", "てすと", name, date(1980, 1, 1)))
    case = MigrationCase(person_id=person.id, household_size=household, inquired_on=inquired,
                         moved_in_on=moved_in, status=status)
    for kind in supports:
        case.supports.append(SupportItem(kind=kind, given_on=inquired, amount=100 if kind == "grant" else None))
    for year, outcome in checks:
        case.followups.append(FollowUp(year_mark=year, due_on=date(2030, 1, year), outcome=outcome,
                                       checked_on=date(2030, 1, year)))
    db.session.add(case)
    return case


def _fixed_data(app) -> dict[str, int]:
    with app.app_context():
        cases = {
            "A": _add("あ", 3, date(2026, 4, 1), date(2026, 8, 1), ["grant"], [(1, "staying"), (3, "staying")]),
            "B": _add("い", 2, date(2027, 3, 31), date(2027, 6, 1), ["housing"], [(1, "staying")]),
            "C": _add("う", 4, date(2026, 10, 1)),
            "D": _add("え", 5, date(2027, 4, 1)),
            "E": _add("お", 6, date(2026, 5, 1), date(2026, 7, 1), ["grant"], [(1, "staying")], status="cancelled"),
            "F": _add("か", 2, None, date(2026, 12, 1), status="moved_in"),
            "G": _add("き", 1, date(2026, 6, 1), date(2026, 9, 1), ["grant"], [(1, "moved_out")]),
        }
        db.session.commit()
        return {key: case.id for key, case in cases.items()}


def _stage_rows(page: str) -> dict[str, tuple[int, int]]:
    rows = re.findall(r'<tr id="stage-(\w+)"><td>[^<]*</td><td class="num">(\d+)</td><td class="num">(\d+)</td>', page)
    return {key: (int(h), int(p)) for key, h, p in rows}


def test_funnel_of_a_fiscal_year_from_fixed_data(app, login_as):
    _fixed_data(app)
    manager = login_as("manager")
    page = manager.get("/migrants/funnel?fy=2026").get_data(as_text=True)
    assert "令和8年度" in page
    assert _stage_rows(page) == {
        "inquiries": (5, 12),  # A B C F G (F placed by its move-in; D is FY2027; E cancelled)
        "supported": (3, 6),  # A B G
        "moved_in": (4, 8),  # A B F G
        "stay1": (2, 5),  # A B (G moved out)
        "stay3": (1, 3),  # A
        "stay5": (0, 0),
    }
    page = manager.get("/migrants/funnel?fy=2027").get_data(as_text=True)
    assert _stage_rows(page)["inquiries"] == (1, 5)


def test_year_totals_count_inquiries_households_and_persons(app, login_as):
    _fixed_data(app)
    with app.app_context():
        totals = reporting.year_totals(2026)
        assert (totals.inquiries, totals.households, totals.persons) == (5, 3, 6)  # A F G moved in
        totals = reporting.year_totals(2027)
        assert (totals.inquiries, totals.households, totals.persons) == (1, 1, 2)  # B moved in
    page = login_as("manager").get("/migrants/funnel?fy=2026").get_data(as_text=True)
    assert "5件" in page and "3世帯" in page and "6人" in page


def test_rollup_source_weighs_households_and_drops_cancelled(app):
    ids = _fixed_data(app)
    source = get_source("migration_cases")
    assert source.program == "migrants" and source.record_endpoint == "migrants.case_detail"
    with app.app_context():
        rows = source.rows().subquery()
        start, end = date(2026, 4, 1), date(2027, 3, 31)
        in_fy2026 = db.session.execute(
            sa.select(sa.func.count(), sa.func.sum(rows.c.weight))
            .where(rows.c.event_date >= start, rows.c.event_date <= end)).one()
        assert tuple(in_fy2026) == (3, 6)  # persons moved in: A 3 + F 2 + G 1
        everything = {r.record_id: (r.subject_key, r.event_date, r.weight)
                      for r in db.session.execute(source.rows())}
        assert ids["E"] not in everything  # cancelled: never counted
        assert everything[ids["C"]] == (ids["C"], None, 4)  # not yet countable
        assert everything[ids["B"]] == (ids["B"], date(2027, 6, 1), 2)
        described = db.session.execute(source.describe(
            sa.select(rows.c.record_id).where(rows.c.event_date >= start, rows.c.event_date <= end))).all()
        assert [(r.record_id, r.status) for r in described] == [
            (ids["A"], "相談"), (ids["G"], "相談"), (ids["F"], "転入済")]
        assert described[0].title == "移住支援 3人世帯" and described[0].person.startswith("あ")

"""Every number opens to exactly the records behind it: the list's count equals the number."""

import sqlalchemy as sa

from tests.test_plans_fixtures import (
    drilldown_data,
)

CODES = ("1-01-01-1", "1-01-05-1", "1-01-05-2", "1-01-06-1")


def _listed(spec, fy, month, scope="to_date", counted=None):
    from casework.plans.rollup import drilldown

    return drilldown(spec, fy, month, scope=scope, per_page=500, counted=counted)


def test_drilldown_counts_equal_the_numbers(app, runner, tmp_path):
    """Every number opens to exactly its records: counted with the drill-down's own query, listed
    row by row, and as read from the rollup (which the page uses instead of counting)."""
    drilldown_data(runner, tmp_path)
    from casework.plans.rollup import RuleSpec, compute

    with app.app_context():
        for fy in (2025, 2026):
            result = compute(fy)
            for code in CODES:
                item = result.get(code)
                spec = RuleSpec(item.source, item.measure, item.window, item.window_start)
                previous = None
                for index, month in enumerate(result.months):
                    listing = _listed(spec, fy, month)
                    assert listing.number == item.values[index], (fy, code, month)
                    assert _listed(spec, fy, month, counted=item).total == listing.total == len(listing.rows)
                    added = _listed(spec, fy, month, "month")
                    assert _listed(spec, fy, month, "month", counted=item).total == added.total == len(added.rows)
                    if previous is not None:
                        assert added.number == item.values[index] - previous, (fy, code, month)
                    previous = item.values[index]
                undated = _listed(spec, fy, result.months[-1], "undated")
                assert undated.total == item.not_countable == len(undated.rows)
                assert _listed(spec, fy, result.months[-1], "undated", counted=item).total == item.not_countable


def test_each_subject_is_listed_once_by_the_record_that_places_it(app, runner, tmp_path):
    drilldown_data(runner, tmp_path)
    from casework.plans.rollup import RuleSpec, compute

    with app.app_context():
        item = compute(2026).get("1-01-05-2")
        spec = RuleSpec(item.source, item.measure, item.window, item.window_start)
        # kato was placed on 2022-04-01 (P3), so not again in 2026 (P4).
        listing = _listed(spec, 2026, "2027-03")
        assert [r.event_date.isoformat() for r in listing.rows] == ["2022-04-01", "2026-07-01"]
        item = compute(2026).get("1-01-01-1")
        spec = RuleSpec(item.source, item.measure, item.window, item.window_start)
        listing = _listed(spec, 2026, "2027-03")
        # tanaka once (April, not May); sato's two cases of the same day once; kato's case of
        # FY2025 does not place him in FY2026; the cancelled case is not listed.
        assert [(r.person, r.event_date.isoformat()) for r in listing.rows] == [
            ("田中 花子", "2026-04-01"), ("佐藤 一郎", "2026-05-20"), ("加藤 四郎", "2026-06-15"),
            ("鈴木 次郎", "2027-03-31")]
        assert _listed(spec, 2026, "2026-05", "month").total == 1  # sato; tanaka was placed in April


def test_pages_follow_the_order_shown_and_stop_at_the_last(app, runner, tmp_path):
    drilldown_data(runner, tmp_path)
    from casework.plans.rollup import RuleSpec, compute, drilldown

    with app.app_context():
        item = compute(2026).get("1-01-01-1")
        spec = RuleSpec(item.source, item.measure, item.window, item.window_start)
        pages = [drilldown(spec, 2026, "2027-03", page=n, per_page=3, counted=item) for n in (1, 2, 99)]
        assert [p.page for p in pages] == [1, 2, 2] and pages[0].pages == 2
        dates = [r.event_date.isoformat() for p in pages[:2] for r in p.rows]
        assert dates == ["2026-04-01", "2026-05-20", "2026-06-15", "2027-03-31"]


def test_records_page_lists_the_number_clicked(app, runner, tmp_path, login_as):
    drilldown_data(runner, tmp_path)
    manager = login_as("manager")
    page = manager.get("/plans/indicators/1-01-01-1/records?fy=2026&month=2026-05")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<strong>2件</strong>" in html
    assert html.count("<tr>") - 1 == 2  # header row + two people (tanaka once)
    household = manager.get("/plans/indicators/1-01-05-1/records?fy=2026&month=2026-06")
    assert "<strong>6人</strong>" in household.get_data(as_text=True)
    undated = manager.get("/plans/indicators/1-01-05-1/records?fy=2026&month=2027-03&scope=undated")
    assert "まだ数えられない記録" in undated.get_data(as_text=True)
    assert "<strong>1件</strong>" in undated.get_data(as_text=True)
    # Each view of the records is in the audit log, with who, what and how many.
    from casework.audit.models import AuditEntry
    from casework.extensions import db

    with manager.application.app_context():
        views = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "plan_drilldown")
                                   .order_by(AuditEntry.id)).all()
        assert [(v.action, v.username, v.entity_id) for v in views][0] == ("view", manager.user.username, "1-01-01-1")
        assert views[0].detail == "1-01-01-1 fy=2026 month=2026-05 scope=to_date page=1 (2件)"
        assert len(views) == 3
    # A coordinator may not open the startup indicator's records: 404, as if missing.
    assert login_as("coordinator").get("/plans/indicators/1-01-01-1/records?fy=2026").status_code == 404

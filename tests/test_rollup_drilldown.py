"""Every number opens to exactly the records behind it: the list's count equals the number."""

from tests.test_plans_fixtures import (
    host_family,
    import_rows,
    load_plan,
    migration,
    placement,
    startup,
)


def _data(runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [
        startup("S1", "tanaka", "2026-04-01"), startup("S2", "tanaka", "2026-05-01"),
        startup("S3", "sato", "2026-05-20"), startup("S4", "suzuki", "2027-03-31"),
        startup("S5", "ito", "2026-06-01", status="cancelled")])
    import_rows(runner, tmp_path, "migration", [
        migration("M1", "tanaka", 3, "2022-03-31"), migration("M2", "sato", 2, "2024-04-01"),
        migration("M3", "suzuki", 4, "2026-06-30"), migration("M4", "kato", 1, "")])
    import_rows(runner, tmp_path, "host-families", [host_family("H1", capacity=9)])
    import_rows(runner, tmp_path, "placements", [
        placement("P1", "ST1", "ito", "2021-09-01", "2022-03-31"),
        placement("P2", "ST1", "ito", "2023-04-01", "2024-03-31"),
        placement("P3", "ST2", "kato", "2022-04-01", "2023-03-31"),
        placement("P4", "ST2", "kato", "2026-04-01"),
        placement("P5", "ST3", "yamada", "2026-07-01")])


def test_drilldown_counts_equal_the_numbers(app, runner, tmp_path):
    _data(runner, tmp_path)
    from casework.extensions import db
    from casework.plans.models import CountingRule
    from casework.plans.rollup import RuleSpec, compute, drilldown

    with app.app_context():
        for fy in (2025, 2026):
            result = compute(fy)
            for code in ("1-01-01-1", "1-01-05-1", "1-01-05-2", "1-01-06-1"):
                item = result.get(code)
                spec = RuleSpec.of(db.session.get(CountingRule, item.rule_id))
                previous = None
                for index, month in enumerate(result.months):
                    listing = drilldown(spec, fy, month, per_page=500)
                    assert listing.number == item.values[index], (fy, code, month)
                    added = drilldown(spec, fy, month, scope="month", per_page=500)
                    if previous is not None:
                        assert added.number == item.values[index] - previous, (fy, code, month)
                    previous = item.values[index]
                undated = drilldown(spec, fy, result.months[-1], scope="undated")
                assert undated.total == item.not_countable
        # The placing record of each student: kato placed 2022-04-01 (P3), not 2026 (P4).
        item = compute(2026).get("1-01-05-2")
        spec = RuleSpec.of(db.session.get(CountingRule, item.rule_id))
        listing = drilldown(spec, 2026, "2027-03")
        assert [r.event_date.isoformat() for r in listing.rows] == ["2022-04-01", "2026-07-01"]


def test_records_page_lists_the_number_clicked(app, runner, tmp_path, login_as):
    _data(runner, tmp_path)
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
    # A coordinator may not open the startup indicator's records: 404, as if missing.
    assert login_as("coordinator").get("/plans/indicators/1-01-01-1/records?fy=2026").status_code == 404

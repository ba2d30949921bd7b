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


def _walk(drill, spec, item, scope, month):
    """Every page read from the cursor of the one before, forwards then backwards."""
    from casework.plans.rollup import DrillCursor

    first = drill(spec, 2026, month, scope=scope, page=1, per_page=1, counted=item)
    forwards, page = [first], first
    while page.page < page.pages:
        page = drill(spec, 2026, month, scope=scope, page=page.page + 1, per_page=1, counted=item,
                     after=DrillCursor.parse(page.after_last))
        forwards.append(page)
    backwards = [page]
    while page.page > 1:
        page = drill(spec, 2026, month, scope=scope, page=page.page - 1, per_page=1, counted=item,
                     before=DrillCursor.parse(page.before_first))
        backwards.append(page)
    return forwards, backwards


def test_pages_read_from_a_cursor_are_the_pages_read_by_number(app, runner, tmp_path):
    """The next and previous links carry the place of the last or first row shown: the pages they
    open are exactly the numbered pages, forwards and backwards, in every source and scope."""
    drilldown_data(runner, tmp_path)
    from casework.plans.rollup import RuleSpec, compute, drilldown

    with app.app_context():
        rollup = compute(2026)
        for code in CODES:
            item = rollup.get(code)
            spec = RuleSpec(item.source, item.measure, item.window, item.window_start)
            for scope, month in (("to_date", "2027-03"), ("month", "2026-05"), ("undated", "2027-03")):
                by_number = [[r.record_id for r in drilldown(spec, 2026, month, scope=scope, page=n, per_page=1,
                                                             counted=item).rows]
                             for n in range(1, drilldown(spec, 2026, month, scope=scope, per_page=1,
                                                         counted=item).pages + 1)]
                forwards, backwards = _walk(drilldown, spec, item, scope, month)
                assert [[r.record_id for r in p.rows] for p in forwards] == by_number, (code, scope)
                assert [[r.record_id for r in p.rows] for p in reversed(backwards)] == by_number, (code, scope)


def test_the_records_pages_links_carry_their_place(app, runner, tmp_path, login_as):
    import re

    drilldown_data(runner, tmp_path)
    app.config["PAGE_SIZE"] = 1
    manager = login_as("manager")
    url = "/plans/indicators/1-01-01-1/records?fy=2026&month=2027-03"
    numbered = [manager.get(f"{url}&page={n}").get_data(as_text=True) for n in (1, 2, 3, 4)]

    def titles(html):
        return re.findall(r'<tr>\s*<td>([^<]+)</td>', html)

    html, followed = numbered[0], [titles(numbered[0])]
    while (link := re.search(r'<a rel="next" href="([^"]+)"', html)):
        assert "after=" in link.group(1)
        html = manager.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
        followed.append(titles(html))
    assert followed == [titles(page) for page in numbered] and len(followed) == 4
    assert all(len(page) == 1 for page in followed) and len({page[0] for page in followed}) == 4
    assert "4 / 4 ページ" in html
    link = re.search(r'<a rel="prev" href="([^"]+)"', html).group(1)
    assert "before=" in link
    assert titles(manager.get(link.replace("&amp;", "&")).get_data(as_text=True)) == titles(numbered[2])
    # A cursor that is not one is ignored: the page is found by its number.
    assert titles(manager.get(f"{url}&page=2&after=nonsense").get_data(as_text=True)) == titles(numbered[1])

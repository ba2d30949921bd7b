"""The managers' dashboard: every indicator with value, target, rate, pace, grade, a chart and
links to the records; counters and coordinators see their own programs' indicators only."""

from datetime import date

from tests.test_plans_fixtures import import_rows, load_plan, startup

ALL = ["1-01-01-1", "1-01-02-1", "1-01-02-2", "1-01-02-3", "1-01-03-1", "1-01-03-2",
       "1-01-04-1", "1-01-04-2", "1-01-05-1", "1-01-05-2", "1-01-06-1"]


def _codes(html: str) -> list[str]:
    return [c for c in ALL if f">{c} " in html]


def test_manager_sees_every_indicator_with_chart_and_links(runner, tmp_path, login_as):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2025-04-02")])
    html = login_as("manager").get("/plans/?fy=2025").get_data(as_text=True)
    assert _codes(html) == ALL
    assert "令和7年度" in html and "<svg" in html and 'style="' not in html and "<script>" not in html
    assert "/plans/indicators/1-01-01-1/records?fy=2025&amp;month=2026-03" in html
    assert "達成率" in html and "50.0%" in html  # 1 of the target 2


def test_current_fiscal_year_is_the_default(runner, login_as):
    load_plan(runner)
    from casework import jp

    fy = jp.fiscal_year_of(jp.today())
    html = login_as("manager").get("/plans/").get_data(as_text=True)
    assert jp.fiscal_year_label(fy) in html


def test_counter_and_coordinator_see_their_programs_only(runner, login_as):
    load_plan(runner)
    counter = login_as("counter").get("/plans/?fy=2026").get_data(as_text=True)
    assert _codes(counter) == ["1-01-01-1", "1-01-05-1", "1-01-06-1"]
    coordinator = login_as("coordinator").get("/plans/?fy=2026").get_data(as_text=True)
    assert _codes(coordinator) == ["1-01-05-2"]
    assert login_as("counter").get("/plans/indicators/1-01-02-1?fy=2026").status_code == 404


def test_pace_and_grade(app):
    from casework.plans.dashboard import grade, steady_pace
    from casework.plans.rollup import IndicatorRollup

    with app.app_context():
        annual = IndicatorRollup(1, "x", "x", "件", "s", "s", "cases", "higher", 1, target=12,
                                 baseline=3, baseline_year=2020, window="annual")
        assert steady_pace(annual, 5, None) == 6  # six months of twelve
        assert grade(annual, 6, 6, year_complete=False) == "S"
        assert grade(annual, 5, 6, year_complete=False) == "A"
        assert grade(annual, 3, 6, year_complete=False) == "B"
        assert grade(annual, 2, 6, year_complete=False) == "C"
        cumulative = IndicatorRollup(2, "y", "y", "人", "s", "s", "cases", "higher", 2, target=30,
                                     baseline=0, baseline_year=2020, window="cumulative")
        assert steady_pace(cumulative, 11, 25) == 30 and steady_pace(cumulative, 5, 24) == 27
        # A level below the baseline, where the target asks for more, is capped at C.
        observed = IndicatorRollup(3, "z", "z", "百万円", "s", "s", "observed", "higher", 3,
                                   target=171, baseline=152, baseline_year=2020)
        assert grade(observed, 150, 171, year_complete=False) == "C"
        assert grade(observed, 165, 171, year_complete=False) == "A"
        from casework.plans.rollup import months_elapsed

        assert months_elapsed(2026, date(2027, 3, 31)) == 12 and months_elapsed(2026, date(2026, 4, 1)) == 1
        assert months_elapsed(2027, date(2027, 3, 31)) == 0


def test_observation_form_and_history(app, runner, login_as):
    load_plan(runner)
    manager = login_as("manager")
    first = manager.post("/plans/indicators/1-01-02-1/observations/new",
                         data={"fiscal_year": "2026", "month": "", "value": "650", "source": "税務課"})
    assert first.status_code == 302
    second = manager.post("/plans/indicators/1-01-02-1/observations/new",
                          data={"fiscal_year": "2026", "month": "", "value": "652", "source": "税務課",
                                "note": "修正申告を反映"}, follow_redirects=True)
    html = second.get_data(as_text=True)
    assert "652" in html and "650" in html and "修正申告を反映" in html
    bad = manager.post("/plans/indicators/1-01-02-1/observations/new",
                       data={"fiscal_year": "2026", "month": "2027-05", "value": "1"})
    assert bad.status_code == 200 and "月ではありません" in bad.get_data(as_text=True)


def test_a_kept_dashboard_is_each_roles_and_languages_own_and_shows_a_confirmation(app, runner, login_as):
    # The body is drawn once per stored rollup, role, language and confirmation (drawn_once).
    load_plan(runner)
    manager, counter, english = login_as("manager"), login_as("counter"), login_as("manager")
    with app.app_context():
        from casework.extensions import db

        db.session.merge(english.user).locale = "en"
        db.session.commit()
    for _ in range(2):
        page = manager.get("/plans/?fy=2025").get_data(as_text=True)
        assert _codes(page) == ALL and "Excel出力" in page and "確定済み" not in page
        page = counter.get("/plans/?fy=2025").get_data(as_text=True)
        assert _codes(page) == ["1-01-01-1", "1-01-05-1", "1-01-06-1"] and "Excel出力" not in page
        page = english.get("/plans/?fy=2025").get_data(as_text=True)
        assert "Excel出力" not in page and "Excel" in page
    assert manager.post("/plans/years/2025/confirm", data={"note": ""}).status_code == 302
    assert "この年度の数値は確定済みです" in manager.get("/plans/?fy=2025").get_data(as_text=True)
    assert "この年度の数値は確定済みです" in counter.get("/plans/?fy=2025").get_data(as_text=True)

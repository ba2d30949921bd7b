"""The rollup is cached per fiscal year and invalidated in the same transaction as any write
that could change it: a write shows on the next view."""

import sqlalchemy as sa

from tests.test_plans_fixtures import import_rows, load_plan, startup


def _startup_value(html: str) -> str:
    row = html.split("1-01-01-1 創業支援対象者数")[1]
    return row.split('<td class="num big">')[1].split("</a>")[0].split(">")[-1].strip()


def test_a_write_shows_on_the_next_view(app, runner, tmp_path, login_as):
    load_plan(runner)
    manager = login_as("manager")
    assert _startup_value(manager.get("/plans/?fy=2025").get_data(as_text=True)) == "0"
    from casework.extensions import db
    from casework.plans.models import RollupCache

    with app.app_context():
        assert db.session.get(RollupCache, 2025) is not None  # the view filled the cache
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2025-04-02")])
    assert _startup_value(manager.get("/plans/?fy=2025").get_data(as_text=True)) == "1"


def test_cache_is_stale_after_a_write_and_not_before(app, runner, tmp_path):
    load_plan(runner)
    from casework.extensions import db
    from casework.plans import cache
    from casework.plans.rollup import rollup

    with app.app_context():
        rollup(2026)
        db.session.commit()
        generation, data = cache.load(db.session, 2026)
        assert data is not None
        rollup(2026)  # served from the cache: no new generation
        db.session.commit()
        assert cache.load(db.session, 2026)[0] == generation
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2026-04-02")])
    with app.app_context():
        new_generation, data = cache.load(db.session, 2026)
        assert new_generation > generation and data is None
        assert rollup(2026).get("1-01-01-1").values[0] == 1


def test_a_rolled_back_write_leaves_the_cache_valid(app, runner, tmp_path):
    load_plan(runner)
    from casework.extensions import db
    from casework.plans import cache
    from casework.plans.models import Target
    from casework.plans.rollup import rollup

    with app.app_context():
        rollup(2026)
        db.session.commit()
        target = db.session.scalars(sa.select(Target)).first()
        target.edited = True
        db.session.flush()
        db.session.rollback()
        assert cache.load(db.session, 2026)[1] is not None


def test_bulk_statements_invalidate_too(app, runner):
    load_plan(runner)
    from casework.extensions import db
    from casework.plans import cache
    from casework.plans.models import Target
    from casework.plans.rollup import rollup

    with app.app_context():
        rollup(2026)
        db.session.commit()
        db.session.execute(sa.update(Target).where(Target.fiscal_year == 2026).values(edited=True))
        db.session.commit()
        assert cache.load(db.session, 2026)[1] is None


def test_a_repeat_view_reuses_the_decoded_rollup_until_a_write(app, runner, tmp_path):
    """Each process keeps the rollups it decoded under the stored rollup's token: a repeat view
    does not decode the JSON again, and a write (a new stored rollup) is seen at once."""
    load_plan(runner)
    from casework.extensions import db
    from casework.plans.rollup import rollup

    with app.app_context():
        first = rollup(2026)
        db.session.commit()
        assert first.token is not None and rollup(2026) is first
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2026-04-02")])
    with app.app_context():
        after = rollup(2026)
        assert after is not first and after.get("1-01-01-1").values[0] == 1


def test_a_rolled_back_write_is_never_shown_even_when_its_generation_comes_back(app, runner):
    """A write that rolled back after a rollup was computed inside it: its generation number is
    used again by the next write, yet neither the rolled-back figures nor stale ones show."""
    load_plan(runner)
    from decimal import Decimal

    from casework.extensions import db
    from casework.plans.models import Indicator, Target
    from casework.plans.rollup import rollup
    from casework.plans.services import save_target

    def target_of(code):
        indicator = db.session.scalar(sa.select(Indicator).where(Indicator.code == code))
        return db.session.scalar(sa.select(Target).where(Target.indicator_id == indicator.id,
                                                         Target.fiscal_year == 2026))

    with app.app_context():
        before = rollup(2026).get("1-01-01-1").target
        db.session.commit()
        save_target(target_of("1-01-01-1"), Decimal("999"))
        assert rollup(2026).get("1-01-01-1").target == Decimal("999")  # inside the write
        db.session.rollback()
        assert rollup(2026).get("1-01-01-1").target == before
        db.session.commit()
        save_target(target_of("1-01-01-1"), Decimal("777"))
        db.session.commit()
        assert rollup(2026).get("1-01-01-1").target == Decimal("777")


def test_the_dashboard_chart_shows_a_write_on_the_next_view(runner, tmp_path, login_as):
    """The charts are drawn once per stored rollup and reused: a write draws them anew."""
    load_plan(runner)
    manager = login_as("manager")

    def april_bar(html: str) -> str:
        row = html.split("1-01-01-1 創業支援対象者数")[1].split("</tr>")[0]
        return row.split("<title>4月末: ")[1].split("</title>")[0]

    assert april_bar(manager.get("/plans/?fy=2025").get_data(as_text=True)).startswith("0")
    assert april_bar(manager.get("/plans/?fy=2025").get_data(as_text=True)).startswith("0")
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2025-04-02")])
    assert april_bar(manager.get("/plans/?fy=2025").get_data(as_text=True)).startswith("1")


def test_a_rollup_cached_before_any_write_is_reused_too(app, runner):
    """A database that was never written to since the plan was loaded (no generation stored)."""
    load_plan(runner)
    from casework.extensions import db
    from casework.plans.models import RollupState
    from casework.plans.rollup import rollup

    with app.app_context():
        db.session.execute(sa.delete(RollupState))
        db.session.commit()
        first = rollup(2026)
        db.session.commit()
        assert first.token is not None and rollup(2026) is first


def test_the_cached_form_gives_back_the_same_rollup(app, runner, tmp_path):
    """Stored and read back, a rollup is the same, record counts included; those counts are kept
    beside the indicators, so that a version of the app that does not know them still reads it."""
    load_plan(runner)
    from tests.test_plans_fixtures import migration

    import_rows(runner, tmp_path, "migration", [migration("M1", "tanaka", 3, "2026-05-01"),
                                                 migration("M2", "sato", 2, "2026-06-01")])
    from casework.plans.rollup import RollupResult, compute

    with app.app_context():
        result = compute(2026)
        data = result.to_data()
        assert RollupResult.from_data(data).indicators == result.indicators
        households = result.get("1-01-05-1")
        assert households.values[2] == 5 and households.records[2] == 2
        assert all("records" not in indicator for indicator in data["indicators"])

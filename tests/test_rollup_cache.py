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

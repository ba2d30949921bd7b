"""The benchmark's own correctness (bench/): the generator writes every program's records, and
the hand-written SQL bench/rollup.py times the rollup against computes the same numbers as
rollup(). Not timed: benchmarks never run as timed tests."""

import sys
from pathlib import Path

import sqlalchemy as sa

from casework.audit.trail import acting_as
from casework.extensions import db
from casework.plans.rollup import compute
from casework.plans.services import load_plan

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

import generate  # noqa: E402
import rollup as bench_rollup  # noqa: E402


def test_generated_cases_give_the_same_numbers_by_rollup_and_by_the_hand_written_sql(app):
    with app.app_context():
        with acting_as("test"):
            load_plan()
            db.session.commit()
        counts = generate._fill(db.engine, 500, 2026, seed=3)
        assert counts["startup_cases"] == 200 and counts["migration_cases"] == 150
        assert counts["placements"] == 100 and counts["partnerships"] == 50
        bench_rollup.check_rules()
        for fy in (2022, 2026):
            result = compute(fy)
            db.session.rollback()
            with db.engine.connect() as conn:
                expected = bench_rollup.hand_rollup(conn, fy)
            for code, (values, undated) in expected.items():
                item = result.get(code)
                assert item.values == values, (fy, code)
                assert item.not_countable == undated, (fy, code)
            assert result.get("1-01-05-1").values[-1] > 0
        cancelled = db.session.scalar(sa.text("SELECT COUNT(*) FROM startup_cases WHERE status = 'cancelled'"))
        assert 0 < cancelled < 20
        db.session.rollback()

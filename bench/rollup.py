"""Time the full rollup of a fiscal year against the fastest hand-written SQL for the same numbers.

    python bench/rollup.py --cases N [--fy 2026] [--repeat 5] [--fresh]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/rollup.py --cases N

Fills a new database with N synthetic cases (bench/generate.py, in a child process; a database
generated before for the same N and kind is reused unless --fresh), then, in one run and on the
same connection pool, takes the best of --repeat timings of

- `casework.plans.rollup.compute(fy)`: the full rollup, bypassing the cache (plan rows, targets,
  rules, observations, one aggregate query per case source, the Python that adds up the months);
- the hand-written SQL: one query per case indicator written directly for its default counting
  rule, run on the driver (exec_driver_sql), and the twelve month-end values added up in Python;

asserts that both give the same twelve values (and the same count of records without a date)
for every case indicator, and prints as its last line

    rollup/sql ratio: R (rollup S s, sql T s, N cases)

Also printed: the peak Python memory of one rollup (tracemalloc) and the process's peak RSS."""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from generate import DATA_DIR  # noqa: E402

# The default rules (docs/domain.md) the hand-written SQL below encodes.
DEFAULT_RULES = {
    "1-01-01-1": ("startup_cases", "distinct_subjects", "annual", None),
    "1-01-05-1": ("migration_cases", "sum_weight", "cumulative", "2022-04-01"),
    "1-01-05-2": ("placements", "distinct_subjects", "cumulative", "2022-04-01"),
    "1-01-06-1": ("partnerships", "count_records", "cumulative", None),
}


def hand_queries(dialect: str) -> dict[str, tuple[str, str]]:
    """code -> (query of (bucket, counted): bucket 0 = before the fiscal year, 1..12 a calendar
    month; query of the number of records without a date)."""
    if dialect == "sqlite":
        def month(col: str) -> str:
            return f"CAST(strftime('%m', {col}) AS INTEGER)"
        true = "1"
    else:
        def month(col: str) -> str:
            return f"CAST(EXTRACT(MONTH FROM {col}) AS INTEGER)"
        true = "true"
    return {
        "1-01-01-1": (
            f"SELECT {month('d')}, COUNT(*) FROM ("
            " SELECT MIN(first_consulted_on) AS d FROM startup_cases"
            " WHERE status <> 'cancelled' AND first_consulted_on BETWEEN :fy_start AND :fy_end"
            " GROUP BY person_id) AS s GROUP BY 1",
            "SELECT COUNT(*) FROM startup_cases WHERE status <> 'cancelled' AND first_consulted_on IS NULL"),
        "1-01-05-1": (
            f"SELECT CASE WHEN moved_in_on < :fy_start THEN 0 ELSE {month('moved_in_on')} END, SUM(household_size)"
            " FROM migration_cases WHERE status <> 'cancelled' AND moved_in_on BETWEEN '2022-04-01' AND :fy_end"
            " GROUP BY 1",
            "SELECT COUNT(*) FROM migration_cases WHERE status <> 'cancelled' AND moved_in_on IS NULL"),
        "1-01-05-2": (
            f"SELECT CASE WHEN f < :fy_start THEN 0 ELSE {month('f')} END, COUNT(*) FROM ("
            " SELECT MIN(started_on) AS f FROM placements WHERE status <> 'cancelled' GROUP BY student_id) AS s"
            " WHERE f BETWEEN '2022-04-01' AND :fy_end GROUP BY 1",
            "SELECT COUNT(*) FROM placements WHERE status <> 'cancelled' AND started_on IS NULL"),
        "1-01-06-1": (
            f"SELECT CASE WHEN p.agreed_on < :fy_start THEN 0 ELSE {month('p.agreed_on')} END, COUNT(*)"
            " FROM partnerships AS p JOIN organizations AS o ON o.id = p.organization_id"
            f" WHERE o.outside_region = {true} AND p.status NOT IN ('cancelled', 'negotiating')"
            " AND p.agreed_on <= :fy_end GROUP BY 1",
            "SELECT COUNT(*) FROM partnerships AS p JOIN organizations AS o ON o.id = p.organization_id"
            f" WHERE o.outside_region = {true} AND p.status <> 'cancelled'"
            " AND (p.status = 'negotiating' OR p.agreed_on IS NULL)"),
    }


def hand_rollup(connection, fy: int) -> dict[str, tuple[list[int], int]]:
    from casework import jp

    fy_start, fy_end = jp.fiscal_year_bounds(fy)
    params = {"fy_start": fy_start.isoformat(), "fy_end": fy_end.isoformat()}
    result = {}
    for code, (aggregate, undated) in hand_queries(connection.dialect.name).items():
        per_month, before = [0] * 12, 0
        for bucket, counted in connection.execute(sa.text(aggregate), params):
            if bucket == 0:
                before += int(counted)
            else:
                per_month[(int(bucket) - 4) % 12] += int(counted)
        values, running = [], before
        for added in per_month:
            running += added
            values.append(running)
        result[code] = (values, int(connection.execute(sa.text(undated)).scalar()))
    return result


def check_rules() -> None:
    from casework.extensions import db
    from casework.plans.models import CountingRule, Indicator

    rows = db.session.execute(sa.select(Indicator.code, CountingRule.source, CountingRule.measure,
                                        CountingRule.window, CountingRule.window_start)
                              .join(CountingRule, CountingRule.indicator_id == Indicator.id)
                              .where(CountingRule.current.is_(True))).all()
    found = {r[0]: (r[1], r[2], r[3], r[4].isoformat() if r[4] else None) for r in rows}
    assert found == DEFAULT_RULES, f"the counting rules are not the defaults the SQL encodes: {found}"


def best_of(repeat: int, run) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = run()
        best = min(best, time.perf_counter() - start)
    return best, value


def prepared_database(cases: int, fresh: bool) -> str:
    """URL of a generated database for N cases: reused when it holds exactly that, else made."""
    server = os.environ.get("DATABASE_URL", "").strip()
    if server.startswith("postgres"):
        url = sa.make_url(server).set(drivername="postgresql+psycopg", database=f"casework_bench_{cases}")
        url = url.render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{(DATA_DIR / f'cases-{cases}.db').resolve()}"
    if not fresh and _holds(url, cases):
        print(f"reusing the generated database for {cases} cases")
        return url
    print(f"generating {cases} cases ...", flush=True)
    start = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "--cases", str(cases)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    print(f"generated in {time.perf_counter() - start:.1f} s")
    assert _holds(url, cases)
    return url


def _holds(url: str, cases: int) -> bool:
    if url.startswith("sqlite") and not Path(sa.make_url(url).database).exists():
        return False
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            total = conn.execute(sa.text(
                "SELECT (SELECT COUNT(*) FROM startup_cases) + (SELECT COUNT(*) FROM migration_cases)"
                " + (SELECT COUNT(*) FROM placements) + (SELECT COUNT(*) FROM partnerships)")).scalar()
            schema = {row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))}
            # A database made before the latest migration lacks its indexes: made again.
            return total == cases and schema == _migration_heads()
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def _migration_heads() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return set(ScriptDirectory.from_config(config).get_heads())


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--fy", type=int, default=2026)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--fresh", action="store_true", help="generate again even if a database exists")
    args = parser.parse_args(argv)

    url = prepared_database(args.cases, args.fresh)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CASEWORK_INSTANCE", str(DATA_DIR / "instance"))
    from casework import create_app
    from casework.db import deferred_sqlite_transactions
    from casework.extensions import db
    from casework.plans.rollup import compute

    app = create_app()
    with app.app_context(), deferred_sqlite_transactions():
        check_rules()
        db.session.rollback()

        def run_rollup():
            try:
                return compute(args.fy)
            finally:
                db.session.rollback()

        def run_sql():
            with db.engine.connect() as conn:
                return hand_rollup(conn, args.fy)

        # Warm both (page cache, statement caches) before timing; alternate the two.
        run_rollup(), run_sql()
        rollup_s, sql_s = float("inf"), float("inf")
        for _ in range(args.repeat):
            t, result = best_of(1, run_rollup)
            rollup_s = min(rollup_s, t)
            t, expected = best_of(1, run_sql)
            sql_s = min(sql_s, t)
        for code, (values, undated) in expected.items():
            item = result.get(code)
            assert item.values == values, f"{code}: rollup {item.values} != sql {values}"
            assert item.not_countable == undated, f"{code}: not countable {item.not_countable} != {undated}"
            print(f"{code}: March {values[-1]} (not yet countable {undated})")
        tracemalloc.start()
        run_rollup()
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"database: {db.engine.dialect.name}; fiscal year {args.fy}; best of {args.repeat}")
        print(f"rollup peak Python memory (tracemalloc): {peak / 1024 / 1024:.1f} MB; process peak RSS: {rss_mb:.0f} MB")
        db.engine.dispose()
    print(f"rollup/sql ratio: {rollup_s / sql_s:.2f} (rollup {rollup_s:.3f} s, sql {sql_s:.3f} s, {args.cases} cases)")


if __name__ == "__main__":
    main()

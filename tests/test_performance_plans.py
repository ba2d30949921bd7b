"""The hot paths use the indexes they were measured with (bench/README.md), so a refactor cannot
silently fall back to a full scan: the rollup's one aggregate query per source reads the source's
covering index, and the people search and list walk the furigana index.

SQLite: EXPLAIN QUERY PLAN. PostgreSQL: EXPLAIN, with `SET LOCAL enable_seqscan = off` in the
test's transaction (with a handful of rows the planner rightly prefers a sequential scan; this
asks whether the index can serve the query at all)."""

from datetime import date

import pytest

from casework.extensions import db
from casework.people import services as people
from casework.people.models import Person
from casework.plans.rollup import RuleSpec, _aggregate
from casework.plans.sources import get_source

# (source, measure, window, window start): the default counting rules (docs/domain.md).
RULES = {
    "startup_cases": ("distinct_subjects", "annual", None),
    "migration_cases": ("sum_weight", "cumulative", date(2022, 4, 1)),
    "placements": ("distinct_subjects", "cumulative", date(2022, 4, 1)),
    "partnerships": ("count_records", "cumulative", None),
}
COVERING = {
    "startup_cases": "ix_startup_cases_rollup",
    "migration_cases": "ix_migration_cases_rollup",
    "placements": "ix_placements_rollup",
    "partnerships": "ix_partnerships_rollup",
}


def plan_of(statement) -> str:
    """The query plan as one text, one line per step."""
    connection = db.session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        return "\n".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
    return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))


def _sqlite_scans(plan: str, table: str) -> bool:
    """A step reading every row of the table itself (not through an index)."""
    return any(line.strip() in (f"SCAN {table}", f"SCAN {table} AS {table}") for line in plan.splitlines())


@pytest.mark.parametrize("source_name", list(RULES))
def test_the_rollup_reads_each_source_through_its_covering_index(app, source_name):
    measure, window, start = RULES[source_name]
    with app.app_context():
        query = _aggregate(RuleSpec(source_name, measure, window, start), get_source(source_name), 2026)
        plan = plan_of(query)
        db.session.rollback()
        dialect = db.engine.dialect.name
    assert COVERING[source_name] in plan, plan
    if dialect == "sqlite":
        assert "USING COVERING INDEX " + COVERING[source_name] in plan, plan
        assert not _sqlite_scans(plan, source_name), plan
    else:
        assert f"Seq Scan on {source_name}" not in plan, plan


def test_the_people_list_walks_the_furigana_index(app):
    """The people page (and its search) is ordered by furigana: the index gives that order, so a
    page of 50 never sorts the whole table."""
    with app.app_context():
        query = people.search("").order_by(None).order_by(Person.kana_key, Person.id).limit(50)
        plan = plan_of(query)
        db.session.rollback()
        dialect = db.engine.dialect.name
    assert "ix_people_kana_key" in plan, plan
    if dialect == "sqlite":
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    else:
        assert "Seq Scan on people" not in plan, plan


def test_matching_a_person_seeks_the_furigana_and_birth_date_index(app):
    """Imports and the counter match people by folded furigana and birth date: one index seek."""
    with app.app_context():
        query = people.live_people().where(Person.kana_key == "たなかはなこ",
                                           Person.birth_date == date(1990, 4, 1)).limit(1)
        plan = plan_of(query)
        db.session.rollback()
    assert "ix_people_kana_key" in plan, plan

"""The hot paths use the indexes they were measured with (bench/README.md), so a refactor cannot
silently fall back to a full scan: the rollup's one aggregate query per source reads the source's
covering index, and the people search and list walk the furigana index.

SQLite: EXPLAIN QUERY PLAN. PostgreSQL: EXPLAIN, with `SET LOCAL enable_seqscan = off` in the
test's transaction (with a handful of rows the planner rightly prefers a sequential scan; this
asks whether the index can serve the query at all)."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from casework import jp
from casework.extensions import db
from casework.people import services as people
from casework.people.models import Person
from casework.plans.rollup import DrillCursor, RuleSpec, _aggregate, drill_page
from casework.plans.sources import get_source
from casework.startups import services as startups
from casework.startups.models import StartupCase
from casework.students.models import HostFamily

NOW = datetime(2026, 4, 1, tzinfo=UTC)
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
# Other indexes that hold every column the aggregate reads. ix_placements_drilldown (start date,
# status, student) is one: PostgreSQL's planner picks it for the rollup on a near-empty table, and
# ix_placements_rollup at 1,000,000 cases (an Index Only Scan, bench/README.md).
ALSO_COVERING = {"placements": ("ix_placements_drilldown",),
                 # The drill-down's order (the date expression, id), holding status and organization.
                 "partnerships": ("ix_partnerships_drilldown",),
                 # The startup list's order (date DESC NULLS LAST, id), holding status and person.
                 "startup_cases": ("ix_startup_cases_newest",)}


def plan_of(statement, params: dict | None = None) -> str:
    """The query plan as one text, one line per step (`params`: values of its bound parameters)."""
    connection = db.session.connection()
    if params:
        statement = statement.params(**params)
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
    covering = (COVERING[source_name], *ALSO_COVERING.get(source_name, ()))
    assert any(name in plan for name in covering), plan
    if dialect == "sqlite":
        assert any("USING COVERING INDEX " + name in plan for name in covering), plan
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
    assert "ix_people_live_kana_key" in plan, plan
    if dialect == "sqlite":
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan, plan
    else:
        assert "Seq Scan on people" not in plan and "Sort" not in plan, plan


@pytest.fixture
def town(app):
    """2,000 people with a few dozen names, so that PostgreSQL's planner weighs the person
    indexes by what they hold (on empty tables every index costs the same)."""
    families = [("田中", "たなか"), ("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("伊藤", "いとう")]
    givens = [("花子", "はなこ"), ("太郎", "たろう"), ("一郎", "いちろう"), ("陽子", "ようこ"), ("健", "けん")]
    rows = []
    for n in range(2000):
        (family, family_kana), (given, given_kana) = families[n % 5], givens[n // 5 % 5]
        phone = f"0164{n % 97:02d}{n:04d}"
        rows.append(dict(
            family_name=family, given_name=given, family_name_kana=family_kana, given_name_kana=given_kana,
            birth_date=date(1950, 1, 1) + timedelta(days=n * 7), phone=phone, name_key=jp.fold(family + given),
            kana_key=jp.fold_kana_name(family_kana, given_kana), given_name_key=jp.fold(given),
            given_kana_key=jp.fold(given_kana), phone_key=phone, phone_tail_key=phone[::-1],
            created_at=NOW, updated_at=NOW))
    with app.app_context(), db.engine.begin() as conn:
        conn.execute(Person.__table__.insert(), rows)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE people")


def test_matching_a_person_seeks_the_furigana_and_birth_date_index(app, town):
    """Imports and the counter match people by folded furigana and birth date: one index seek."""
    with app.app_context():
        query = people.live_people().where(Person.kana_key == "たなかはなこ",
                                           Person.birth_date == date(1990, 4, 1)).limit(1)
        plan = plan_of(query)
        db.session.rollback()
    assert "ix_people_kana_key" in plan, plan


def _plain_plan(statement) -> str:
    """plan_of without imposing anything: the plan the planner picks by itself."""
    connection = db.session.connection()
    sql = str(statement.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    if connection.dialect.name == "sqlite":
        return "\n".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
    return "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))


@pytest.mark.parametrize("statistics", ["analyzed", "none"])
def test_the_import_matches_a_chunk_of_people_with_one_index_probe_per_key(app, town, statistics):
    """The batched import reads the people a chunk's rows may name in one query
    (people.matching_people): one probe of ix_people_kana_key_birth_date per key, whatever the
    statistics, so a chunk costs the same at 1,000 people or 1,000,000 (bench/README.md, "Import").

    Asked of the plain EXPLAIN, nothing imposed. "none" is the import's case on PostgreSQL: the
    people written earlier in the import's own transaction, on a table never analyzed. There the
    planner takes `merged_into_id IS NULL` as 0.5 % of the rows and the keys as 100, so a plain
    join of the keys with people hash-joined them with every live person (read through a partial
    index of the live people); matching_people's LATERAL subquery (OFFSET 0) leaves it a nested
    loop over the keys, each an Index Scan of the (kana_key, birth_date) index, merged people
    dropped after. SQLite: the keys (json_each) are the outer loop, each a SEARCH of that index."""
    keys = {(jp.fold_kana_name("たなか", "はなこ"), date(1950, 1, 1)),
            (jp.fold_kana_name("さとう", "たろう"), date(1950, 2, 12)),
            (jp.fold_kana_name("すずき", "いちろう"), date(1999, 12, 31))}
    with app.app_context():
        connection = db.session.connection()
        dialect = connection.dialect.name
        if statistics == "analyzed":
            connection.exec_driver_sql("ANALYZE people" if dialect == "postgresql" else "ANALYZE")
        elif dialect == "postgresql":
            # The statistics of a table nobody analyzed yet, in this transaction only.
            if not connection.exec_driver_sql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").scalar():
                db.session.rollback()
                pytest.skip("removing a table's statistics takes a superuser")
            connection.exec_driver_sql("DELETE FROM pg_statistic WHERE starelid = 'people'::regclass")
        plan = _plain_plan(people.matching_people(keys))
        db.session.rollback()
    if dialect == "sqlite":
        lines = plan.splitlines()
        assert lines[0].startswith("SCAN json_each"), plan
        assert "SEARCH people USING INDEX ix_people_kana_key_birth_date (kana_key=? AND birth_date=?)" in plan, plan
        assert not _sqlite_scans(plan, "people"), plan
    else:
        assert "Hash" not in plan and "Merge" not in plan and "Seq Scan" not in plan, plan
        loop, keys_scan, probe = (next(i for i, line in enumerate(plan.splitlines()) if text in line)
                                  for text in ("Nested Loop", "Function Scan on json_to_recordset",
                                               "Index Scan using ix_people_kana_key_birth_date on people"))
        assert loop < keys_scan < probe, plan  # the keys outside, the index probed for each
        assert "Index Cond: (((kana_key)::text = keys.k) AND (birth_date = keys.d))" in plan, plan


# The person search: each way of matching (people.services.match_conditions) is one range of its
# own partial index of the live people, read in furigana order and cut at the page's window, so
# a page of "ﾀﾅｶ" among 870,000 people reads about 50 index entries (bench/README.md, "Pages").
SEARCH_RANGES = {
    "ﾀﾅｶ": ("kana_key", "name_key", "given_kana_key", "given_name_key"),
    "0164-42": ("phone_key", "phone_tail_key"),
}


def _pg_range(plan: str, key: str) -> bool:
    """An index condition of the plan is a range starting at the key: key >= '...'."""
    return any("Index Cond:" in line and re.search(rf"[( ]\(?{key}\)?(::text)? >= ", line)
               for line in plan.splitlines())


@pytest.mark.parametrize("text", list(SEARCH_RANGES))
def test_a_person_search_page_reads_one_index_range_per_way_of_matching(app, make_user, town, text):
    counter = make_user("counter")
    with app.app_context():
        search = people.PersonSearch(text, counter)
        page_plan = plan_of(search.people(51).limit(51), search.params)
        count_plan = plan_of(search.ids(1001), search.params)
        db.session.rollback()
        dialect = db.engine.dialect.name
    for key in SEARCH_RANGES[text]:
        index = f"ix_people_live_{key}"
        if dialect == "sqlite":
            # Read from the index alone (it holds the furigana and id), in the order wanted.
            assert f"SEARCH people USING COVERING INDEX {index} ({key}>? AND {key}<?)" in page_plan, page_plan
            assert f"SEARCH people USING COVERING INDEX {index} ({key}>? AND {key}<?)" in count_plan, count_plan
        else:
            # A range of the key's own index for a page; for the count's window of 1,001 among
            # 2,000 people the planner may rightly prefer a bitmap of another index on the key.
            assert index in page_plan and _pg_range(page_plan, key), page_plan
            assert _pg_range(count_plan, key), count_plan
    for plan in (page_plan, count_plan):
        if dialect == "sqlite":
            assert not _sqlite_scans(plan, "people"), plan
        else:
            assert "Seq Scan on people" not in plan, plan


# Who takes part in each program a manager reads (people.programs: takes_part), by the person_id
# index of each table. `people.id IN (SELECT person_id FROM startup_cases)` made PostgreSQL rescan
# 400,000 cases for every person once the ids outgrew work_mem, and SQLite collect every id first:
# a manager's search took minutes (PostgreSQL) and 2.5 s (SQLite) at 1,000,000 cases.
PROGRAM_TABLES = ("startup_cases", "migration_cases", "students", "host_families")


def _subplans_run_per_row(plan: str) -> dict[str, str]:
    """PostgreSQL: the text of each subplan that is run again for every row (not hashed once)."""
    lines = plan.splitlines()
    per_row = {number for line in lines for number in re.findall(r"(?<!hashed )SubPlan (\d+)\)", line)}
    texts, current = {}, None
    for line in lines:
        header = re.fullmatch(r"\s*SubPlan (\d+)", line)
        if header:
            current = header.group(1) if header.group(1) in per_row else None
            texts.setdefault(current, "")
        elif current:
            texts[current] += line + "\n"
    texts.pop(None, None)
    return texts


@pytest.mark.parametrize("text", ["ﾀﾅｶ", ""])
def test_a_manager_search_asks_each_program_about_each_person_by_index(app, make_user, town, text):
    manager = make_user("manager")
    with app.app_context():
        assert not manager.can("people.write")  # the search is restricted to the programs' people
        search = people.PersonSearch(text, manager)
        plans = [plan_of(search.people(51).limit(51), search.params), plan_of(search.ids(1001), search.params)]
        db.session.rollback()
        dialect = db.engine.dialect.name
    for plan in plans:
        if dialect == "sqlite":
            for table in PROGRAM_TABLES:
                assert f"SEARCH {table} USING COVERING INDEX ix_{table}_person_id (person_id=?)" in plan, plan
                assert not any(line.strip().startswith(f"SCAN {table}") for line in plan.splitlines()), plan
        else:
            # With a few rows PostgreSQL hashes each program's people once; at 1,000,000 cases they
            # outgrow work_mem and the subplan runs per person: then it must be a probe by person.
            for subplan in _subplans_run_per_row(plan).values():
                assert re.search(r"Index Cond: \(person_id = people(_\d+)?\.id\)", subplan), plan


def test_the_furigana_range_gives_its_order_so_only_the_union_is_sorted(app, make_user, town):
    """The branch of the search that staff use most (the start of the furigana) needs no sort:
    its index holds the furigana order."""
    counter = make_user("counter")
    with app.app_context():
        branch = (people.live_people().with_only_columns(Person.id)
                  .where(people.starts_with(Person.kana_key, "たなか")).order_by(*people.SEARCH_ORDER).limit(51))
        plan = plan_of(branch)
        assert people.SEARCH_ORDERS[people.PersonSearch("ﾀﾅｶ", counter).sort] == people.SEARCH_ORDER
        db.session.rollback()
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        assert plan == "SEARCH people USING COVERING INDEX ix_people_live_kana_key (kana_key>? AND kana_key<?)", plan
    else:
        assert "ix_people_live_kana_key" in plan and "Sort" not in plan, plan


def test_a_list_in_furigana_order_walks_the_people_index(app, town):
    """Host families (and students) listed by their person's furigana: the furigana index is
    walked, each person asked for a record, until the page is full; the records are not all
    joined and sorted (53,000 host families: 20 ms a page on SQLite before)."""
    with app.app_context():
        plan = plan_of(people.in_kana_order(HostFamily, [], 51).limit(51))
        db.session.rollback()
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        assert "SCAN people USING COVERING INDEX ix_people_live_kana_key" in plan, plan
        assert not _sqlite_scans(plan, "host_families") and "SCAN host_families" not in plan, plan
    else:
        # With 2,000 people PostgreSQL rightly merges the two tables by id; at 1,000,000 cases it
        # walks ix_people_live_kana_key (Index Only Scan, bench/README.md). Never a full scan.
        assert "Seq Scan" not in plan, plan


def _list_query(app, make_user, role: str, url: str) -> tuple[str, object]:
    """The page query a list view runs (its first statement after the user's) and its parameters."""
    from casework.extensions import db as database

    client = app.test_client()
    from tests.conftest import login

    user = make_user(role)
    assert login(client, user.username).status_code == 302
    seen = []

    def keep(_conn, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters))

    with app.app_context():
        engine = database.engine
    sa.event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", keep)
    return next((statement, parameters) for statement, parameters in seen
                if " LIMIT " in statement and "users" not in statement.split("FROM")[1][:30])


# Each list's default order is read from an index, never sorted in full (bench/README.md).
LIST_ORDERS = {  # url: (role, table, index that holds the order)
    "/startups/cases": ("counter", "startup_cases", "ix_startup_cases_newest"),
    "/partnerships/": ("counter", "partnerships", "ix_partnerships_newest"),
    "/migrants/": ("counter", "migration_cases", "ix_migration_cases_cohort"),
}


@pytest.mark.parametrize("url", list(LIST_ORDERS))
def test_a_case_list_reads_its_default_order_from_an_index(app, make_user, url):
    role, table, index = LIST_ORDERS[url]
    statement, parameters = _list_query(app, make_user, role, url)
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name == "sqlite":
            plan = "\n".join(row[-1] for row in connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters))
        else:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            plan = "\n".join(row[0] for row in connection.exec_driver_sql(
                f"EXPLAIN {statement}", parameters))
        db.session.rollback()
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        assert "USE TEMP B-TREE FOR ORDER BY" not in plan and not _sqlite_scans(plan, table), plan
        assert f"SCAN {table} USING INDEX" in plan, plan
    else:
        assert index in plan and "Sort" not in plan, plan


# A drill-down page walks the source by date from the page's first date (the order it lists) and,
# for distinct subjects, checks each record against the other records of its subject with one
# seek: nothing aggregates the source per subject or sorts all of it (bench/README.md, "Pages").
DRILL_WALKS = {  # source: (the date column, the subject column)
    "startup_cases": ("first_consulted_on", "person_id"),
    "migration_cases": ("moved_in_on", None),
    "placements": ("started_on", "student_id"),  # through ix_placements_drilldown
}


@pytest.mark.parametrize("source_name", list(DRILL_WALKS))
@pytest.mark.parametrize("scope", ["to_date", "month"])
@pytest.mark.parametrize("from_cursor", [False, True])
def test_a_drilldown_page_walks_an_index_in_the_order_shown(app, source_name, scope, from_cursor):
    """By page number (OFFSET) or from the place the link carried (a range from there)."""
    measure, window, start = RULES[source_name]
    date_column, subject = DRILL_WALKS[source_name]
    cursor = DrillCursor(date(2026, 8, 10), 1234) if from_cursor else None
    with app.app_context():
        query = drill_page(RuleSpec(source_name, measure, window, start), get_source(source_name), 2026, 5,
                           scope, limit=50, offset=0 if from_cursor else 100, after=cursor)
        plan = plan_of(query)
        db.session.rollback()
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        first = plan.splitlines()[0]
        assert first.startswith(f"SEARCH {source_name} USING") and f"({date_column}>? AND" in first, plan
        assert not any(line.startswith(f"SCAN {source_name}") for line in plan.splitlines()), plan
        assert "GROUP BY" not in plan and "TEMP B-TREE FOR ORDER BY" not in plan, plan
        if subject:
            assert "CORRELATED SCALAR SUBQUERY" in plan and f"({subject}=?)" in plan, plan
    else:
        assert f"Seq Scan on {source_name}" not in plan and "Aggregate" not in plan, plan
        assert f"Index Cond: (({date_column} >= " in plan, plan
        if subject:
            assert "Anti Join" in plan and f"Index Cond: ({subject} = " in plan, plan


@pytest.mark.parametrize("scope", ["to_date", "month"])  # "undated": the few in talks, sorted
def test_the_partnership_drilldown_order_is_held_by_its_date_expression_index(app, scope):
    """1-01-06-1 dates a partnership by a CASE expression (none while in talks). The expression
    index ix_partnerships_drilldown must keep matching it, so that the drill-down can walk the
    index in the order shown instead of sorting the region's partnerships. The test data is too
    small for the planners to prefer the walk (at 1,000,000 cases they do: bench/README.md), so
    the index is imposed (SQLite: INDEXED BY, which fails when the index cannot serve the query;
    PostgreSQL: no sorts or scans allowed) and the plan must need no sort."""
    measure, window, start = RULES["partnerships"]
    with app.app_context():
        query = drill_page(RuleSpec("partnerships", measure, window, start), get_source("partnerships"), 2026, 5,
                           scope, limit=50, offset=100)
        connection = db.session.connection()
        sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
        if connection.dialect.name == "sqlite":
            sql = sql.replace("FROM partnerships JOIN", "FROM partnerships INDEXED BY ix_partnerships_drilldown JOIN", 1)
            plan = "\n".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        else:
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL enable_sort = off")
            connection.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = "\n".join(row[0] for row in connection.exec_driver_sql(f"EXPLAIN {sql}"))
        db.session.rollback()
    assert "ix_partnerships_drilldown" in plan, plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan and "Sort" not in plan, plan


@pytest.mark.parametrize("sort", ["kana", "updated"])
def test_a_search_walks_its_order_where_a_way_of_matching_holds_much_of_the_town(app, make_user, town, monkeypatch,
                                                                                sort):
    """A phone search "0164" matches every number in town: its range is not read and sorted for
    a page (at 1,000,000 cases 2.0 s by last update, 155 ms by furigana on SQLite), the page walks
    the order's index testing each person (0.1 ms). SQLite has no statistics to tell, so the
    search counts the range (up to people.WALK_FROM, lowered here: the town has 2,000 people);
    PostgreSQL's planner chooses from its own. The page is the same either way."""
    counter, coordinator = make_user("counter"), make_user("coordinator")

    def page_and_plans(user):
        search = people.PersonSearch("0164", user, sort)
        ids = db.session.scalars(search.people(51).limit(51).with_only_columns(Person.id), search.params).all()
        return ids, plan_of(search.people(51).limit(51), search.params), plan_of(search.ids(1001), search.params)

    with app.app_context():
        read = {user.role: page_and_plans(user)[0] for user in (counter, coordinator)}
        monkeypatch.setattr("casework.people.services.WALK_FROM", {"kana": 100, "new": 100, "updated": 100})
        walked = {user.role: page_and_plans(user) for user in (counter, coordinator)}
        db.session.rollback()
        dialect = db.engine.dialect.name
    assert {role: ids for role, (ids, _page, _count) in walked.items()} == read
    assert len(read["counter"]) == 51
    for role, (_ids, page_plan, count_plan) in walked.items():
        if dialect == "sqlite":
            order_index = "ix_people_live_kana_key" if sort == "kana" else "ix_people_live_updated_at"
            assert f"SCAN people USING INDEX {order_index}" in page_plan, page_plan
            assert "ix_people_live_phone_key" not in page_plan, page_plan  # the range itself is not read
            # The count needs no order: each range stops at its 1,001st person.
            assert "SEARCH people USING COVERING INDEX ix_people_live_phone_key (phone_key>? AND phone_key<?)" \
                in count_plan, count_plan
            assert "TEMP B-TREE" not in count_plan.replace("UNION USING TEMP B-TREE", ""), count_plan
        else:
            assert "Seq Scan on people" not in page_plan + count_plan
            if role == "coordinator":
                # Who may see whom is asked of a second reading of each person found, one at a
                # time: asked of the people read from the range, PostgreSQL expected to test all
                # of them and hashed every student and host family once a query (70-180 ms).
                assert "Index Cond: (id = searched" in page_plan and "Index Cond: (id = searched" in count_plan


@pytest.mark.parametrize("how", ["few", "some", "many"])
def test_a_case_list_filtered_by_name_reads_what_the_number_of_matches_calls_for(app, town, monkeypatch, how):
    """people.MatchingRecords, the startup list's name filter (newest first). Few people match:
    their cases are read by the person index (a name nobody has no longer walks the whole list:
    1.5 s at 1,000,000 cases). Some: the list's index is walked, each case's person looked up
    among the matching people gathered once. Many: walked testing each case's person. The town
    has 400 Tanakas: the thresholds are lowered to reach the other ways."""
    if how != "few":
        monkeypatch.setattr("casework.people.services.FEW_PEOPLE", 0)
    if how == "many":
        monkeypatch.setattr("casework.people.services.MANY_PEOPLE", 0)
    newest = (StartupCase.first_consulted_on.desc().nulls_last(), StartupCase.id.desc())
    with app.app_context():
        matches = people.MatchingRecords(StartupCase, "たなか", also=StartupCase.ref == "たなか")
        page_plan = plan_of(matches.in_order(startups.cases_query(), [], newest, 51, walk=True).limit(51))
        count_plan = plan_of(matches.count([], 1001))
        db.session.rollback()
        dialect = db.engine.dialect.name
    if dialect == "sqlite":
        walk = "SCAN startup_cases USING COVERING INDEX ix_startup_cases_newest" if how == "some" else \
            "SCAN startup_cases USING INDEX ix_startup_cases_newest"
        if how == "few":
            assert "ix_startup_cases_person_id (person_id=?)" in page_plan, page_plan
            assert not any(line.startswith("SCAN startup_cases") for line in page_plan.splitlines()), page_plan
        else:
            assert walk in page_plan or walk.replace("USING INDEX", "USING COVERING INDEX") in page_plan, page_plan
        for plan in (page_plan, count_plan):
            assert not _sqlite_scans(plan, "startup_cases") and not _sqlite_scans(plan, "people"), plan
    else:
        assert "Seq Scan on startup_cases" not in page_plan + count_plan, page_plan + count_plan
        if how != "few":
            assert "ix_startup_cases_newest" in page_plan, page_plan


def test_the_free_beds_are_counted_from_the_placements_running_then(app):
    """The coordinators' overview and free-bed page count every registered family's free beds
    (students.services.free_summary) from the placements running on the date or period, read
    from the end of ix_placements_last_night, where they read every placement and family (8-45 s
    at 1,000,000 cases). A page of the list in free-bed order walks the furigana index asking
    each person for a family with that many free beds by the person index: an index of the
    families led by their status made SQLite (without statistics) read a third of the families
    for each person instead (98 s)."""
    from casework.students import services as students

    night = {"start": date(2026, 4, 1), "end": date(2026, 4, 1)}
    spring = {"start": date(2026, 4, 1), "end": date(2026, 6, 30)}
    with app.app_context():
        running = [plan_of(students._OCCUPIED_BY_CAPACITY[True], night),
                   plan_of(students._OCCUPIED_BY_CAPACITY[False], spring)]
        walks = [plan_of(students._WITH_FREE_BEDS, {**spring, "free": 2, "window": 51, "skip": 0, "take": 51}),
                 plan_of(students._FULL_OR_UNABLE, {**night, "window": 51, "skip": 0, "take": 51})]
        db.session.rollback()
        dialect = db.engine.dialect.name
    for plan in running:
        if dialect == "sqlite":
            assert "SEARCH placements USING COVERING INDEX ix_placements_last_night (ended_on>?)" in plan, plan
            assert not _sqlite_scans(plan, "placements"), plan
        else:
            assert "Seq Scan on placements" not in plan, plan
    for plan in walks:
        assert "ix_people_live_kana_key" in plan, plan
        if dialect == "sqlite":
            assert "SCAN people USING COVERING INDEX ix_people_live_kana_key" in plan, plan
            probe = plan.split("SCAN people USING COVERING INDEX ix_people_live_kana_key")[1].splitlines()[1:3]
            assert "SEARCH host_families USING INDEX ix_host_families_person_id (person_id=?)" in probe, plan
            assert not _sqlite_scans(plan, "people") and not _sqlite_scans(plan, "host_families"), plan
        else:
            assert "Seq Scan on people" not in plan, plan

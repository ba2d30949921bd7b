"""The counting rules of docs/domain.md, through the real imports and the one engine, at the
fiscal-year edges. Same results on SQLite and PostgreSQL (the suite runs on both)."""

from tests.test_plans_fixtures import (
    host_family,
    import_rows,
    item_of,
    load_plan,
    migration,
    partnership,
    placement,
    startup,
    values_of,
)


def test_annual_distinct_people_at_the_fiscal_year_edges(app, runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [
        startup("S1", "tanaka", "2026-03-31"),   # FY2025
        startup("S2", "tanaka", "2026-04-01"),   # FY2026, April
        startup("S3", "tanaka", "2026-08-20"),   # same person, same FY: still one
        startup("S4", "sato", "2027-03-31"),     # FY2026, March
        startup("S5", "sato", "2027-04-01"),     # FY2027: counts again there
        startup("S6", "suzuki", "2026-06-15", status="cancelled"),  # never counts
    ])
    fy2026 = values_of(app, 2026, "1-01-01-1")
    assert fy2026 == [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2]
    assert values_of(app, 2025, "1-01-01-1")[-1] == 1
    assert values_of(app, 2027, "1-01-01-1") == [1] * 12


def test_annual_person_with_two_cases_in_two_years_counts_once_in_each(app, runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [
        startup("S1", "tanaka", "2026-05-10"),
        startup("S2", "tanaka", "2026-09-01"),
        startup("S3", "tanaka", "2027-06-01"),
    ])
    assert values_of(app, 2026, "1-01-01-1") == [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert values_of(app, 2027, "1-01-01-1") == [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]


def test_household_members_summed_cumulative_from_plan_start(app, runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "migration", [
        migration("M1", "tanaka", 3, "2022-03-31"),   # before the window: never counts
        migration("M2", "sato", 2, "2022-04-01"),     # first day of the window
        migration("M3", "suzuki", 4, "2026-06-30"),
        migration("M4", "ito", 5, "2027-04-01"),      # next fiscal year
        migration("M5", "kato", 6, "2026-05-01", status="cancelled"),
        migration("M6", "yamada", 7, ""),             # no move-in date yet
    ])
    values = values_of(app, 2026, "1-01-05-1")
    assert values == [2, 2, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6]
    assert values_of(app, 2027, "1-01-05-1")[0] == 11
    assert values_of(app, 2021, "1-01-05-1")[-1] == 0
    item = item_of(app, 2026, "1-01-05-1")
    assert item.not_countable == 1


def test_students_counted_once_from_their_first_placement(app, runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "host-families", [host_family("H1", capacity=9)])
    import_rows(runner, tmp_path, "placements", [
        # ito: first placed before 2022-04-01: never counts, whatever later placements
        placement("P1", "ST1", "ito", "2021-09-01", "2022-03-31"),
        placement("P2", "ST1", "ito", "2023-04-01"),
        # kato: placed twice, counts once at the first placement (2022-04-01, first day)
        placement("P3", "ST2", "kato", "2022-04-01", "2023-03-31"),
        placement("P4", "ST2", "kato", "2024-04-01"),
        # yamada: first placement in FY2026
        placement("P5", "ST3", "yamada", "2026-07-01"),
    ])
    assert values_of(app, 2022, "1-01-05-2") == [1] * 12
    assert values_of(app, 2024, "1-01-05-2") == [1] * 12
    assert values_of(app, 2026, "1-01-05-2") == [1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]


def test_partnerships_cumulative_all_time_and_cancelled(app, runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "partnerships", [
        partnership("C1", "2019-01-15"),      # before the plan: counts (all time)
        partnership("C2", "2020-05-05"),
        partnership("C3", "2026-04-01"),
        partnership("C4", "2027-03-31"),
        partnership("C5", "2027-04-01"),      # FY2027
        partnership("C6", "2026-05-01", status="cancelled"),
        partnership("C7", "2026-05-01", municipality="留萌市"),  # a local company: not this indicator
    ])
    assert values_of(app, 2026, "1-01-06-1") == [3] * 11 + [4]
    assert values_of(app, 2027, "1-01-06-1")[0] == 5


def test_cancelling_a_record_takes_it_out(app, runner, tmp_path):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2026-04-10")])
    assert values_of(app, 2026, "1-01-01-1")[0] == 1
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2026-04-10", status="cancelled")])
    assert values_of(app, 2026, "1-01-01-1")[0] == 0

"""Helpers for the plan and rollup tests: data goes in through the stable CSV import CLI
(docs/interfaces.md), so these tests do not depend on the programs' internals."""

import csv

HEADERS = {
    "startup": ["ref", "family_name", "given_name", "family_name_kana", "given_name_kana",
                "birth_date", "first_consulted_on", "status"],
    "migration": ["ref", "family_name", "given_name", "family_name_kana", "given_name_kana",
                  "birth_date", "household_size", "moved_in_on", "status"],
    "host-families": ["ref", "family_name", "given_name", "family_name_kana", "given_name_kana", "capacity", "registered_on", "status"],
    "placements": ["ref", "student_ref", "family_name", "given_name", "family_name_kana",
                   "given_name_kana", "birth_date", "host_family_ref", "started_on", "ended_on", "status"],
    "partnerships": ["ref", "organization", "organization_prefecture", "organization_municipality",
                     "agreed_on", "status"],
    "observations": ["indicator_code", "fiscal_year", "month", "value", "source"],
}
PEOPLE = {
    # key: (family, given, family kana, given kana, birth date)
    "tanaka": ("田中", "花子", "たなか", "はなこ", "1980-01-02"),
    "sato": ("佐藤", "一郎", "さとう", "いちろう", "1975-05-06"),
    "suzuki": ("鈴木", "次郎", "すずき", "じろう", "1990-07-08"),
    "ito": ("伊藤", "三郎", "いとう", "さぶろう", "2009-04-10"),
    "kato": ("加藤", "四郎", "かとう", "しろう", "2009-05-11"),
    "yamada": ("山田", "五郎", "やまだ", "ごろう", "2009-06-12"),
}


def load_plan(runner):
    result = runner.invoke(args=["plan", "load"])
    assert result.exit_code == 0, result.output
    return result


def import_rows(runner, tmp_path, kind: str, rows: list[dict], expect_ok: bool = True):
    header = HEADERS[kind]
    path = tmp_path / f"{kind}-{len(list(tmp_path.iterdir()))}.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header])
    result = runner.invoke(args=["import", kind, str(path)])
    if expect_ok:
        assert result.exit_code == 0, result.output
    return result


def person(key: str) -> dict:
    family, given, fkana, gkana, birth = PEOPLE[key]
    return {"family_name": family, "given_name": given, "family_name_kana": fkana,
            "given_name_kana": gkana, "birth_date": birth}


def startup(ref: str, who: str, on: str, status: str = "") -> dict:
    return {"ref": ref, **person(who), "first_consulted_on": on, "status": status}


def migration(ref: str, who: str, size: int, moved_in_on: str, status: str = "") -> dict:
    return {"ref": ref, **person(who), "household_size": str(size), "moved_in_on": moved_in_on,
            "status": status}


def host_family(ref: str, capacity: int = 5) -> dict:
    return {"ref": ref, "family_name": "高橋", "given_name": "家", "family_name_kana": "たかはし",
            "given_name_kana": "いえ", "capacity": str(capacity), "registered_on": "2020-04-01",
            "status": "registered"}


def placement(ref: str, student_ref: str, who: str, started_on: str, ended_on: str = "",
              host: str = "H1", status: str = "") -> dict:
    return {"ref": ref, "student_ref": student_ref, **person(who), "host_family_ref": host,
            "started_on": started_on, "ended_on": ended_on, "status": status}


def partnership(ref: str, agreed_on: str, status: str = "", municipality: str = "札幌市") -> dict:
    return {"ref": ref, "organization": f"株式会社{ref}", "organization_prefecture": "北海道",
            "organization_municipality": municipality, "agreed_on": agreed_on, "status": status}


def values_of(app, fiscal_year: int, code: str, use_cache: bool = True) -> list:
    from casework.extensions import db
    from casework.plans.rollup import rollup

    with app.app_context():
        result = rollup(fiscal_year, use_cache=use_cache)
        db.session.commit()
        return result.get(code).values


def item_of(app, fiscal_year: int, code: str):
    from casework.plans.rollup import compute

    with app.app_context():
        return compute(fiscal_year).get(code)


def drilldown_data(runner, tmp_path):
    """The plan and a few records of every program, dated across fiscal years: the drill-down
    and its exports are checked against these."""
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [
        startup("S1", "tanaka", "2026-04-01"), startup("S2", "tanaka", "2026-05-01"),
        startup("S3", "sato", "2026-05-20"), startup("S4", "suzuki", "2027-03-31"),
        startup("S5", "ito", "2026-06-01", status="cancelled"),
        startup("S6", "sato", "2026-05-20"), startup("S7", "kato", "2026-06-15"),
        startup("S8", "kato", "2025-06-15")])
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
    import_rows(runner, tmp_path, "partnerships", [
        partnership("C1", "2019-01-15"), partnership("C2", "2026-04-01"), partnership("C3", "2026-05-01"),
        partnership("C4", "2026-05-01", status="cancelled"), partnership("C5", "2025-04-01")])

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

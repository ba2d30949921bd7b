"""Fill a NEW database with N synthetic cases across every program and ten fiscal years.

    python bench/generate.py --cases 100000 [--db bench/data/x.db] [--fy 2026]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/generate.py --cases 100000

SQLite: a new file (default bench/data/cases-N.db). PostgreSQL: DATABASE_URL names the server;
a fresh database `casework_bench_N` is created on it (never `test`, never the one in the URL).
The schema comes from the migrations, the plan from `plan load`, then every record is written
with bulk Core inserts (executemany in batches; COPY-free so it stays one code path).

Split of N cases: 40 % startup cases (about 10 % of the people have two), 30 % migration cases,
20 % placements (students placed once or twice with host families), 10 % partnerships (with
organizations, 70 % from outside the region). About 2 % of every kind is cancelled and about 2 %
has no date for its counting rule. Dates are spread over the ten fiscal years ending at --fy."""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

BATCH = 10_000
DATA_DIR = ROOT / "bench" / "data"

FAMILY = [("佐藤", "さとう"), ("鈴木", "すずき"), ("高橋", "たかはし"), ("田中", "たなか"), ("伊藤", "いとう"),
          ("渡辺", "わたなべ"), ("山本", "やまもと"), ("中村", "なかむら"), ("小林", "こばやし"), ("加藤", "かとう"),
          ("吉田", "よしだ"), ("山田", "やまだ"), ("佐々木", "ささき"), ("山口", "やまぐち"), ("松本", "まつもと"),
          ("井上", "いのうえ"), ("木村", "きむら"), ("林", "はやし"), ("斎藤", "さいとう"), ("清水", "しみず"),
          ("山崎", "やまざき"), ("森", "もり"), ("池田", "いけだ"), ("橋本", "はしもと"), ("阿部", "あべ"),
          ("石川", "いしかわ"), ("山下", "やました"), ("中島", "なかじま"), ("石井", "いしい"), ("小川", "おがわ"),
          ("前田", "まえだ"), ("岡田", "おかだ"), ("長谷川", "はせがわ"), ("藤田", "ふじた"), ("後藤", "ごとう"),
          ("近藤", "こんどう"), ("村上", "むらかみ"), ("遠藤", "えんどう"), ("青木", "あおき"), ("坂本", "さかもと"),
          ("斉藤", "さいとう"), ("福田", "ふくだ"), ("太田", "おおた"), ("西村", "にしむら"), ("藤井", "ふじい"),
          ("金子", "かねこ"), ("岡本", "おかもと"), ("藤原", "ふじわら"), ("中野", "なかの"), ("三浦", "みうら"),
          ("原田", "はらだ"), ("中川", "なかがわ"), ("松田", "まつだ"), ("竹内", "たけうち"), ("小野", "おの"),
          ("田村", "たむら"), ("中山", "なかやま"), ("和田", "わだ"), ("石田", "いしだ"), ("森田", "もりた"),
          ("上田", "うえだ"), ("原", "はら"), ("内田", "うちだ"), ("柴田", "しばた"), ("酒井", "さかい"),
          ("工藤", "くどう"), ("横山", "よこやま"), ("宮崎", "みやざき"), ("宮本", "みやもと"), ("内山", "うちやま"),
          ("高木", "たかぎ"), ("安藤", "あんどう"), ("島田", "しまだ"), ("谷口", "たにぐち"), ("大野", "おおの"),
          ("高田", "たかだ"), ("丸山", "まるやま"), ("今井", "いまい"), ("河野", "こうの"), ("藤本", "ふじもと"),
          ("村田", "むらた"), ("武田", "たけだ"), ("上野", "うえの"), ("杉山", "すぎやま"), ("増田", "ますだ"),
          ("小山", "こやま"), ("大塚", "おおつか"), ("平野", "ひらの"), ("菅原", "すがわら"), ("久保", "くぼ"),
          ("松井", "まつい"), ("千葉", "ちば"), ("岩崎", "いわさき"), ("桜井", "さくらい"), ("木下", "きのした"),
          ("野口", "のぐち"), ("松尾", "まつお"), ("菊地", "きくち"), ("野村", "のむら"), ("新井", "あらい")]
GIVEN = [("花子", "はなこ"), ("太郎", "たろう"), ("一郎", "いちろう"), ("健", "けん"), ("翔", "しょう"),
         ("大輔", "だいすけ"), ("直樹", "なおき"), ("陽子", "ようこ"), ("恵", "めぐみ"), ("美咲", "みさき"),
         ("さくら", "さくら"), ("翼", "つばさ"), ("蓮", "れん"), ("結衣", "ゆい"), ("陽菜", "ひな"),
         ("大翔", "ひろと"), ("悠真", "ゆうま"), ("葵", "あおい"), ("拓海", "たくみ"), ("優子", "ゆうこ"),
         ("誠", "まこと"), ("浩", "ひろし"), ("明美", "あけみ"), ("裕子", "ゆうこ"), ("隆", "たかし"),
         ("修", "おさむ"), ("智子", "ともこ"), ("亮", "りょう"), ("舞", "まい"), ("彩", "あや"),
         ("剛", "つよし"), ("真由美", "まゆみ"), ("聡", "さとし"), ("香織", "かおり"), ("学", "まなぶ"),
         ("由美", "ゆみ"), ("勇気", "ゆうき"), ("愛", "あい"), ("光", "ひかる"), ("千尋", "ちひろ")]
PREFECTURES = ["東京都", "神奈川県", "埼玉県", "千葉県", "大阪府", "愛知県", "北海道", "福岡県", "宮城県", "京都府"]
INDUSTRIES = ["飲食", "小売", "水産加工", "宿泊", "IT", "農業", "美容", "建設"]


def _keys():
    """Folded keys of every name combination, computed once."""
    from casework import jp

    combos = []
    for fam, fam_kana in FAMILY:
        for giv, giv_kana in GIVEN:
            combos.append((fam, giv, fam_kana, giv_kana, jp.fold(fam + giv), jp.fold_kana_name(fam_kana, giv_kana),
                           jp.fold(giv), jp.fold(giv_kana)))
    return combos


def fiscal_years(last_fy: int) -> list[int]:
    return list(range(last_fy - 9, last_fy + 1))


def _iso_days(first: date, count: int) -> list[str]:
    return [(first + timedelta(days=i)).isoformat() for i in range(count)]


class Writer:
    """Batched executemany at the driver level through Core's exec_driver_sql (SQLite) or COPY
    (PostgreSQL): no ORM, no per-row SQLAlchemy parameter processing. Ids are assigned here.
    Values are given as the databases store them: dates as ISO text, booleans as 0/1."""

    def __init__(self, conn, table: sa.Table, *depends: Writer):
        self.conn, self.table, self.rows, self.count = conn, table, [], 0
        self.depends = depends  # written first: the rows here refer to theirs
        self.columns: list[str] | None = None
        self.sqlite = conn.dialect.name == "sqlite"

    def add(self, row: dict) -> None:
        if self.columns is None:
            self.columns = list(row)
        self.rows.append(tuple(row.values()))
        if len(self.rows) >= BATCH:
            self.flush()

    def flush(self) -> None:
        for writer in self.depends:
            writer.flush()
        if not self.rows:
            return
        names = ", ".join(self.columns)
        if self.sqlite:
            marks = ", ".join("?" for _ in self.columns)
            self.conn.exec_driver_sql(f"INSERT INTO {self.table.name} ({names}) VALUES ({marks})", self.rows)
        else:
            cursor = self.conn.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {self.table.name} ({names}) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row(row)
        self.count += len(self.rows)
        self.rows = []


def database_url(cases: int, db_path: str | None) -> tuple[str, str]:
    """(URL of the new database, kind 'sqlite'|'postgresql'); the database is created empty."""
    server = os.environ.get("DATABASE_URL", "").strip()
    if server.startswith("postgres"):
        url = sa.make_url(server).set(drivername="postgresql+psycopg")
        name = f"casework_bench_{cases}"
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        return url.set(database=name).render_as_string(hide_password=False), "postgresql"
    path = Path(db_path) if db_path else DATA_DIR / f"cases-{cases}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path.resolve()}", "sqlite"


def make_app(url: str):
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CASEWORK_INSTANCE", str(DATA_DIR / "instance"))
    from casework import create_app

    return create_app()


def generate(cases: int, url: str, last_fy: int = 2026, seed: int = 9) -> dict:
    """Migrate, load the plan and write the records. Returns counts and timings."""
    import flask_migrate

    from casework.audit.trail import acting_as
    from casework.extensions import db
    from casework.plans.services import load_plan

    timings = {}
    t0 = time.perf_counter()
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        with acting_as("cli"):
            load_plan()
            db.session.commit()
        timings["schema+plan"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        counts = _fill(db.engine, cases, last_fy, seed)
        timings["inserts"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        with db.engine.connect() as conn:
            if db.engine.dialect.name == "postgresql":
                conn.commit()
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
            else:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()
        timings["analyze"] = time.perf_counter() - t2
        db.engine.dispose()
    counts["seconds"] = {k: round(v, 1) for k, v in timings.items()}
    return counts


def _fill(engine: sa.Engine, cases: int, last_fy: int, seed: int) -> dict:
    from casework.extensions import db

    rng = random.Random(seed)
    md = db.metadata.tables
    names = _keys()
    first_fy = last_fy - 9
    sqlite = engine.dialect.name == "sqlite"
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f" + ("" if sqlite else "+00:00"))
    # Dates as ISO text: DAYS[PAD .. PAD + SPAN) are the ten fiscal years, with room either side.
    pad = 800
    fy_start = date(first_fy, 4, 1)
    span = (date(last_fy + 1, 3, 31) - fy_start).days + 1
    days = _iso_days(fy_start - timedelta(days=pad), span + 2 * pad)
    births = _iso_days(date(1950, 1, 1), 20000)

    def day_index() -> int:
        return pad + rng.randrange(span)
    n_startup = cases * 40 // 100
    n_migration = cases * 30 // 100
    n_placement = cases * 20 // 100
    n_partnership = cases - n_startup - n_migration - n_placement
    counts = {"startup_cases": 0, "migration_cases": 0, "placements": 0, "partnerships": 0}
    person_id = 0

    def status_of(normal: list[str]) -> str:
        return "cancelled" if rng.random() < 0.02 else rng.choice(normal)

    def maybe_day() -> int | None:
        return None if rng.random() < 0.02 else day_index()

    def stamp(row: dict) -> dict:
        row.update(created_at=now, updated_at=now, version=1)
        return row

    with engine.connect() as conn:
        if sqlite:  # the indexes of a million rows do not fit SQLite's default 2 MB page cache
            conn.exec_driver_sql("PRAGMA cache_size=-400000")
        people = Writer(conn, md["people"])

        def new_person() -> int:
            nonlocal person_id
            person_id += 1
            fam, giv, fam_kana, giv_kana, name_key, kana_key, given_key, given_kana_key = names[rng.randrange(len(names))]
            phone = f"0164-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}"
            people.add(stamp({
                "id": person_id, "family_name": fam, "given_name": giv, "family_name_kana": fam_kana,
                "given_name_kana": giv_kana, "birth_date": births[rng.randrange(20000)],
                "phone": phone, "email": "", "postal_code": "", "address": "留萌市", "note": "",
                "name_key": name_key, "kana_key": kana_key, "phone_key": phone.replace("-", ""),
                "given_name_key": given_key, "given_kana_key": given_kana_key,
                "phone_tail_key": phone.replace("-", "")[::-1],
            }))
            return person_id

        # --- startup cases (+ a few consultations) -------------------------------------------
        startups = Writer(conn, md["startup_cases"], people)
        consultations = Writer(conn, md["startup_consultations"], startups)
        statuses = ["consulting", "supporting", "supported", "founded", "suspended"]
        last_person = None
        for case_id in range(1, n_startup + 1):
            pid = last_person if last_person and rng.random() < 0.1 else new_person()
            last_person = pid
            first_day = maybe_day()
            first = days[first_day] if first_day is not None else None
            startups.add(stamp({
                "id": case_id, "ref": f"S{case_id:08d}", "person_id": pid, "business_idea": f"{rng.choice(INDUSTRIES)}の店",
                "industry": rng.choice(INDUSTRIES), "supporting_body": rng.choice(["city", "shinkin", "cci"]),
                "staff_id": None, "status": status_of(statuses), "first_consulted_on": first, "founded_on": None,
                "certificate_number": "", "certificate_issued_on": None, "note": "",
            }))
            if first and case_id % 20 == 0:
                consultations.add(stamp({
                    "case_id": case_id, "held_on": first, "channel": "counter", "staff_id": None,
                    "topics": "management finance", "minutes": 60, "notes": "",
                }))
        counts["startup_cases"] = n_startup

        # --- migration cases --------------------------------------------------------------------
        migrations = Writer(conn, md["migration_cases"], people)
        statuses = ["consulting", "considering", "supporting", "moved_in", "settled", "moved_out"]
        for case_id in range(1, n_migration + 1):
            moved_day = maybe_day()
            moved = days[moved_day] if moved_day is not None else None
            inquired = days[moved_day - rng.randrange(30, 400)] if moved_day is not None else None
            migrations.add(stamp({
                "id": case_id, "ref": f"M{case_id:08d}", "person_id": new_person(), "status": status_of(statuses),
                "inquired_on": inquired, "channel": "counter", "origin_prefecture": rng.choice(PREFECTURES),
                "origin_municipality": "", "wants": "work", "household_size": rng.choice([1, 1, 2, 2, 3, 4, 5]),
                "moved_in_on": moved, "moved_out_on": None, "followup_requested": 0,
                "student_person_id": None, "note": "",
            }))
        counts["migration_cases"] = n_migration

        # --- host families, students and placements ---------------------------------------------
        n_students = max(1, n_placement * 4 // 5)
        n_families = max(1, n_students // 3)
        families = Writer(conn, md["host_families"], people)
        for family_id in range(1, n_families + 1):
            families.add(stamp({
                "id": family_id, "ref": f"H{family_id:08d}", "person_id": new_person(), "household_members": "",
                "contacts": "", "rooms": 2, "capacity": rng.choice([1, 2, 3]), "accepts_boys": 1,
                "accepts_girls": 1, "has_pets": 0, "pets_note": "", "smoking": 0, "allergies_handled": "",
                "meals": "two", "status": "cancelled" if rng.random() < 0.02 else "registered",
                "registered_on": days[day_index()], "training_on": None, "training_note": "",
                "renewal_due_on": None, "note": "",
            }))
        students = Writer(conn, md["students"], people)
        for student_id in range(1, n_students + 1):
            students.add(stamp({
                "id": student_id, "ref": f"T{student_id:08d}", "person_id": new_person(), "gender": "other",
                "home_prefecture": rng.choice(PREFECTURES), "home_municipality": "", "school": "留萌高校",
                "grade": "1年", "expected_graduation_on": None, "status": "enrolled", "note": "", "allergens": "",
                "medical_notes": "", "needs_no_pets": 0, "needs_no_smoking": 0,
            }))
        placements = Writer(conn, md["placements"], students, families)
        for placement_id in range(1, n_placement + 1):
            # Every student once, the rest a second placement of a random student.
            student_id = placement_id if placement_id <= n_students else rng.randrange(1, n_students + 1)
            start_day = day_index()
            placements.add(stamp({
                "id": placement_id, "ref": f"P{placement_id:08d}", "student_id": student_id,
                "host_family_id": rng.randrange(1, n_families + 1), "started_on": days[start_day],
                "ended_on": days[start_day + rng.randrange(30, 700)],
                "status": "cancelled" if rng.random() < 0.02 else "placed", "end_reason": "", "note": "",
            }))
        counts["placements"] = n_placement

        # --- organizations and partnerships -----------------------------------------------------
        n_orgs = max(1, n_partnership // 3)
        organizations = Writer(conn, md["organizations"])
        for org_id in range(1, n_orgs + 1):
            name = f"株式会社ベンチ{org_id:07d}"
            organizations.add(stamp({
                "id": org_id, "name": name, "kana": "", "corporate_number": None,
                "outside_region": int(rng.random() < 0.7), "prefecture": rng.choice(PREFECTURES), "municipality": "",
                "industry": rng.choice(INDUSTRIES), "note": "", "name_key": name, "kana_key": "",
            }))
        partnerships = Writer(conn, md["partnerships"], organizations)
        kinds = ["agreement", "joint_research", "product_development", "siting", "personnel_exchange", "other"]
        for partnership_id in range(1, n_partnership + 1):
            agreed_day = maybe_day()
            agreed = days[agreed_day] if agreed_day is not None else None
            status = "negotiating" if agreed is None else status_of(["concluded", "active", "ended"])
            partnerships.add(stamp({
                "id": partnership_id, "ref": f"R{partnership_id:08d}", "organization_id": rng.randrange(1, n_orgs + 1),
                "kind": rng.choice(kinds), "status": status, "agreed_on": agreed, "ended_on": None, "resource": "",
                "staff_id": None, "document_refs": "", "note": "",
            }))
        counts["partnerships"] = n_partnership

        # People first (foreign keys), then everything else in dependency order.
        for writer in (people, organizations, startups, consultations, migrations, families, students,
                       placements, partnerships):
            writer.flush()
        counts["people"] = people.count
        counts["consultations"] = consultations.count
        counts["organizations"] = organizations.count
        if engine.dialect.name == "postgresql":
            for table in ("people", "startup_cases", "startup_consultations", "migration_cases", "host_families",
                          "students", "placements", "organizations", "partnerships"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")
        conn.commit()
    return counts


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--db", help="SQLite file to create (default bench/data/cases-N.db)")
    parser.add_argument("--fy", type=int, default=2026, help="the last of the ten fiscal years")
    args = parser.parse_args(argv)
    url, kind = database_url(args.cases, args.db)
    counts = generate(args.cases, url, args.fy)
    print(f"{kind}: {sa.make_url(url).render_as_string(hide_password=True)}")
    print(counts)


if __name__ == "__main__":
    main()

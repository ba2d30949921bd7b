"""Import of a large startup file: rows/s, peak memory, and that it is still all or nothing.

    python bench/imports.py [--rows 100000]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/imports.py --rows 100000

Writes a CSV of N startup rows (the interfaces.md columns; about 10 % of the people appear twice,
so matching is exercised), then in a NEW database (bench/data/import.db, or a fresh
`casework_bench_import` on the PostgreSQL server) runs the framework exactly as
`flask --app wsgi import startup FILE` does (casework.imports.framework.run_import), three times:
1. the file with one unreadable row at the very end (refused when parsing): nothing may be written;
2. the file whose very last row breaks a rule found only when it is loaded (a certificate issued
   before the first consultation), after every earlier chunk was written inside the
   transaction: nothing may be written either;
3. the good file: every row written in one transaction.
Prints rows/s of the last run, this process's CPU time for it (the machine is shared: wall time
includes waiting for a core), and the process's peak RSS: before importing, after the first run
(the file read and parsed: every row is parsed before any is loaded), and at the end (the
loading's own memory comes on top of the parsed file)."""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from generate import DATA_DIR, FAMILY, GIVEN  # noqa: E402

HEADER = ("ref,family_name,given_name,family_name_kana,given_name_kana,birth_date,phone,"
          "first_consulted_on,certificate_issued_on,founded_on,status,note")


def startup_csv(rows: int, seed: int = 9) -> bytes:
    rng = random.Random(seed)
    lines = [HEADER]
    previous = None
    for n in range(1, rows + 1):
        if previous and rng.random() < 0.1:
            person = previous
        else:
            fam, fam_kana = rng.choice(FAMILY)
            giv, giv_kana = rng.choice(GIVEN)
            person = (fam, giv, fam_kana, giv_kana, f"{rng.randrange(1950, 2004)}-{rng.randrange(1, 13)}-"
                      f"{rng.randrange(1, 29)}", f"0164-{rng.randrange(10, 99)}-{rng.randrange(1000, 9999)}")
        previous = person
        fam, giv, fam_kana, giv_kana, birth, phone = person
        first = f"R{rng.randrange(2, 9)}.{rng.randrange(1, 13)}.{rng.randrange(1, 29)}"
        status = "取消" if rng.random() < 0.02 else ""
        lines.append(f"B{n:07d},{fam},{giv},{fam_kana},{giv_kana},{birth},{phone},{first},,,{status},")
    return ("\n".join(lines) + "\n").encode("utf-8")


def new_database() -> str:
    server = os.environ.get("DATABASE_URL", "").strip()
    if server.startswith("postgres"):
        url = sa.make_url(server).set(drivername="postgresql+psycopg")
        admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE IF EXISTS "casework_bench_import" WITH (FORCE)')
            conn.exec_driver_sql('CREATE DATABASE "casework_bench_import"')
        admin.dispose()
        return url.set(database="casework_bench_import").render_as_string(hide_password=False)
    path = DATA_DIR / "import.db"
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path.resolve()}"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)

    good = startup_csv(args.rows)
    bad = good + f"B{args.rows + 1:07d},田中,花子,たなか,はなこ,1990-04-01,,2026-13-45,,,,\n".encode()
    bad_late = good + f"B{args.rows + 1:07d},田中,花子,たなか,はなこ,1990-04-01,,R8.5.1,R8.4.1,,,\n".encode()
    url = new_database()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CASEWORK_INSTANCE", str(DATA_DIR / "instance"))
    import flask_migrate

    from casework import create_app
    from casework.audit.trail import acting_as
    from casework.extensions import db
    from casework.imports.framework import get_kind, run_import

    app = create_app()
    with app.app_context(), acting_as("bench"):
        flask_migrate.upgrade(revision="heads")
        kind = get_kind("startup")

        def cases() -> int:
            return db.session.scalar(sa.text("SELECT COUNT(*) FROM startup_cases"))

        peak_mb = [resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]
        start = time.perf_counter()
        result = run_import(kind, bad, commit=True, filename="bad.csv")
        bad_s = time.perf_counter() - start
        assert not result.ok and not result.committed and cases() == 0
        print(f"file with one bad row at line {args.rows + 2}: refused in {bad_s:.1f} s, "
              f"{len(result.errors)} error(s): {result.errors[0]}; startup cases written: {cases()}")
        db.session.rollback()
        result = None  # its parsed rows must not add to the next run's peak
        peak_mb.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)

        start = time.perf_counter()
        result = run_import(kind, bad_late, commit=True, filename="bad-late.csv")
        bad_s = time.perf_counter() - start
        assert not result.ok and not result.committed and cases() == 0
        print(f"file whose last row (line {args.rows + 2}) fails only when loaded: refused in {bad_s:.1f} s, "
              f"{len(result.errors)} error(s): {result.errors[0]}; startup cases written: {cases()}")
        db.session.rollback()
        result = None

        start, cpu_start = time.perf_counter(), time.process_time()
        result = run_import(kind, good, commit=True, filename="good.csv")
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        peak_mb.append(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        assert result.ok and result.committed, result.errors[:5]
        written = cases()
        db.engine.dispose()
    print(f"{url.split(':')[0]}: {args.rows} rows imported in {seconds:.1f} s: "
          f"{args.rows / seconds:.0f} rows/s (this process's CPU: {cpu:.1f} s); "
          f"startup cases written: {written}")
    print(f"peak RSS: {peak_mb[0]:.0f} MB before importing, {peak_mb[1]:.0f} MB once the file was parsed "
          f"(+{peak_mb[1] - peak_mb[0]:.0f}), {peak_mb[2]:.0f} MB at the end "
          f"(+{peak_mb[2] - peak_mb[1]:.0f} for loading it)")


if __name__ == "__main__":
    main()

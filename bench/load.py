"""Load test: counter staff reading and writing at once against gunicorn, everything counted after.

    python bench/load.py --cases 100000 [--duration 20] [--connections 8] [--workers 2]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/load.py --cases 100000

Serves the database bench/generate.py made for N cases with `gunicorn --workers 2` on 127.0.0.1
and runs two wrk processes side by side for a bounded time, both logged in as one counter clerk:
- writers (`POST /startups/counter`, a new person with a new case and its first consultation,
  alternating with `POST /startups/cases/<id>/consultations` on ONE shared case: many people
  writing to the same record at once);
- readers (the case list, the person search, the shared case's page).
Then it checks, in the database, that nothing was lost or doubled: every write the server
acknowledged (302 to the case page) is there exactly once, writes in flight when wrk stopped are
at most one per connection, each created case has its audit entry, the shared case has every
consultation, and the plan's indicator 1-01-01-1 grew by exactly the people created.

tests/test_load.py runs the same check for a few seconds in the normal suite (on both databases)."""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# wrk gives no way to tie a response to the request that caused it, and each thread's lua state
# is out of reach at the end: so each thread tells writes apart by where the server redirects
# (the shared case: a consultation; another case: a new one) and appends what it saw to a file.
WRITER_LUA = r"""
local counter_body, consultation_body, case_path, out_file = "", "", "", nil
local threads, n = {}, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  counter_body, consultation_body, case_path = args[1], args[2], args[3]
  out_file = io.open(args[4] .. "/thread-" .. tostring(id), "a")
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
end

function request()
  n = n + 1
  if n % 2 == 1 then
    local body = counter_body:gsub("SEQ", tostring(id) .. "-" .. tostring(n))
    return wrk.format("POST", "/startups/counter", nil, body)
  end
  return wrk.format("POST", case_path .. "/consultations", nil, consultation_body)
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status == 302 and location:sub(-#case_path) == case_path then
    out_file:write("consulted\n")
  elseif status == 302 and location:find("/startups/cases/%d+$") then
    out_file:write("created " .. location:match("(%d+)$") .. "\n")
  else
    out_file:write("unexpected " .. tostring(status) .. "\n")
  end
  out_file:flush()
end
"""

READER_LUA = r"""
local paths = {}
local n = 0

function init(args)
  for i = 1, #args do paths[i] = args[i] end
end

function request()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
"""


@dataclass
class WrkRun:
    requests: int = 0
    rate: float = 0.0
    non_2xx_3xx: int = 0
    socket_errors: int = 0
    output: str = ""


@dataclass
class LoadReport:
    duration: int
    connections: int
    writers: WrkRun = field(default_factory=WrkRun)
    readers: WrkRun = field(default_factory=WrkRun)
    acknowledged_created: list[int] = field(default_factory=list)
    acknowledged_consultations: int = 0
    unexpected_answers: list[str] = field(default_factory=list)
    cases_in_database: int = 0
    consultations_in_database: int = 0
    created_ids_missing: list[int] = field(default_factory=list)
    created_ids_doubled: list[int] = field(default_factory=list)
    audit_entries_for_created: int = 0
    indicator_growth: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [
            f"wrk writers: {self.writers.requests} requests, {self.writers.rate:.1f}/s, "
            f"non-2xx/3xx {self.writers.non_2xx_3xx}, socket errors {self.writers.socket_errors}",
            f"wrk readers: {self.readers.requests} requests, {self.readers.rate:.1f}/s, "
            f"non-2xx/3xx {self.readers.non_2xx_3xx}, socket errors {self.readers.socket_errors}",
            f"acknowledged: {len(self.acknowledged_created)} new cases, "
            f"{self.acknowledged_consultations} consultations on the shared case",
            f"in the database: {self.cases_in_database} new cases, {self.consultations_in_database} "
            f"consultations on the shared case, {self.audit_entries_for_created} audit entries for them",
            f"indicator 1-01-01-1 grew by {self.indicator_growth}",
            "problems: " + ("; ".join(self.problems) if self.problems else "none"),
        ]


class Client:
    """A logged-in user, by plain HTTP (the same requests a browser sends)."""

    def __init__(self, base_url: str):
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port
        self.cookie = ""

    def request(self, method: str, path: str, body: dict | None = None):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        page = response.read().decode("utf-8", "replace")
        conn.close()
        cookie = response.headers.get("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
        return response.status, response.headers, page

    def log_in(self, username: str, password: str) -> None:
        _s, _h, page = self.request("GET", "/login")
        status, _h, _p = self.request("POST", "/login", {"username": username, "password": password,
                                                          "csrf_token": csrf_token(page)})
        if status != 302:
            raise RuntimeError(f"login of {username} failed ({status})")


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def counter_form(marker: str, token: str, held_on: str) -> dict:
    """A new person at the counter; SEQ is replaced by wrk with a number unique in the run."""
    return {"csrf_token": token, "person": "new", "family_name": "負荷", "given_name": "SEQ",
            "family_name_kana": "ふか", "given_name_kana": "てすと", "held_on": held_on,
            "channel": "counter", "supporting_body": "city", "staff_id": "", "consult_staff_id": "",
            "confirm_new": "y", "business_idea": f"{marker} SEQ"}


def consultation_form(marker: str, token: str, held_on: str) -> dict:
    return {"csrf_token": token, "held_on": held_on, "channel": "phone", "consult_staff_id": "",
            "notes": marker}


def _wrk(script: str, base_url: str, cookie: str, args: list[str], duration: int, connections: int,
         threads: int) -> subprocess.Popen:
    return subprocess.Popen(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s",
         "-H", f"Cookie: {cookie}", "-s", script, base_url, "--", *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _parse_wrk(output: str) -> WrkRun:
    run = WrkRun(output=output)
    run.requests = int(re.search(r"(\d+) requests in", output).group(1))
    run.rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    run.non_2xx_3xx = int(non_2xx.group(1)) if non_2xx else 0
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    run.socket_errors = sum(int(g) for g in errors.groups()) if errors else 0
    return run


def _indicator_value(database_url: str, fiscal_year: int, month: str) -> int:
    """1-01-01-1 (people whose first startup consultation falls in the year) from `flask rollup`."""
    env = {**os.environ, "DATABASE_URL": database_url}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "rollup", "--fy", str(fiscal_year)],
                          cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    for row in csv.DictReader(io.StringIO(done.stdout)):
        if row["code"] == "1-01-01-1" and row["month"] == month:
            return int(float(row["value"] or 0))
    raise RuntimeError(f"1-01-01-1 {month} not in the rollup")


def _settled_count(conn, query, params) -> int:
    """A count once the server has finished the requests still in flight when wrk stopped:
    equal twice, half a second apart."""
    previous = None
    while True:
        count = conn.execute(query, params).scalar_one()
        if count == previous:
            return count
        previous = count
        time.sleep(0.5)
        conn.rollback()


def _count_in_database(database_url: str, marker: str, shared_case: int, report: LoadReport) -> None:
    import sqlalchemy as sa

    created = sa.text("SELECT id FROM startup_cases WHERE business_idea LIKE :m")
    pattern = {"m": marker + " %"}
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            _settled_count(conn, sa.text(f"SELECT COUNT(*) FROM ({created.text}) AS c"), pattern)
            in_database = set(conn.execute(created, pattern).scalars())
            report.cases_in_database = len(in_database)
            acknowledged = report.acknowledged_created
            report.created_ids_missing = sorted(set(acknowledged) - in_database)
            report.created_ids_doubled = sorted({i for i in acknowledged if acknowledged.count(i) > 1})
            report.consultations_in_database = _settled_count(conn, sa.text(
                "SELECT COUNT(*) FROM startup_consultations WHERE case_id = :c AND notes = :m"),
                {"c": shared_case, "m": marker})
            audited = set(conn.execute(sa.text(
                "SELECT entity_id FROM audit_log WHERE entity = 'startup_cases' AND action = 'create'")).scalars())
            report.audit_entries_for_created = len({str(i) for i in in_database} & audited)
    finally:
        engine.dispose()


def _judge(report: LoadReport) -> None:
    in_flight = report.connections  # at most one unanswered request per connection when wrk stops
    p = report.problems
    for name, run in (("writers", report.writers), ("readers", report.readers)):
        if run.non_2xx_3xx or run.socket_errors:
            p.append(f"{name}: {run.non_2xx_3xx} error answers, {run.socket_errors} socket errors")
    if report.unexpected_answers:
        p.append(f"writes not acknowledged with a redirect: {report.unexpected_answers[:5]}")
    if not report.acknowledged_created or not report.acknowledged_consultations:
        p.append("no write was acknowledged")
    if report.created_ids_missing:
        p.append(f"acknowledged cases missing from the database: {report.created_ids_missing[:10]}")
    if report.created_ids_doubled:
        p.append(f"one case acknowledged twice: {report.created_ids_doubled[:10]}")
    extra_cases = report.cases_in_database - len(report.acknowledged_created)
    if not 0 <= extra_cases <= in_flight:
        p.append(f"{report.cases_in_database} cases in the database for "
                 f"{len(report.acknowledged_created)} acknowledged")
    extra_consultations = report.consultations_in_database - report.acknowledged_consultations
    if not 0 <= extra_consultations <= in_flight:
        p.append(f"{report.consultations_in_database} consultations in the database for "
                 f"{report.acknowledged_consultations} acknowledged")
    if report.audit_entries_for_created != report.cases_in_database:
        p.append(f"{report.audit_entries_for_created} audit entries for {report.cases_in_database} cases")
    if report.indicator_growth != report.cases_in_database:
        p.append(f"indicator grew by {report.indicator_growth}, {report.cases_in_database} new people")


def run_load(base_url: str, database_url: str, username: str, password: str, *, duration: int = 10,
             connections: int = 8, threads: int = 2) -> LoadReport:
    """Writers and readers at once for `duration` seconds, then every count checked."""
    from casework import jp

    today = jp.today()
    fiscal_year, month = jp.fiscal_year_of(today), today.strftime("%Y-%m")
    marker = f"load-{uuid.uuid4().hex[:10]}"
    report = LoadReport(duration, connections)

    client = Client(base_url)
    client.log_in(username, password)
    _s, _h, page = client.request("GET", "/startups/counter")
    token = csrf_token(page)
    held_on = today.isoformat()
    first = counter_form(marker, token, held_on) | {"given_name": "共有", "business_idea": f"{marker}-shared"}
    status, headers, _p = client.request("POST", "/startups/counter", first)
    if status != 302:
        raise RuntimeError(f"could not create the shared case ({status})")
    case_path = urllib.parse.urlsplit(headers["Location"]).path
    shared_case = int(case_path.rsplit("/", 1)[1])
    before = _indicator_value(database_url, fiscal_year, month)

    with tempfile.TemporaryDirectory() as scratch:
        writer_script, reader_script = Path(scratch, "write.lua"), Path(scratch, "read.lua")
        writer_script.write_text(WRITER_LUA)
        reader_script.write_text(READER_LUA)
        out_dir = Path(scratch, "seen")
        out_dir.mkdir()
        writers = _wrk(str(writer_script), base_url, client.cookie, [
            urllib.parse.urlencode(counter_form(marker, token, held_on)),
            urllib.parse.urlencode(consultation_form(marker, token, held_on)),
            case_path, str(out_dir)], duration, max(1, connections // 2), max(1, threads // 2))
        readers = _wrk(str(reader_script), base_url, client.cookie, [
            "/startups/cases", "/people/?q=" + urllib.parse.quote("ふか"), case_path],
            duration, max(1, connections - connections // 2), max(1, threads - threads // 2))
        report.writers = _parse_wrk(writers.communicate(timeout=duration + 120)[0])
        report.readers = _parse_wrk(readers.communicate(timeout=duration + 120)[0])
        for seen in out_dir.iterdir():
            for line in seen.read_text().splitlines():
                kind, _sep, value = line.partition(" ")
                if kind == "created":
                    report.acknowledged_created.append(int(value))
                elif kind == "consulted":
                    report.acknowledged_consultations += 1
                else:
                    report.unexpected_answers.append(value)

    _count_in_database(database_url, marker, shared_case, report)
    report.indicator_growth = _indicator_value(database_url, fiscal_year, month) - before
    _judge(report)
    return report


def main(argv=None) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from pages import PASSWORD, PORT, ensure_users, serve, stop
    from rollup import prepared_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")
    url = prepared_database(args.cases, fresh=False)
    ensure_users(url)
    server = serve("wsgi:app", url, args.workers)
    try:
        report = run_load(f"http://127.0.0.1:{PORT}", url, "bench_counter", PASSWORD,
                          duration=args.duration, connections=args.connections, threads=args.threads)
    finally:
        stop(server)
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"{kind}, {args.cases} cases; gunicorn --workers {args.workers}; two wrk processes "
          f"({args.connections} connections in all) for {args.duration}s on 127.0.0.1")
    for line in report.lines():
        print(line)
    sys.exit(0 if report.ok else 1)


if __name__ == "__main__":
    main()

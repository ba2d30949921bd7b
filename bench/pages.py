"""Throughput of the product's hot pages against a reference page, under the same gunicorn settings.

    python bench/pages.py --cases N [--duration 10] [--connections 8] [--workers 2]
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/postgres python bench/pages.py --cases N

Uses the database bench/generate.py made for N cases (generating it when missing), adds three
users, serves the product (`gunicorn wsgi:app`) and then the reference page
(`gunicorn bench.reference_app:app`: 50 rows from one indexed query rendered with Jinja) on
127.0.0.1 with the same settings, and measures each page with wrk (Debian's `wrk`) for a bounded
time. Prints requests/s of each page and its ratio to the reference (the reference is measured
before and after the product's pages; their mean is used). Two more pages of the reference app
are measured with it, for calibration: Flask's bare route (the issue's figures were taken where
it served ~7,000 req/s and the reference ~1,300–1,500) and the same 50 rows written the usual
Flask-SQLAlchemy way (ratios to it in the last column)."""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import DATA_DIR  # noqa: E402
from rollup import prepared_database  # noqa: E402

PASSWORD = "bench-password-not-secret"
SECRET = "bench-secret-key-not-for-production"
PORT = 18091


def ensure_users(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CASEWORK_INSTANCE", str(DATA_DIR / "instance"))
    from casework import create_app
    from casework.audit.trail import acting_as
    from casework.auth.services import create_user, find_user
    from casework.extensions import db

    app = create_app()
    with app.app_context(), acting_as("bench"):
        for role in ("counter", "manager", "coordinator"):
            if not find_user(f"bench_{role}"):
                create_user(f"bench_{role}", role, PASSWORD)
        db.session.commit()
        db.engine.dispose()


def serve(target: str, url: str, workers: int) -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET,
               CASEWORK_INSTANCE=str(DATA_DIR / "instance"), PYTHONPATH=str(ROOT))
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{PORT}",
         "--timeout", "120", "--log-level", "warning", target],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            status, _h, _b = request("GET", "/healthz" if target == "wsgi:app" else "/")
            if status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.3)
    stop(process)
    raise RuntimeError(f"{target} did not start")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def request(method: str, path: str, body: dict | None = None, cookie: str = ""):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    headers = {"Cookie": cookie} if cookie else {}
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=data, headers=headers)
    response = conn.getresponse()
    payload = response.read().decode("utf-8", "replace")
    conn.close()
    return response.status, response.headers, payload


def login(username: str) -> str:
    _s, headers, page = request("GET", "/login")
    cookie = headers["Set-Cookie"].split(";")[0]
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    status, headers, _p = request("POST", "/login", {"username": username, "password": PASSWORD,
                                                      "csrf_token": token}, cookie)
    assert status == 302, f"login of {username} failed ({status})"
    return headers["Set-Cookie"].split(";")[0]


def wrk(path: str, cookie: str, args) -> tuple[float, str]:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s", "--timeout", "30s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run([*command, f"http://127.0.0.1:{PORT}{path}"], capture_output=True, text=True,
                            check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = re.search(r"Latency\s+(\S+)", output).group(1)
    note = f"avg latency {latency}" + (f", NON-2xx: {errors.group(1)}" if errors else "")
    return rate, note


def main(argv=None) -> None:
    global PORT
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the same for every app)")
    parser.add_argument("--fy", type=int, default=2026)
    parser.add_argument("--only", default="",
                        help="measure only the pages whose label contains this text (or one of TEXT|TEXT...)")
    parser.add_argument("--port", type=int, default=PORT,
                        help="port of the servers (another benchmark may be running on the default one)")
    args = parser.parse_args(argv)
    PORT = args.port
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install -y wrk")

    url = prepared_database(args.cases, fresh=False)
    ensure_users(url)
    fy = args.fy
    pages = [
        ("home page (per-request overhead only)", "counter", "/"),
        ("dashboard (repeat views, cached rollup)", "manager", f"/plans/?fy={fy}"),
        ("drill-down 1-01-01-1, one month", "manager", f"/plans/indicators/1-01-01-1/records?fy={fy}&month={fy}-06&scope=month"),
        ("drill-down 1-01-01-1, year to date", "manager", f"/plans/indicators/1-01-01-1/records?fy={fy}&month={fy + 1}-03"),
        ("drill-down 1-01-06-1, year to date", "manager", f"/plans/indicators/1-01-06-1/records?fy={fy}&month={fy + 1}-03"),
        ("startup case list", "counter", "/startups/cases"),
        ("startup case list, one fiscal year", "counter", f"/startups/cases?fy={fy}"),
        ("person search, furigana prefix ﾀﾅｶ", "counter", "/people/?q=" + urllib.parse.quote("ﾀﾅｶ")),
        ("person search ﾀﾅｶ as a manager (their programs' people)", "manager",
         "/people/?q=" + urllib.parse.quote("ﾀﾅｶ")),
        ("host-family list", "coordinator", "/students/families"),
        ("partnership list", "counter", "/partnerships/"),
        ("migration case list", "counter", "/migrants/"),
    ]
    pages = [page for page in pages if any(part in page[0] for part in args.only.split("|"))]
    results = []

    reference = serve("bench.reference_app:app", url, args.workers)
    try:
        request("GET", "/")
        ref_before, _n = wrk("/", "", args)
        bare, _n = wrk("/bare", "", args)
        request("GET", "/usual")
        usual, _n = wrk("/usual", "", args)
    finally:
        stop(reference)

    product = serve("wsgi:app", url, args.workers)
    try:
        cookies = {role: login(f"bench_{role}") for role in ("counter", "manager", "coordinator")}
        for label, role, path in pages:
            status, _h, _b = request("GET", path, cookie=cookies[role])  # warm: the rollup cache, the code
            assert status == 200, f"{path}: {status}"
            rate, note = wrk(path, cookies[role], args)
            results.append((label, path, rate, note))
    finally:
        stop(product)

    reference = serve("bench.reference_app:app", url, args.workers)
    try:
        ref_after, _n = wrk("/", "", args)
    finally:
        stop(reference)

    ref = (ref_before + ref_after) / 2
    kind = "postgresql" if url.startswith("postgresql") else "sqlite"
    print(f"{kind}, {args.cases} cases; gunicorn --workers {args.workers}; "
          f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s on 127.0.0.1")
    print(f"reference page (50 rows, one indexed query): {ref_before:.0f} req/s before, {ref_after:.0f} after")
    print(f"calibration: bare Flask route {bare:.0f} req/s (reference = {ref / bare:.2f} of it; the issue's "
          f"figures: 1,300-1,500 of 7,000 = 0.19-0.21); the same 50 rows the usual Flask-SQLAlchemy way "
          f"{usual:.0f} req/s ({usual / ref:.2f} of the reference)")
    print(f"{'page':56} {'req/s':>8} {'ratio':>6} {'usual':>6}  notes")
    for label, path, rate, note in results:
        print(f"{label:56} {rate:8.1f} {rate / ref:6.2f} {rate / usual:6.2f}  {note}  {path}")


if __name__ == "__main__":
    main()

"""End-to-end support: the real app served by gunicorn on 127.0.0.1 with a fresh database, and
Debian's Chromium driven by Playwright (no browser download: LGWAN machines have none)."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CASEWORK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]
PASSWORD = "browser-test-password"
ROLES = ("counter", "coordinator", "manager", "admin")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _flask(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          input=stdin, text=True, capture_output=True, check=True)


def _wait_until_healthy(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not become healthy in time")


@contextmanager
def live_server(database_url: str, instance_dir: Path):
    """Migrate, load the plan, create one account per role, serve; always stop the server."""
    env = {**os.environ, "DATABASE_URL": database_url, "CASEWORK_INSTANCE": str(instance_dir),
           "SECRET_KEY": "e2e-secret-key"}
    _flask(env, "db", "upgrade")
    if subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "plan", "--help"], cwd=ROOT,
                      env=env, capture_output=True).returncode == 0:
        _flask(env, "plan", "load")
    for role in ROLES:
        _flask(env, "users", "create", role, "--role", role, "--password-stdin", stdin=PASSWORD + "\n")
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--timeout", "60", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log_in(page, base_url: str, username: str, password: str = PASSWORD) -> None:
    page.goto(base_url + "/login")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(base_url + "/")


def serious_accessibility_violations(page) -> list[str]:
    """axe-core (shipped inside axe-playwright-python) on the current page: serious and
    critical violations, as readable lines."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]

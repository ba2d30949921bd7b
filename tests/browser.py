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
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          input=stdin, text=True, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


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
def live_server(database_url: str, instance_dir: Path, *, display_names: dict[str, str] | None = None,
                setup=None):
    """Migrate, load the plan, create one account per role (user name = role; display_names
    may give them names), run setup(flask) where flask(*args, stdin=None) runs a flask command
    on that database (e.g. imports), serve; always stop the server."""
    env = {**os.environ, "DATABASE_URL": database_url, "CASEWORK_INSTANCE": str(instance_dir),
           "SECRET_KEY": "e2e-secret-key"}
    _flask(env, "db", "upgrade", "heads")
    if subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "plan", "--help"], cwd=ROOT,
                      env=env, capture_output=True).returncode == 0:
        _flask(env, "plan", "load")
    for role in ROLES:
        name = ["--name", display_names[role]] if display_names and role in display_names else []
        _flask(env, "users", "create", role, "--role", role, *name, "--password-stdin", stdin=PASSWORD + "\n")
    if setup is not None:
        setup(lambda *args, stdin=None: _flask(env, *args, stdin=stdin))
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


def focused(page) -> dict:
    """What has the keyboard focus: tag, id, type, its text or label, and whether a focus ring
    is drawn (outline or box-shadow), as a keyboard user sees it."""
    return page.evaluate("""() => {
      const el = document.activeElement;
      if (!el || el === document.body) return {tag: "body", id: "", text: "", ring: false};
      const style = getComputedStyle(el);
      const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
      return {tag: el.tagName.toLowerCase(), id: el.id || "", type: el.type || "",
              text: (el.innerText || el.value || label || "").trim(), label: label.trim(),
              href: el.getAttribute("href") || "",
              ring: (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0)
                    || (style.boxShadow && style.boxShadow !== "none")};
    }""")


def tab_to(page, wanted, limit: int = 120) -> dict:
    """Press Tab (only the keyboard) until the focused element matches `wanted`: an element id
    ("#family_name") or a function of focused(page). Fails if it never gets there, and if the
    element reached shows no focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        hit = now["id"] == wanted[1:] if isinstance(wanted, str) else wanted(now)
        if hit:
            assert now["ring"], f"no visible focus on {now}"
            return now
    raise AssertionError(f"Tab never reached {wanted!r}")

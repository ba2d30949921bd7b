#!/usr/bin/env python3
"""Set up and run casework, or its tests, on a fresh machine with only Python 3.

    python3 scripts/dev.py serve   # venv, install, migrate, load the plan, first admin, run
    python3 scripts/dev.py test    # Chromium, venv, install with the test extra, run the whole suite

Standard library only: this runs before anything is installed.
"""

import os
import secrets
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
INSTANCE = Path(os.environ.get("CASEWORK_INSTANCE", ROOT / "instance"))


def run(*args: str, **kwargs) -> subprocess.CompletedProcess:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, check=True, **kwargs)


def ensure_venv(extra: str = "") -> None:
    if not PYTHON.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    target = f".[{extra}]" if extra else "."
    run(str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-e", target)


def flask(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return run(str(PYTHON), "-m", "flask", "--app", "wsgi", *args, **kwargs)


def plan_command_exists() -> bool:
    probe = subprocess.run([str(PYTHON), "-m", "flask", "--app", "wsgi", "plan", "--help"],
                           cwd=ROOT, capture_output=True)
    return probe.returncode == 0


def ensure_first_admin() -> str:
    """Create the account 'admin' once, with a random password kept in instance/ (never in git)."""
    password_file = INSTANCE / "first-admin-password"
    if password_file.exists():
        return password_file.read_text().strip()
    password = secrets.token_urlsafe(12)
    result = subprocess.run(
        [str(PYTHON), "-m", "flask", "--app", "wsgi", "users", "create", "admin", "--role", "admin",
         "--name", "システム管理者", "--password-stdin"],
        cwd=ROOT, input=password + "\n", text=True, capture_output=True)
    if result.returncode != 0:
        print(result.stdout + result.stderr)
        return ""
    INSTANCE.mkdir(parents=True, exist_ok=True)
    password_file.write_text(password + "\n")
    password_file.chmod(0o600)
    return password


def serve() -> None:
    ensure_venv()
    flask("db", "upgrade")
    if plan_command_exists():
        flask("plan", "load")
    password = ensure_first_admin()
    host, port = os.environ.get("HOST", "127.0.0.1"), os.environ.get("PORT", "5000")
    print("\n" + "=" * 60)
    print(f"casework: http://{host}:{port}/login をブラウザで開いてください。")
    if password:
        print(f"  ユーザー名: admin   パスワード: {password}")
        print(f"  （パスワードは {INSTANCE / 'first-admin-password'} にも保存されています）")
    else:
        print("  管理者アカウントは既にあります。")
    print("=" * 60 + "\n", flush=True)
    os.execv(str(PYTHON), [str(PYTHON), "-m", "flask", "--app", "wsgi", "run", "--host", host, "--port", port])


def _japanese_font() -> bool:
    listing = subprocess.run(["fc-list", ":lang=ja"], capture_output=True, text=True) if shutil.which("fc-list") else None
    return bool(listing and listing.stdout.strip())


def ensure_test_tools() -> None:
    """The browser tests drive Debian's Chromium (Playwright never downloads a browser here),
    with a Japanese font so that pages, screenshots and printed PDFs show Japanese text; the
    load test drives wrk."""
    packages = []
    if not Path(os.environ.get("CASEWORK_CHROMIUM", "/usr/bin/chromium")).exists():
        packages.append("chromium")
    if not _japanese_font():
        packages.append("fonts-ipafont-gothic")
    if not shutil.which("wrk"):
        packages.append("wrk")
    if not packages:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "install", "-y", "-q", *packages], env=env).returncode != 0:
            run("apt-get", "update", "-q", env=env)
            run("apt-get", "install", "-y", "-q", *packages, env=env)
    else:
        print(f"Missing for the browser and load tests: install them with `sudo apt-get install {' '.join(packages)}`.")


def test(pytest_args: list[str]) -> None:
    ensure_test_tools()
    ensure_venv("test")
    os.execv(str(PYTHON), [str(PYTHON), "-m", "pytest", *pytest_args])


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"serve", "test"}:
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "serve":
        serve()
    else:
        test(sys.argv[2:])


if __name__ == "__main__":
    main()

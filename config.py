"""Settings, read from the environment so that nothing secret lives in the repository."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

INSTANCE_DIR = Path(os.environ.get("CASEWORK_INSTANCE", Path(__file__).parent / "instance"))


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'casework.db'}"
    # Hosting panels often hand out postgres:// URLs; psycopg 3 is our driver.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ and reused."""
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL: two workers starting together must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return key_file.read_text().strip()


class Config:
    SQLALCHEMY_DATABASE_URI = None  # filled in by create_app from database_url()
    # Error messages must not carry names or birth dates into the logs.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"hide_parameters": True}
    SECRET_KEY = None  # filled in by create_app from secret_key()

    # Sessions: idle ones end after 30 minutes (the signed cookie carries its own timestamp,
    # checked server-side), every session ends after 10 hours whatever happens.
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=int(os.environ.get("IDLE_MINUTES", "30")))
    SESSION_ABSOLUTE_HOURS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "10"))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Behind HTTPS in production: a __Host- cookie, Secure. Plain http on localhost keeps working.
    # (create_app turns HTTPS into the cookie settings, HSTS and trusting the proxy's headers.)
    HTTPS = _env_flag("CASEWORK_HTTPS")
    SESSION_COOKIE_NAME = "casework"
    # Re-enter the password before changing someone's role or exporting personal data,
    # when the last password entry is older than this.
    REAUTH_MINUTES = 10

    WTF_CSRF_TIME_LIMIT = None  # the session lifetime already bounds the token
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_UPLOAD_MB", "20")) * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "ja"
    BABEL_DEFAULT_TIMEZONE = "Asia/Tokyo"
    LANGUAGES = ("ja", "en")

    PASSWORD_MIN_LENGTH = 12
    # argon2id; the library defaults (t=3, m=64 MiB, p=4) are above OWASP's minimums.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_KIB = 65536
    ARGON2_PARALLELISM = 4
    # Failed logins: from the 3rd failure each next try must wait longer; at 10 the account
    # is locked for LOGIN_LOCK_MINUTES.
    LOGIN_SLOWDOWN_AFTER = 3
    LOGIN_LOCK_AFTER = 10
    LOGIN_LOCK_MINUTES = 15

    PAGE_SIZE = 50

    # Rollup grades (評価) on the managers' dashboard: the value as a percentage of where the
    # target's steady pace would be by now; below the last band is "C". A value worse than the
    # plan's baseline (現状) gets at most ROLLUP_GRADE_BELOW_BASELINE.
    ROLLUP_GRADE_BANDS = (("S", 100), ("A", 80), ("B", 50))
    ROLLUP_GRADE_BELOW_BASELINE = "C"

    # Migrant support (移住受入支援): a relocation grant (移住支援金) is repaid in full when the
    # household moves out before MIGRANT_REPAY_FULL_YEARS after the move-in, half before
    # MIGRANT_REPAY_HALF_YEARS. Settlement checks fall MIGRANT_FOLLOWUP_YEARS after the move-in,
    # scheduled for cases with a support of MIGRANT_DUTY_SUPPORT_KINDS (or on request).
    MIGRANT_REPAY_FULL_YEARS = 3
    MIGRANT_REPAY_HALF_YEARS = 5
    MIGRANT_FOLLOWUP_YEARS = (1, 3, 5)
    MIGRANT_DUTY_SUPPORT_KINDS = ("grant",)

    # Personal data is kept this many years after a person's last record ended; then
    # `flask --app wsgi data anonymize` anonymizes them (the rule: casework/admin/retention.py).
    RETENTION_YEARS = int(os.environ.get("RETENTION_YEARS", "5"))


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    # Cheap hashing keeps the suite fast; production parameters are tested separately.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_KIB = 1024
    ARGON2_PARALLELISM = 1

"""Password hashing: argon2id, re-hashing weaker or older hashes at the next login."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from werkzeug.security import check_password_hash


def _hasher() -> PasswordHasher:
    cfg = current_app.config
    return PasswordHasher(
        time_cost=cfg["ARGON2_TIME_COST"],
        memory_cost=cfg["ARGON2_MEMORY_KIB"],
        parallelism=cfg["ARGON2_PARALLELISM"],
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, bool]:
    """(matches, needs_rehash). Werkzeug scrypt/pbkdf2 hashes from older installs still verify."""
    if not stored_hash:
        return False, False
    if stored_hash.startswith("$argon2"):
        hasher = _hasher()
        try:
            hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False, False
        return True, hasher.check_needs_rehash(stored_hash)
    if check_password_hash(stored_hash, password):
        return True, True
    return False, False


def password_problem(password: str, username: str = "") -> str | None:
    """A Japanese reason the password is not acceptable, or None."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return f"パスワードは{minimum}文字以上にしてください。"
    if len(password) > 256:
        return "パスワードは256文字以内にしてください。"
    if username and username.lower() in password.lower():
        return "パスワードにユーザー名を含めないでください。"
    return None

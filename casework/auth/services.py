"""Account writes: login bookkeeping, creating and changing accounts. Callers commit."""

import re
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from casework.audit.trail import record_event
from casework.auth.models import User
from casework.auth.passwords import hash_password, password_problem, verify_password
from casework.auth.permissions import Role
from casework.db import utcnow
from casework.extensions import db

USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
GENERIC_LOGIN_ERROR = "ユーザー名またはパスワードが正しくありません。"


class AccountError(ValueError):
    """A Japanese message for the user."""


@dataclass
class LoginResult:
    user: User | None
    error: str | None = None


def find_user(username: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.username == username.strip().lower()))


def _wait_before_next_try(user: User) -> timedelta:
    extra = user.failed_logins - current_app.config["LOGIN_SLOWDOWN_AFTER"]
    if extra < 0 or user.last_failed_login_at is None:
        return timedelta(0)
    delay = timedelta(seconds=min(2**extra, 60))
    return max(timedelta(0), user.last_failed_login_at + delay - utcnow())


def _update_login_state(user: User, **values) -> None:
    """Login bookkeeping is written past the ORM: it must not bump the record's version (an
    administrator editing the account meanwhile would see a false conflict); the login events
    themselves are in the audit log."""
    db.session.execute(sa.update(User).where(User.id == user.id).values(**values))


def _register_failure(user: User) -> None:
    cfg = current_app.config
    failures = (user.failed_logins or 0) + 1
    values = {"failed_logins": failures, "last_failed_login_at": utcnow()}
    if failures >= cfg["LOGIN_LOCK_AFTER"]:
        values.update(locked_until=utcnow() + timedelta(minutes=cfg["LOGIN_LOCK_MINUTES"]),
                      failed_logins=0)
    _update_login_state(user, **values)
    record_event("login_failed", entity="users", entity_id=user.id,
                 user_id=user.id, username=user.username)


def authenticate(username: str, password: str) -> LoginResult:
    """Check a login attempt, keeping the failure count in the database so that it holds
    across every worker process."""
    user = find_user(username)
    if user is None or not user.active:
        record_event("login_failed", detail=f"unknown or inactive: {username[:64]}",
                     user_id=None, username=username[:64])
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = int((user.locked_until - now).total_seconds() // 60) + 1
        record_event("login_failed", entity="users", entity_id=user.id, detail="locked",
                     user_id=user.id, username=user.username)
        return LoginResult(None, f"ログインの失敗が続いたため、このアカウントは一時的にロックされています。約{minutes}分後にもう一度お試しください。")
    wait = _wait_before_next_try(user)
    if wait > timedelta(0):
        seconds = int(wait.total_seconds()) + 1
        return LoginResult(None, f"ログインの失敗が続いています。{seconds}秒待ってからもう一度お試しください。")
    matches, needs_rehash = verify_password(user.password_hash, password)
    if not matches:
        _register_failure(user)
        return LoginResult(None, GENERIC_LOGIN_ERROR)
    values = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
    if needs_rehash:
        values["password_hash"] = hash_password(password)
    _update_login_state(user, **values)
    record_event("login", entity="users", entity_id=user.id, user_id=user.id,
                 username=user.username)
    return LoginResult(user)


def _check_password(password: str, username: str) -> None:
    problem = password_problem(password, username)
    if problem:
        raise AccountError(problem)


def _check_role(role: str) -> None:
    if role not in {r.value for r in Role}:
        raise AccountError(f"役割「{role}」はありません。counter, coordinator, manager, admin のいずれかです。")


def create_user(username: str, role: str, password: str, display_name: str = "") -> User:
    username = username.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError("ユーザー名は半角英数字と - _ . で64文字以内にしてください。")
    _check_role(role)
    _check_password(password, username)
    if find_user(username):
        raise AccountError(f"ユーザー名「{username}」は既に使われています。")
    user = User(username=username, role=role, display_name=display_name.strip() or username,
                password_hash=hash_password(password), password_changed_at=utcnow())
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    _check_password(password, user.username)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    user.failed_logins = 0
    user.locked_until = None
    user.renew_session_token()


def change_role(user: User, role: str) -> None:
    _check_role(role)
    user.role = role
    user.renew_session_token()


def set_active(user: User, active: bool) -> None:
    user.active = active
    if not active:
        user.renew_session_token()


def end_session(user: User) -> None:
    """Logout: every copy of the old cookie stops working."""
    user.renew_session_token()
    record_event("logout", entity="users", entity_id=user.id)

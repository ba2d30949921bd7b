import time
from datetime import timedelta

import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.auth.models import User
from casework.extensions import db
from tests.conftest import PASSWORD, login


def _user(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.username == username))


def test_login_page_is_japanese(client):
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="ja"' in page
    assert "ユーザー名" in page and "パスワード" in page and "ログイン" in page


def test_login_then_home_shows_name_and_fiscal_year(client, make_user):
    user = make_user("counter")
    response = login(client, user.username, follow=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "ようこそ" in page and "年度" in page and "令和" in page


def test_login_with_username_in_any_case(client, make_user):
    user = make_user("manager")
    assert login(client, user.username.upper()).status_code == 302


def test_wrong_password_gives_japanese_message_and_no_session(client, make_user):
    user = make_user("counter")
    response = login(client, user.username, "wrong-password-here")
    assert response.status_code == 200
    assert "ユーザー名またはパスワードが正しくありません" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_unknown_user_gets_the_same_message(client):
    response = login(client, "nobody", "whatever-password")
    assert "ユーザー名またはパスワードが正しくありません" in response.get_data(as_text=True)


def test_next_parameter_only_allows_local_paths(client, make_user):
    user = make_user("admin")
    response = client.post("/login?next=https://evil.example/", data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/"
    client.get("/logout")
    response = client.post("/login?next=/admin/users", data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/admin/users"


def test_repeated_failures_slow_down_then_lock(app, client, make_user):
    user = make_user("counter")
    for _ in range(app.config["LOGIN_SLOWDOWN_AFTER"]):
        login(client, user.username, "wrong-password-here")
    # The next try within the waiting time is refused even with the right password.
    response = login(client, user.username)
    assert response.status_code == 200
    assert "秒待ってから" in response.get_data(as_text=True)
    # Failures beyond the lock threshold lock the account for a while.
    with app.app_context():
        u = db.session.get(User, user.id)
        u.failed_logins = app.config["LOGIN_LOCK_AFTER"] - 1
        u.last_failed_login_at = None
        db.session.commit()
    login(client, user.username, "wrong-password-here")
    response = login(client, user.username)
    assert "ロックされています" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    locked = _user(app, user.username)
    assert locked.locked_until is not None
    # Once the lock has passed, the right password works again.
    with app.app_context():
        u = db.session.get(User, user.id)
        u.locked_until = u.locked_until - timedelta(minutes=app.config["LOGIN_LOCK_MINUTES"] + 1)
        db.session.commit()
    assert login(client, user.username).status_code == 302


def test_failed_logins_are_audited(app, client, make_user):
    user = make_user("counter")
    login(client, user.username, "wrong-password-here")
    login(client, user.username)
    with app.app_context():
        actions = db.session.scalars(
            sa.select(AuditEntry.action).where(AuditEntry.username == user.username).order_by(AuditEntry.id)
        ).all()
    assert actions[-2:] == ["login_failed", "login"]


def test_logout_invalidates_a_copied_cookie(app, make_user):
    user = make_user("counter")
    client = app.test_client()
    login(client, user.username)
    stolen = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    assert client.get("/").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], stolen)
    assert thief.get("/").status_code == 302


def test_deactivated_account_is_logged_out_and_cannot_log_in(app, make_user):
    user = make_user("counter")
    client = app.test_client()
    login(client, user.username)
    with app.app_context():
        from casework.auth.services import set_active

        set_active(db.session.get(User, user.id), False)
        db.session.commit()
    assert client.get("/").status_code == 302
    assert login(client, user.username).status_code == 200


def test_idle_session_ends(app, make_user):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=1)
    user = make_user("counter")
    client = app.test_client()
    login(client, user.username)
    assert client.get("/").status_code == 200
    time.sleep(2.2)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_cookie_is_reissued_only_when_due_and_activity_keeps_the_session(app, make_user):
    # An idle limit of 60 s: the cookie is re-issued once it is 2 s old (casework/sessions.py).
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=60)
    user = make_user("counter")
    client = app.test_client()
    login(client, user.username)
    client.get("/")  # the first page adds the form token to the session
    assert "Set-Cookie" not in client.get("/").headers  # just issued: nothing to renew
    time.sleep(2.2)
    response = client.get("/")
    assert response.status_code == 200 and "Set-Cookie" in response.headers
    # With an idle limit of 3 s (re-issued after 0.1 s), activity for longer keeps the session.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=3)
    for _ in range(4):
        time.sleep(1.2)
        assert client.get("/").status_code == 200


def test_session_has_an_absolute_limit(app, client, make_user):
    user = make_user("counter")
    login(client, user.username)
    with client.session_transaction() as session:
        session["login_at"] -= app.config["SESSION_ABSOLUTE_HOURS"] * 3600 + 1
    assert client.get("/").status_code == 302


def test_password_change_keeps_this_session_and_ends_others(app, make_user):
    user = make_user("coordinator")
    mine, other = app.test_client(), app.test_client()
    login(mine, user.username)
    login(other, user.username)
    new_password = "a-brand-new-passphrase"
    response = mine.post("/account", data={
        "pw-current_password": PASSWORD, "pw-new_password": new_password,
        "pw-confirm": new_password, "pw-submit": "1"}, follow_redirects=True)
    assert "パスワードを変更しました" in response.get_data(as_text=True)
    assert mine.get("/").status_code == 200
    assert other.get("/").status_code == 302
    assert login(app.test_client(), user.username, new_password).status_code == 302


def test_short_password_is_refused(client, make_user):
    user = make_user("counter")
    login(client, user.username)
    response = client.post("/account", data={
        "pw-current_password": PASSWORD, "pw-new_password": "short", "pw-confirm": "short",
        "pw-submit": "1"})
    assert "文字以上にしてください" in response.get_data(as_text=True)


def test_english_is_chosen_per_user(client, make_user):
    user = make_user("counter")
    login(client, user.username)
    client.post("/account", data={"loc-locale": "en", "loc-submit": "1"})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Log out" in page


def test_passwords_are_argon2id_and_old_hashes_are_upgraded(app, client, make_user):
    from werkzeug.security import generate_password_hash

    user = make_user("counter")
    assert _user(app, user.username).password_hash.startswith("$argon2id$")
    with app.app_context():
        u = db.session.get(User, user.id)
        u.password_hash = generate_password_hash(PASSWORD, method="scrypt")
        db.session.commit()
    assert login(client, user.username).status_code == 302
    assert _user(app, user.username).password_hash.startswith("$argon2id$")


def test_production_hash_parameters_meet_owasp(migrated):
    from config import Config

    # OWASP: argon2id with at least 19 MiB memory and t=2, or stronger.
    assert Config.ARGON2_MEMORY_KIB >= 19 * 1024 and Config.ARGON2_TIME_COST >= 2

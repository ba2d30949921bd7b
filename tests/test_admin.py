import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.auth.models import User
from casework.extensions import db
from tests.conftest import login


def _by_name(app, username):
    with app.app_context():
        return db.session.scalar(sa.select(User).where(User.username == username))


def test_admin_creates_an_account_that_can_log_in(app, login_as):
    admin = login_as("admin")
    response = admin.post("/admin/users/new", data={
        "username": "sato", "display_name": "佐藤 一郎", "role": "counter",
        "password": "initial-password-1"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "アカウント「sato」を作成しました" in page
    assert "佐藤 一郎" in page and "窓口職員" in page
    assert login(app.test_client(), "sato", "initial-password-1").status_code == 302


def test_duplicate_username_and_short_password_are_refused(app, login_as, make_user):
    make_user("counter", username="taken")
    admin = login_as("admin")
    page = admin.post("/admin/users/new", data={
        "username": "taken", "display_name": "x", "role": "counter",
        "password": "initial-password-1"}).get_data(as_text=True)
    assert "既に使われています" in page
    page = admin.post("/admin/users/new", data={
        "username": "fresh", "display_name": "x", "role": "counter",
        "password": "short"}).get_data(as_text=True)
    assert "文字以上" in page
    assert _by_name(app, "fresh") is None


def test_admin_changes_role_resets_password_and_deactivates(app, login_as, make_user):
    target = make_user("counter", username="yamada")
    staff = app.test_client()
    login(staff, "yamada")
    admin = login_as("admin")
    response = admin.post(f"/admin/users/{target.id}", data={
        "version": target.version, "display_name": "山田 花子", "role": "manager",
        "active": "y", "new_password": "reset-password-22"}, follow_redirects=True)
    assert "更新しました" in response.get_data(as_text=True)
    user = _by_name(app, "yamada")
    assert user.role == "manager" and user.display_name == "山田 花子"
    # The role change and the reset end the sessions the person had open.
    assert staff.get("/").status_code == 302
    assert login(app.test_client(), "yamada", "reset-password-22").status_code == 302

    admin.post(f"/admin/users/{target.id}", data={
        "version": user.version, "display_name": "山田 花子", "role": "manager"})
    user = _by_name(app, "yamada")
    assert user.active is False
    assert login(app.test_client(), "yamada", "reset-password-22").status_code == 200
    # Deactivated, never deleted: the account and its history stay.
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "yamada" in page and "利用停止" in page


def test_stale_edit_does_not_overwrite(app, login_as, make_user):
    target = make_user("counter", username="kato")
    admin = login_as("admin")
    first = admin.post(f"/admin/users/{target.id}", data={
        "version": target.version, "display_name": "加藤 一", "role": "counter", "active": "y"})
    assert first.status_code == 302
    second = admin.post(f"/admin/users/{target.id}", data={
        "version": target.version, "display_name": "加藤 二", "role": "counter", "active": "y"},
        follow_redirects=True)
    assert "他の人が先に" in second.get_data(as_text=True)
    assert _by_name(app, "kato").display_name == "加藤 一"


def test_admin_cannot_demote_themselves(app, login_as):
    admin = login_as("admin")
    page = admin.post(f"/admin/users/{admin.user.id}", data={
        "version": admin.user.version, "display_name": "x", "role": "counter", "active": "y"},
        follow_redirects=True).get_data(as_text=True)
    assert "自分自身" in page
    assert _by_name(app, admin.user.username).role == "admin"


def test_user_list_pages_and_searches(app, login_as, make_user):
    for i in range(55):
        make_user("counter", username=f"staff{i:02d}")
    admin = login_as("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "1 / 2 ページ" in page
    page = admin.get("/admin/users?q=staff07").get_data(as_text=True)
    assert "staff07" in page and "staff08" not in page


def test_account_changes_are_audited_without_secrets(app, login_as, make_user):
    target = make_user("counter", username="audited")
    admin = login_as("admin")
    admin.post(f"/admin/users/{target.id}", data={
        "version": target.version, "display_name": "監査 太郎", "role": "coordinator",
        "active": "y", "new_password": "another-password-1"})
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.action == "update", AuditEntry.entity == "users",
            AuditEntry.entity_id == str(target.id))).one()
    assert entry.username == admin.user.username
    assert entry.before["role"] == "counter" and entry.after["role"] == "coordinator"
    assert entry.after["display_name"] == "監査 太郎"
    assert entry.after["password_hash"] == "***" and "argon2" not in str(entry.after)


def test_audit_log_page_searches_by_user_and_action(app, login_as, make_user):
    make_user("counter", username="someone")
    admin = login_as("admin")
    page = admin.get("/admin/audit/?action=create&entity=users").get_data(as_text=True)
    assert "someone" in page and "作成" in page
    page = admin.get("/admin/audit/?username=nobody-at-all").get_data(as_text=True)
    assert "該当する記録はありません" in page


def test_role_changes_need_the_password_again_after_a_while(app, login_as, make_user):
    target = make_user("counter", username="watanabe")
    admin = login_as("admin")
    with admin.session_transaction() as session:
        session["auth_at"] -= app.config["REAUTH_MINUTES"] * 60 + 1
    response = admin.post(f"/admin/users/{target.id}", data={
        "version": target.version, "display_name": "x", "role": "manager", "active": "y"})
    assert response.status_code == 302 and "/reauth" in response.headers["Location"]
    assert _by_name(app, "watanabe").role == "counter"
    page = admin.post(response.headers["Location"], data={"password": "wrong-password-x"}).get_data(as_text=True)
    assert "パスワードが正しくありません" in page
    back = admin.post(response.headers["Location"], data={"password": "correct-horse-battery"})
    assert back.status_code == 302 and back.headers["Location"].endswith(f"/admin/users/{target.id}")
    admin.post(f"/admin/users/{target.id}", data={
        "version": target.version, "display_name": "x", "role": "manager", "active": "y"})
    assert _by_name(app, "watanabe").role == "manager"

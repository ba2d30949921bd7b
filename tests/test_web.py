"""What every page shares: health check, headers, error pages, assets served locally."""

import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.extensions import db
from tests.conftest import login


def test_healthz_answers_ok_after_a_real_query(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_data(as_text=True).startswith("ok")


def test_healthz_answers_503_without_a_database(migrated):
    from casework import create_app

    dead = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": dead})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    headers = response.headers
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cache-Control"] == "no-store"


def test_pages_use_no_inline_script_and_no_outside_assets(client):
    page = client.get("/login").get_data(as_text=True)
    assert "<script>" not in page and "http://" not in page and "https://" not in page
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/js/app.js").status_code == 200


def test_404_is_japanese(login_as):
    client = login_as("counter")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "ページが見つかりません" in response.get_data(as_text=True)


def test_403_is_japanese_and_audited(app, login_as):
    client = login_as("counter")
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "権限がありません" in response.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "denied")).one()
    assert "/admin/users" in entry.detail and entry.username == client.user.username


def test_500_is_japanese_without_a_trace(app, make_user):
    from casework import create_app

    boom_app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "PROPAGATE_EXCEPTIONS": False})

    @boom_app.route("/boom")
    def boom():
        raise RuntimeError("secret internals")

    boom.required_capabilities = ()
    user = make_user("counter")
    client = boom_app.test_client()
    login(client, user.username)
    response = client.get("/boom")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "システムエラーが発生しました" in page and "secret internals" not in page
    with boom_app.app_context():
        db.engine.dispose()


def test_csrf_is_required_for_posts(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 400
    assert "有効期限" in response.get_data(as_text=True)


def test_navigation_shows_each_role_what_it_may_use(login_as):
    admin_page = login_as("admin").get("/").get_data(as_text=True)
    counter_page = login_as("counter").get("/").get_data(as_text=True)
    assert "アカウント管理" in admin_page and "監査ログ" in admin_page
    assert "アカウント管理" not in counter_page and "監査ログ" not in counter_page


def test_unguarded_view_is_refused_at_startup(migrated):
    import pytest
    from flask import Blueprint

    from casework import _ensure_every_view_is_guarded, create_app

    app = create_app({"TESTING": True})
    bp = Blueprint("careless", __name__)
    bp.add_url_rule("/careless", "careless", lambda: "open to all")
    app.register_blueprint(bp)
    with pytest.raises(RuntimeError, match="careless"):
        _ensure_every_view_is_guarded(app)


def test_production_cookie_is_host_prefixed_secure_httponly_lax(app):
    from casework import create_app

    https_app = create_app({"TESTING": True, "WTF_CSRF_ENABLED": False, "HTTPS": True})
    with https_app.app_context():
        from casework.auth.services import create_user

        create_user("secure-user", "counter", "correct-horse-battery")
        db.session.commit()
    client = https_app.test_client()
    response = client.post("/login", data={"username": "secure-user", "password": "correct-horse-battery"},
                           base_url="https://casework.example")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-casework=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie and "Expires" in cookie  # idle lifetime, no remember-me
    page = client.get("/", base_url="https://casework.example")
    assert "max-age" in page.headers["Strict-Transport-Security"]
    with https_app.app_context():
        db.engine.dispose()


def test_an_oversized_upload_gets_413_in_japanese(app, login_as):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    client = login_as("counter")
    response = client.post("/imports/anything", data={"file": (__import__("io").BytesIO(b"x" * 5000), "big.csv")})
    assert response.status_code == 413
    assert "ファイルが大きすぎます" in response.get_data(as_text=True)


def test_the_menu_marks_exactly_one_current_page(login_as):
    client = login_as("counter")
    for path in ("/startups/counter", "/startups/cases", "/people/"):
        page = client.get(path).get_data(as_text=True)
        assert page.count('aria-current="page"') == 1, path
    home = client.get("/").get_data(as_text=True)
    assert 'aria-current="page"' not in home

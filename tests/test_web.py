"""What every page shares: health check, headers, error pages, assets served locally."""

import sqlalchemy as sa

from casework.audit.models import AuditEntry
from casework.extensions import db
from tests.conftest import PASSWORD, login


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


# --- The layout's shared parts, drawn once and kept (bench/README.md, "Pages") ---------------

def _menu(html: str) -> str:
    return html.split('<nav class="main-nav"', 1)[1].split("</nav>", 1)[0]


def test_menu_is_the_roles_own_and_marks_the_page_shown(login_as):
    counter, manager = login_as("counter"), login_as("manager")
    counter_menu = _menu(counter.get("/startups/cases").get_data(as_text=True))
    manager_menu = _menu(manager.get("/startups/cases").get_data(as_text=True))
    assert 'href="/imports/"' in counter_menu and 'href="/imports/"' not in manager_menu
    assert 'href="/reports/"' in manager_menu and 'href="/reports/"' not in counter_menu
    assert '<a href="/startups/cases" aria-current="page">' in counter_menu
    people_menu = _menu(counter.get("/people/").get_data(as_text=True))
    assert '<a href="/people/" aria-current="page">' in people_menu
    assert 'href="/startups/cases" aria-current' not in people_menu


def test_menu_follows_the_users_language(app, login_as):
    japanese, english = login_as("counter"), login_as("counter")
    with app.app_context():
        user = db.session.merge(english.user)
        user.locale = "en"
        db.session.commit()
    assert "創業相談" in _menu(japanese.get("/").get_data(as_text=True))
    english_menu = _menu(english.get("/").get_data(as_text=True))
    assert "創業相談" not in english_menu and "Startup" in english_menu


def test_row_links_are_the_routes_own_urls_under_a_prefix(app, login_as):
    from flask import url_for

    from casework.web import record_links

    for root in ("", "/casework"):
        with app.test_request_context("/", base_url=f"http://localhost{root}/"):
            case_url, person_url = record_links("startups.case", "case_id"), record_links("people.show", "person_id")
            for record_id in (1, 42, 2**62):
                assert case_url(record_id) == url_for("startups.case", case_id=record_id)
                assert person_url(record_id) == url_for("people.show", person_id=record_id)


def test_one_sessions_forms_share_a_token_that_logs_out(csrf_app, make_user):
    from tests.conftest import csrf_token_from

    user = make_user("counter")
    first, second = csrf_app.test_client(), csrf_app.test_client()
    for client in (first, second):
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                                "csrf_token": token})
        assert response.status_code == 302
    tokens = [csrf_token_from(first.get(path).get_data(as_text=True)) for path in ("/", "/people/", "/")]
    assert len(set(tokens)) == 1
    assert csrf_token_from(second.get("/").get_data(as_text=True)) != tokens[0]
    assert first.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    response = first.post("/logout", data={"csrf_token": tokens[0]})
    assert response.status_code == 302 and first.get("/").status_code == 302


def test_the_served_app_keeps_its_start_up_objects_out_of_the_collectors_full_passes(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'wsgi.db'}",
           "SECRET_KEY": "x" * 40, "CASEWORK_INSTANCE": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", "import gc, wsgi; print(gc.get_freeze_count())"],
                            cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) > 50_000

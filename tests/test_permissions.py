"""Deny by default: every route of the app is in the role × URL table, and each role gets
exactly the status the table says."""

import pytest

from tests.conftest import login
from tests.permission_table import ROLES, all_routes

ROUTES = all_routes()
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def _request(client, route, url):
    if route.method == "GET":
        return client.get(url)
    return client.open(url, method=route.method, data=route.data)


def test_every_route_is_in_the_table(app):
    table = {(r.rule, r.method) for r in ROUTES}
    missing = sorted(
        f"{method} {rule.rule}"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - IGNORED_METHODS
        if (rule.rule, method) not in table
    )
    assert missing == [], "routes missing from tests/permission_table: " + ", ".join(missing)


def test_table_has_no_stale_entries(app):
    existing = {(rule.rule, m) for rule in app.url_map.iter_rules() for m in rule.methods}
    stale = [r.id for r in ROUTES if (r.rule, r.method) not in existing]
    assert stale == []


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_anonymous(app, route):
    with app.app_context():
        url = route.concrete_url(app)
    response = _request(app.test_client(), route, url)
    assert response.status_code == route.anonymous
    if route.anonymous == 302 and route.rule not in ("/logout",):
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_role(app, make_user, route, role):
    user = make_user(role)
    client = app.test_client()
    assert login(client, user.username).status_code == 302
    with app.app_context():
        url = route.concrete_url(app)
    response = _request(client, route, url)
    assert response.status_code == route.expect[role], response.get_data(as_text=True)[:500]

"""A fuzz pass over every form: hostile values (huge, empty, control characters, markup, SQL
fragments, impossible dates) posted to every route that accepts a POST, as a role allowed to use
it. Whatever arrives, the answer is a page or a redirect, never a 500."""

import re

import pytest

from tests.conftest import login
from tests.permission_table import all_routes

HOSTILE = [
    "x" * 20_000,
    "",
    "\x00\x01\x1b[31m\u202e",
    "<script>alert(1)</script>",
    "'; DROP TABLE people; --",
    "2026-02-30",
    "令和0年13月40日",
    "-1",
    "１２３４５６７８９０１２３４５６７８９０",
]
FIELD = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
POSTS = [r for r in all_routes() if r.method == "POST" and r.rule not in ("/login", "/logout")]


def _allowed_role(route) -> str | None:
    return next((role for role, status in route.expect.items() if status in (200, 302)), None)


@pytest.mark.parametrize("route", POSTS, ids=lambda r: r.id)
def test_hostile_values_never_cause_a_500(app, make_user, route):
    role = _allowed_role(route)
    if role is None:
        return  # no role may post here: the permission table already proves the refusal
    user = make_user(role)
    client = app.test_client()
    login(client, user.username)
    with app.app_context():
        url = route.concrete_url(app)
    page = client.get(url)
    names = set(FIELD.findall(page.get_data(as_text=True))) if page.status_code == 200 else set()
    names |= set(route.data) | {"version"}
    names.discard("csrf_token")
    for value in HOSTILE:
        response = client.post(url, data=dict.fromkeys(names, value))
        assert response.status_code < 500, (value[:30], response.status_code)
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)

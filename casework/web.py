"""What every page shares: security headers, navigation, template helpers."""

import csv
import io
from dataclasses import dataclass
from urllib.parse import quote

from flask import Flask, Response, current_app, request
from flask_login import current_user

from casework import jp


@dataclass(frozen=True)
class NavItem:
    label: str
    endpoint: str
    capabilities: tuple[str, ...]
    order: int


def add_nav(app: Flask, label: str, endpoint: str, *capabilities: str, order: int = 50) -> None:
    """Areas add their menu entries; a user sees an entry when holding any of its capabilities."""
    app.extensions.setdefault("casework_nav", []).append(NavItem(label, endpoint, capabilities, order))


def nav_for_current_user() -> list[NavItem]:
    if not current_user.is_authenticated:
        return []
    items = sorted(current_app.extensions.get("casework_nav", []), key=lambda i: i.order)
    return [i for i in items if not i.capabilities or any(current_user.can(c) for c in i.capabilities)]


def current_nav_endpoint(items: list[NavItem]) -> str | None:
    """The one menu entry to mark as the current page: the entry for this very page, else the
    first entry of this page's area (a case page belongs to its area's list)."""
    endpoint = request.endpoint or ""
    if any(i.endpoint == endpoint for i in items):
        return endpoint
    area = endpoint.partition(".")[0]
    return next((i.endpoint for i in items if i.endpoint.partition(".")[0] == area), None)


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value) -> str:
    """A cell Excel would run as a formula (=, +, -, @, TAB, CR) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_download(rows, filename: str) -> Response:
    """CSV that Excel opens as Japanese: UTF-8 with BOM, CRLF, formula cells neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise_cell(v) for v in row])
    body = "\ufeff" + buffer.getvalue()
    return Response(body.encode("utf-8"), mimetype="text/csv", headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"})


CSP = "default-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"


def _security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    # same-origin, never no-referrer: Flask-WTF checks the Referer of HTTPS form posts.
    headers["Referrer-Policy"] = "same-origin"
    headers["X-Frame-Options"] = "DENY"
    if current_app.config.get("HTTPS"):
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if request.endpoint != "static":
        # Pages hold personal data: no copy in a shared PC's browser cache.
        headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.after_request(_security_headers)
    app.jinja_env.globals["nav_items"] = nav_for_current_user
    app.jinja_env.globals["current_nav_endpoint"] = current_nav_endpoint
    app.context_processor(lambda: {"today": jp.today(), "today_fy": jp.fiscal_year_of(jp.today())})
    app.jinja_env.filters["wareki"] = lambda d: jp.to_wareki(d) if d else ""
    app.jinja_env.filters["date_ja"] = jp.format_date_ja
    app.jinja_env.filters["fy_label"] = jp.fiscal_year_label
    app.jinja_env.filters["jst"] = lambda dt: jp.format_datetime_jst(dt)

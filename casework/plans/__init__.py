"""総合計画の指標・集計 (the plan, counting rules, rollup, dashboard)."""

from flask import Blueprint
from flask_sqlalchemy.session import Session as _AppSession

bp = Blueprint("plans", __name__, url_prefix="/plans")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""
    from flask_babel import lazy_gettext as _l

    from casework.imports.framework import register_kind
    from casework.plans.cli import plan_group, rollup_command
    from casework.plans.imports import ObservationsKind
    from casework.web import add_nav

    add_nav(app, _l("指標・集計"), "plans.dashboard", "dashboard.all", "dashboard.own", order=60)
    register_kind(ObservationsKind())
    app.cli.add_command(plan_group)
    app.cli.add_command(rollup_command)
    app.jinja_env.filters["plan_num"] = _display_number
    app.jinja_env.filters["month_ja"] = _month_label


def _display_number(value) -> str:
    """6,025 / 1.50 / 173.0 for pages; "—" for none."""
    from decimal import Decimal

    if value is None or value == "":
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    return format(Decimal(str(value)), ",f")


def _month_label(month: str) -> str:
    """"2026-04" → 「4月」."""
    try:
        return f"{int(month[5:7])}月"
    except (TypeError, ValueError):
        return month or ""


from casework.plans import cache, routes  # noqa: E402,F401

cache.install(_AppSession)

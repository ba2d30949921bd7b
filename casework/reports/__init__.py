"""出力 (exports and the yearly review)."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""
    from flask_babel import lazy_gettext as _l

    from casework.web import add_nav

    add_nav(app, _l("出力・年度評価"), "reports.index", "reports.export", order=61)


from casework.reports import routes  # noqa: E402,F401

"""JSON API, and the administrators' page for API tokens."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
tokens_bp = Blueprint("api_tokens", __name__, url_prefix="/admin/tokens")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""
    from flask_babel import lazy_gettext as _l

    from casework.web import add_nav

    app.register_blueprint(tokens_bp)
    add_nav(app, _l("APIトークン"), "api_tokens.index", "admin.tokens", order=92)


from casework.api import routes  # noqa: E402,F401

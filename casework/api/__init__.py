"""JSON API."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""

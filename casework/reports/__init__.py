"""出力 (exports and the yearly review)."""

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/reports")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""

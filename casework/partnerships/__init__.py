"""域外企業との連携 (partnerships)."""

from flask import Blueprint

bp = Blueprint("partnerships", __name__, url_prefix="/partnerships")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""

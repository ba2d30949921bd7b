"""創業支援 (startup consultations)."""

from flask import Blueprint

bp = Blueprint("startups", __name__, url_prefix="/startups")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""

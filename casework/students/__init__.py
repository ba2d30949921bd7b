"""越境学生・里親 (students, host families, placements)."""

from flask import Blueprint

bp = Blueprint("students", __name__, url_prefix="/students")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""

"""移住受入支援 (migrant support)."""

from flask import Blueprint

bp = Blueprint("migrants", __name__, url_prefix="/migrants")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""

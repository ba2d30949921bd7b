"""総合計画の指標・集計 (the plan, counting rules, rollup, dashboard)."""

from flask import Blueprint

bp = Blueprint("plans", __name__, url_prefix="/plans")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""

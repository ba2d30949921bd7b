"""域外企業との連携 (partnerships): organizations (outside the region or local), their contacts
and activity log, partnerships with local partners, status and dated outcomes, the pipeline of
talks, the `partnerships` import kind and the rollup source behind indicator 1-01-06-1."""

from flask import Blueprint

bp = Blueprint("partnerships", __name__, url_prefix="/partnerships")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""
    from flask_babel import lazy_gettext as _l

    from casework.imports.framework import register_kind
    from casework.partnerships.imports import PartnershipsImport
    from casework.partnerships.sources import PARTNERSHIPS_SOURCE
    from casework.plans.sources import register_source
    from casework.web import add_nav

    add_nav(app, _l("域外企業連携"), "partnerships.partnership_list", "partnerships.read", order=45)
    register_kind(PartnershipsImport())
    register_source(PARTNERSHIPS_SOURCE)


from casework.partnerships import routes  # noqa: E402,F401

"""創業支援 (startup consultations)."""

from flask import Blueprint

bp = Blueprint("startups", __name__, url_prefix="/startups")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""
    from flask_babel import lazy_gettext as _l

    from casework.imports.framework import register_kind
    from casework.people.programs import register_program
    from casework.plans.sources import register_source
    from casework.startups.importer import StartupImport
    from casework.startups.program import PROGRAM, SOURCE
    from casework.web import add_nav

    add_nav(app, _l("窓口受付"), "startups.counter", "startups.write", order=20)
    add_nav(app, _l("創業相談"), "startups.cases", "startups.read", order=21)
    register_kind(StartupImport())
    register_program(PROGRAM)
    register_source(SOURCE)


from casework.startups import routes  # noqa: E402,F401

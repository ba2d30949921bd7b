"""越境学生・里親 (students, host families, placements)."""

from flask import Blueprint

bp = Blueprint("students", __name__, url_prefix="/students")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""
    from flask_babel import lazy_gettext as _l

    from casework.imports.framework import register_kind
    from casework.people.programs import register_program
    from casework.plans.sources import register_source
    from casework.students import program
    from casework.students.imports import HostFamilyImport, PlacementImport
    from casework.web import add_nav

    add_nav(app, _l("越境学生・里親"), "students.index", "students.read", order=40)
    register_program(program.PROGRAM)
    register_source(program.SOURCE)
    register_kind(HostFamilyImport())
    register_kind(PlacementImport())


from casework.students import routes  # noqa: E402,F401

"""移住受入支援 (migrant support): from the first inquiry to a household that stays."""

from flask import Blueprint

bp = Blueprint("migrants", __name__, url_prefix="/migrants")


def register(app) -> None:
    """Menu entries, import kinds, rollup sources and CLI commands of this area."""
    import sqlalchemy as sa
    from flask import url_for
    from flask_babel import lazy_gettext as _l

    from casework.extensions import db
    from casework.imports.framework import register_kind
    from casework.migrants import reporting
    from casework.migrants.imports import MigrationImport
    from casework.migrants.models import MigrationCase
    from casework.people.models import Person
    from casework.people.programs import CaseLink, Program, register_program
    from casework.plans.sources import Source, register_source
    from casework.web import add_nav

    add_nav(app, _l("移住支援"), "migrants.cases", "migrants.read", "migrants.student_families", order=30)
    register_kind(MigrationImport())
    register_source(Source(
        name="migration_cases", label="移住支援（転入）", program="migrants",
        rows=reporting.source_rows, describe=reporting.describe,
        export_describe=reporting.export_describe, people=reporting.export_people,
        record_endpoint="migrants.case_detail", record_id_arg="case_id",
        subject_word="世帯", date_word="転入日"))

    def takes_part() -> sa.ColumnElement[bool]:
        return sa.select(MigrationCase.person_id).where(MigrationCase.person_id == Person.id).exists()

    def cases_of(person_id: int) -> list[CaseLink]:
        cases = db.session.scalars(
            sa.select(MigrationCase).where(MigrationCase.person_id == person_id)
            .order_by(sa.func.coalesce(MigrationCase.inquired_on, MigrationCase.moved_in_on).desc(),
                      MigrationCase.id.desc()))
        return [CaseLink(title=c.title, url=url_for("migrants.case_detail", case_id=c.id),
                         status=c.status_label, on=c.inquired_on or c.moved_in_on, cancelled=c.cancelled)
                for c in cases]

    register_program(Program(name="migrants", label="移住受入支援", read_capability="migrants.read",
                             takes_part=takes_part, cases_of=cases_of))


from casework.migrants import routes  # noqa: E402,F401

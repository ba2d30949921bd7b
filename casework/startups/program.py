"""How the rest of the app sees startup cases: the people pages (Program) and the rollup of
indicator 1-01-01-1 創業支援対象者数 (Source)."""

import sqlalchemy as sa
from flask import url_for

from casework.extensions import db
from casework.people.models import Person
from casework.people.programs import CaseLink, Program
from casework.plans.sources import Source
from casework.startups.models import STATUS_LABELS, StartupCase


def _takes_part() -> sa.ColumnElement[bool]:
    return sa.select(StartupCase.person_id).where(StartupCase.person_id == Person.id).exists()


def _cases_of(person_id: int) -> list[CaseLink]:
    cases = db.session.scalars(
        sa.select(StartupCase).where(StartupCase.person_id == person_id)
        .order_by(StartupCase.first_consulted_on.desc().nulls_last(), StartupCase.id.desc()))
    return [CaseLink(title=c.title, url=url_for("startups.case", case_id=c.id), status=c.status_label,
                     on=c.first_consulted_on, cancelled=c.cancelled) for c in cases]


PROGRAM = Program(name="startups", label="創業支援", read_capability="startups.read",
                  takes_part=_takes_part, cases_of=_cases_of)


def _rows() -> sa.Select:
    return sa.select(
        StartupCase.id.label("record_id"),
        StartupCase.person_id.label("subject_key"),
        StartupCase.first_consulted_on.label("event_date"),
        sa.literal(1).label("weight"),
    ).where(StartupCase.status != "cancelled")


def _describe(record_ids: sa.Select) -> sa.Select:
    title = sa.case((StartupCase.business_idea == "", "創業相談"), else_=StartupCase.business_idea)
    person = Person.family_name + " " + Person.given_name
    status = sa.case(STATUS_LABELS, value=StartupCase.status, else_=StartupCase.status)
    return (sa.select(StartupCase.id.label("record_id"), title.label("title"), person.label("person"),
                      status.label("status"))
            .join(Person, Person.id == StartupCase.person_id)
            .where(StartupCase.id.in_(record_ids))
            .order_by(StartupCase.first_consulted_on, StartupCase.id))


def _export_describe(record_ids: sa.Select) -> sa.Select:
    return (sa.select(StartupCase.id.label("record_id"), StartupCase.ref.label("ref"),
                      (Person.family_name + " " + Person.given_name).label("name"),
                      (Person.family_name_kana + " " + Person.given_name_kana).label("furigana"))
            .join(Person, Person.id == StartupCase.person_id)
            .where(StartupCase.id.in_(record_ids)))


def _people(record_ids: sa.Select) -> sa.Select:
    return sa.select(StartupCase.id, StartupCase.person_id).where(StartupCase.id.in_(record_ids))


SOURCE = Source(name="startup_cases", label="創業相談", program="startups", rows=_rows,
                describe=_describe, record_endpoint="startups.case", record_id_arg="case_id",
                subject_word="人", date_word="初回相談日",
                export_describe=_export_describe, people=_people)

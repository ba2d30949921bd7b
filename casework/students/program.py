"""How the rest of casework sees this area: the program on the people pages and the rollup
source `placements` (indicator 1-01-05-2 越境学生等の受入支援数). Neither shows a sensitive field."""

from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import url_for

from casework.extensions import db
from casework.people.models import Person
from casework.people.programs import CaseLink, Program
from casework.plans.sources import Source
from casework.students.models import (
    CANCELLED,
    PLACEMENT_STATUS_LABELS,
    HostFamily,
    Placement,
    Student,
)


def _takes_part() -> sa.ColumnElement[bool]:
    return sa.or_(sa.select(Student.person_id).where(Student.person_id == Person.id).exists(),
                  sa.select(HostFamily.person_id).where(HostFamily.person_id == Person.id).exists())


def _cases_of(person_id: int) -> list[CaseLink]:
    links = []
    for student in db.session.scalars(sa.select(Student).where(Student.person_id == person_id)):
        first = db.session.scalar(sa.select(sa.func.min(Placement.started_on)).where(
            Placement.student_id == student.id, Placement.status != CANCELLED))
        links.append(CaseLink(title=f"越境学生 {student.school} {student.grade}".strip(),
                              url=url_for("students.student", student_id=student.id),
                              status=student.status_label, on=first, cancelled=student.status == CANCELLED))
    for family in db.session.scalars(sa.select(HostFamily).where(HostFamily.person_id == person_id)):
        links.append(CaseLink(title=f"受入家庭 {family.name}（定員{family.capacity}人）",
                              url=url_for("students.family", family_id=family.id),
                              status=family.status_label, on=family.registered_on,
                              cancelled=family.status == CANCELLED))
    return sorted(links, key=lambda link: link.on or date.max, reverse=True)


PROGRAM = Program(
    name="students",
    label="越境学生・里親",
    read_capability="students.read",
    takes_part=_takes_part,
    cases_of=_cases_of,
)


def _rows() -> sa.Select:
    return sa.select(
        Placement.id.label("record_id"),
        Placement.student_id.label("subject_key"),
        Placement.started_on.label("event_date"),
        sa.literal(1).label("weight"),
    ).where(Placement.status != CANCELLED)


def _describe(record_ids: sa.Select) -> sa.Select:
    student_person = so.aliased(Person)
    head = so.aliased(Person)
    return (
        sa.select(
            Placement.id.label("record_id"),
            (sa.literal("受入家庭: ") + head.family_name + sa.literal("家")).label("title"),
            (student_person.family_name + sa.literal(" ") + student_person.given_name).label("person"),
            sa.case({k: str(v) for k, v in PLACEMENT_STATUS_LABELS.items()}, value=Placement.status,
                    else_=Placement.status).label("status"),
        )
        .join(Student, Student.id == Placement.student_id)
        .join(student_person, student_person.id == Student.person_id)
        .join(HostFamily, HostFamily.id == Placement.host_family_id)
        .join(head, head.id == HostFamily.person_id)
        .where(Placement.id.in_(record_ids))
        .order_by(Placement.started_on, Placement.id)
    )


def _export_describe(record_ids: sa.Select) -> sa.Select:
    return (
        sa.select(
            Placement.id.label("record_id"),
            Placement.ref.label("ref"),
            (Person.family_name + sa.literal(" ") + Person.given_name).label("name"),
            (Person.family_name_kana + sa.literal(" ") + Person.given_name_kana).label("furigana"),
        )
        .join(Student, Student.id == Placement.student_id)
        .join(Person, Person.id == Student.person_id)
        .where(Placement.id.in_(record_ids))
    )


def _people(record_ids: sa.Select) -> sa.Select:
    """The student, and the host family's head, whose family name the row's title carries."""
    students = (sa.select(Placement.id, Student.person_id)
                .join(Student, Student.id == Placement.student_id)
                .where(Placement.id.in_(record_ids)))
    heads = (sa.select(Placement.id, HostFamily.person_id)
             .join(HostFamily, HostFamily.id == Placement.host_family_id)
             .where(Placement.id.in_(record_ids)))
    return sa.union_all(students, heads)


SOURCE = Source(
    name="placements",
    label="越境学生の配置",
    program="students",
    rows=_rows,
    describe=_describe,
    export_describe=_export_describe,
    people=_people,
    record_endpoint="students.placement",
    record_id_arg="placement_id",
    subject_word="人",
    date_word="配置開始日",
)

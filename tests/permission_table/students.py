"""Students and host families: coordinator writes; manager reads; counter and admin get 403 on
every route. Also the builders the students tests share (called inside an app context)."""

import itertools
from datetime import date

from tests.permission_table import Route, only

_numbers = itertools.count(1)
KANA_DIGITS = "あいうえおかきくけこ"


def _kana_number(n: int) -> str:
    return "".join(KANA_DIGITS[int(c)] for c in str(n))


def make_family(capacity: int = 2, *, status: str = "registered", ref: str | None = None,
                registered_on: date | None = date(2025, 4, 1), name: str | None = None, **values) -> int:
    from casework.extensions import db
    from casework.people.services import PersonFields, create_person
    from casework.students.models import HostFamily

    n = next(_numbers)
    person = create_person(PersonFields(family_name=name or f"里親{n}", given_name="太郎",
                                        family_name_kana=f"さとおや{_kana_number(n)}", given_name_kana="たろう",
                                        address=f"留萌市本町{n}丁目", phone="0164-42-0000"))
    family = HostFamily(person_id=person.id, ref=ref, capacity=capacity, status=status,
                        registered_on=registered_on if status == "registered" else None, **values)
    db.session.add(family)
    db.session.commit()
    return family.id


def make_student(*, ref: str | None = None, name: str | None = None, gender: str = "male",
                 birth_date: date = date(2010, 5, 1), **values) -> int:
    from casework.extensions import db
    from casework.people.services import PersonFields, create_person
    from casework.students.models import Student

    n = next(_numbers)
    person = create_person(PersonFields(family_name=name or f"生徒{n}", given_name="一郎",
                                        family_name_kana=f"せいと{_kana_number(n)}", given_name_kana="いちろう",
                                        birth_date=birth_date))
    student = Student(person_id=person.id, ref=ref, gender=gender, school="留萌高校", grade="1年", **values)
    db.session.add(student)
    db.session.commit()
    return student.id


def make_placement(student_id: int, family_id: int, start: date, end: date | None = None) -> int:
    from casework.extensions import db
    from casework.students import services

    placement = services.place(student_id, family_id, start, end)
    db.session.commit()
    return placement.id


def _student_url(suffix: str = ""):
    return lambda app: f"/students/{make_student()}{suffix}"


def _family_url(suffix: str = ""):
    return lambda app: f"/students/families/{make_family()}{suffix}"


def _placement_url(suffix: str = ""):
    def build(app):
        family = make_family()
        placement = make_placement(make_student(), family, date(2026, 4, 1), date(2026, 6, 30))
        return f"/students/placements/{placement}{suffix}"
    return build


def _contact_url(app):
    from casework.extensions import db
    from casework.students.models import StudentContact

    student = make_student()
    contact = StudentContact(student_id=student, name="保護者 花子", kind="guardian")
    db.session.add(contact)
    db.session.commit()
    return f"/students/{student}/contacts/{contact.id}/delete"


def _period_url(app):
    from casework.extensions import db
    from casework.students.models import UnavailablePeriod

    family = make_family()
    period = UnavailablePeriod(host_family_id=family, starts_on=date(2026, 8, 1), ends_on=date(2026, 8, 5))
    db.session.add(period)
    db.session.commit()
    return f"/students/families/{family}/unavailable/{period.id}/delete"


READERS = ("coordinator", "manager")
WRITER = "coordinator"

ROUTES = [
    Route("/students/", "GET", only(*READERS)),
    Route("/students/list", "GET", only(*READERS)),
    Route("/students/calendar", "GET", only(*READERS)),
    Route("/students/free", "GET", only(*READERS)),
    Route("/students/unplaced", "GET", only(*READERS)),
    Route("/students/new", "GET", only(WRITER)),
    Route("/students/new", "POST", only(WRITER)),  # empty form: shown again with errors
    Route("/students/<int:student_id>", "GET", only(*READERS), url=_student_url()),
    Route("/students/<int:student_id>/edit", "GET", only(WRITER), url=_student_url("/edit")),
    Route("/students/<int:student_id>/edit", "POST", only(WRITER), url=_student_url("/edit")),
    Route("/students/<int:student_id>/match", "GET", only(*READERS), url=_student_url("/match")),
    Route("/students/<int:student_id>/contacts", "POST", only(WRITER, status=302), url=_student_url("/contacts")),
    Route("/students/<int:student_id>/contacts/<int:contact_id>/delete", "POST", only(WRITER, status=302),
          url=_contact_url),
    Route("/students/families", "GET", only(*READERS)),
    Route("/students/families/new", "GET", only(WRITER)),
    Route("/students/families/new", "POST", only(WRITER)),
    Route("/students/families/<int:family_id>", "GET", only(*READERS), url=_family_url()),
    Route("/students/families/<int:family_id>/edit", "GET", only(WRITER), url=_family_url("/edit")),
    Route("/students/families/<int:family_id>/edit", "POST", only(WRITER), url=_family_url("/edit")),
    Route("/students/families/<int:family_id>/steps", "POST", only(WRITER, status=302), url=_family_url("/steps")),
    Route("/students/families/<int:family_id>/unavailable", "POST", only(WRITER, status=302),
          url=_family_url("/unavailable")),
    Route("/students/families/<int:family_id>/unavailable/<int:period_id>/delete", "POST",
          only(WRITER, status=302), url=_period_url),
    Route("/students/placements/new", "GET", only(WRITER)),
    Route("/students/placements/new", "POST", only(WRITER)),
    Route("/students/placements/<int:placement_id>", "GET", only(*READERS), url=_placement_url()),
    Route("/students/placements/<int:placement_id>/end", "POST", only(WRITER, status=302), url=_placement_url("/end")),
    Route("/students/placements/<int:placement_id>/cancel", "POST", only(WRITER, status=302),
          url=_placement_url("/cancel")),
    Route("/students/placements/<int:placement_id>/move", "POST", only(WRITER, status=302),
          url=_placement_url("/move")),
]

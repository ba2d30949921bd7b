from datetime import date

from tests.permission_table import Route, only

READERS = ("counter", "manager")


def _case(student: bool = False):
    from casework.extensions import db
    from casework.migrants.models import FollowUp, HouseholdMember, MigrationCase, SupportItem
    from casework.people.services import PersonFields, create_person

    person = create_person(PersonFields("移住", "太郎", "いじゅう", "たろう", date(1990, 1, 1)))
    case = MigrationCase(person_id=person.id, household_size=2, moved_in_on=date(2026, 5, 1))
    if student:
        pupil = create_person(PersonFields("越境", "花子", "えっきょう", "はなこ", date(2010, 6, 1)))
        case.student_person_id = pupil.id
    case.members.append(HouseholdMember(given_name="花", relationship="子"))
    case.supports.append(SupportItem(kind="grant", given_on=date(2026, 5, 10), amount=1_000_000))
    case.followups.append(FollowUp(year_mark=1, due_on=date(2027, 5, 1)))
    db.session.add(case)
    db.session.commit()
    return case


def _url(suffix: str = "", student: bool = False):
    def build(app):
        case = _case(student)
        child = {"member": case.members[0].id, "support": case.supports[0].id, "followup": case.followups[0].id}
        return f"/migrants/{case.id}" + suffix.format(**child)

    return build


ROUTES = [
    Route("/migrants/", "GET", only("counter", "coordinator", "manager")),
    Route("/migrants/followups", "GET", only("counter", "coordinator", "manager")),
    Route("/migrants/funnel", "GET", only(*READERS)),
    Route("/migrants/new", "GET", only("counter")),
    Route("/migrants/new", "POST", only("counter")),
    # A coordinator may open only the cases of a placed student's family: the others are 404.
    Route("/migrants/<int:case_id>", "GET", {"counter": 200, "coordinator": 404, "manager": 200, "admin": 403},
          url=_url()),
    Route("/migrants/<int:case_id>", "GET", {"counter": 200, "coordinator": 200, "manager": 200, "admin": 403},
          url=_url(student=True)),
    Route("/migrants/<int:case_id>/edit", "GET", only("counter"), url=_url("/edit")),
    Route("/migrants/<int:case_id>/edit", "POST", only("counter"), url=_url("/edit")),
    Route("/migrants/<int:case_id>/status", "POST", only("counter"), url=_url("/status")),
    Route("/migrants/<int:case_id>/members", "POST", only("counter"), url=_url("/members")),
    Route("/migrants/<int:case_id>/members/<int:member_id>/delete", "POST", only("counter", status=302),
          url=_url("/members/{member}/delete")),
    Route("/migrants/<int:case_id>/supports", "POST", only("counter"), url=_url("/supports")),
    Route("/migrants/<int:case_id>/supports/<int:support_id>", "GET", only("counter"),
          url=_url("/supports/{support}")),
    Route("/migrants/<int:case_id>/supports/<int:support_id>", "POST", only("counter"),
          url=_url("/supports/{support}")),
    Route("/migrants/<int:case_id>/supports/<int:support_id>/delete", "POST", only("counter", status=302),
          url=_url("/supports/{support}/delete")),
    Route("/migrants/<int:case_id>/contacts", "POST", only("counter"), url=_url("/contacts")),
    Route("/migrants/<int:case_id>/followups/<int:followup_id>", "GET", only("counter"),
          url=_url("/followups/{followup}")),
    Route("/migrants/<int:case_id>/followups/<int:followup_id>", "POST", only("counter"),
          url=_url("/followups/{followup}")),
]

from tests.permission_table import Route, only


def _case(suffix=""):
    def url(app):
        from casework.extensions import db
        from casework.people.services import PersonFields, create_person
        from casework.startups.services import open_case

        case = open_case(create_person(PersonFields("佐藤", "一郎", "さとう", "いちろう")))
        db.session.commit()
        return f"/startups/cases/{case.id}{suffix}"

    return url


READERS = ("counter", "manager")

ROUTES = [
    # The area's main page: the counter screen for those who write, the list for readers.
    Route("/startups/", "GET", only(*READERS, status=302)),
    Route("/startups/counter", "GET", only("counter")),
    Route("/startups/counter", "POST", only("counter"), data={"held_on": ""}),
    Route("/startups/cases", "GET", only(*READERS)),
    Route("/startups/cases/<int:case_id>", "GET", only(*READERS), url=_case()),
    Route("/startups/cases/<int:case_id>/edit", "GET", only("counter"), url=_case("/edit")),
    Route("/startups/cases/<int:case_id>/edit", "POST", only("counter"), url=_case("/edit"),
          data={"founded_on": "not a date"}),
    Route("/startups/cases/<int:case_id>/consultations", "POST", only("counter"), url=_case("/consultations"),
          data={"held_on": ""}),
    Route("/startups/cases/<int:case_id>/status", "POST", only("counter", status=302), url=_case("/status")),
    Route("/startups/cases/<int:case_id>/certificate", "POST", only("counter"), url=_case("/certificate"),
          data={"certificate_number": ""}),
]

from tests.permission_table import Route, only


def _person_with_startup_case(app):
    """A person known only to the startup program: coordinators must not find them."""
    from casework.extensions import db
    from casework.people.services import PersonFields, create_person
    from casework.startups.services import open_case

    person = create_person(PersonFields("田中", "花子", "たなか", "はなこ"))
    open_case(person)
    db.session.commit()
    return person.id


def _person(suffix=""):
    return lambda app: f"/people/{_person_with_startup_case(app)}{suffix}"


READERS = ("counter", "coordinator", "manager")

ROUTES = [
    Route("/people/", "GET", only(*READERS)),
    # Visible to those who read the startup program; a 404 (like a missing one) for the coordinator.
    Route("/people/<int:person_id>", "GET", {"counter": 200, "manager": 200, "coordinator": 404, "admin": 403},
          url=_person()),
    Route("/people/new", "GET", only("counter")),
    Route("/people/new", "POST", only("counter"), data={"family_name": ""}),
    Route("/people/<int:person_id>/edit", "GET", only("counter"), url=_person("/edit")),
    # An empty name: the form comes back with its error, nothing is saved.
    Route("/people/<int:person_id>/edit", "POST", only("counter"), url=_person("/edit"),
          data={"family_name": ""}),
    Route("/people/<int:person_id>/merge", "GET", only("counter"), url=_person("/merge")),
    Route("/people/<int:person_id>/merge", "POST", only("counter"), url=_person("/merge"),
          data={"other_id": ""}),
]

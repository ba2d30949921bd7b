"""域外企業との連携: counter writes, manager reads, coordinator and admin see nothing."""

from tests.permission_table import Route, only

READERS = ("counter", "manager")
WRITER = ("counter",)


def _organization(app):
    from casework.extensions import db
    from casework.partnerships.services import save_organization

    org = save_organization(None, name="権限確認株式会社", outside_region=True, prefecture="東京都")
    db.session.commit()
    return org


def _org_url(suffix=""):
    def url(app):
        return f"/partnerships/organizations/{_organization(app).id}{suffix}"
    return url


def _partnership(app):
    from casework.extensions import db
    from casework.partnerships.services import save_partnership

    p = save_partnership(None, organization_id=_organization(app).id, kind="agreement", status="negotiating")
    db.session.commit()
    return p


def _partnership_url(suffix=""):
    def url(app):
        return f"/partnerships/{_partnership(app).id}{suffix}"
    return url


def _child_url(kind):
    """A child record of the right parent, created so that writers get the real answer."""

    def url(app):
        from datetime import date

        from casework.extensions import db
        from casework.partnerships.models import Activity, OrganizationContact, Outcome

        if kind == "outcome":
            p = _partnership(app)
            record = Outcome(partnership_id=p.id, occurred_on=date(2026, 4, 1), kind="jobs", amount=2)
            db.session.add(record)
            db.session.commit()
            return f"/partnerships/{p.id}/outcomes/{record.id}/delete"
        org = _organization(app)
        if kind == "contact":
            record = OrganizationContact(organization_id=org.id, name="山田")
        else:
            record = Activity(organization_id=org.id, occurred_on=date(2026, 4, 1), kind="visit", title="訪問")
        db.session.add(record)
        db.session.commit()
        plural = "contacts" if kind == "contact" else "activities"
        return f"/partnerships/organizations/{org.id}/{plural}/{record.id}/delete"

    return url


ROUTES = [
    Route("/partnerships/", "GET", only(*READERS)),
    Route("/partnerships/new", "GET", only(*WRITER)),
    # An empty form comes back with its errors (200), nothing written.
    Route("/partnerships/new", "POST", only(*WRITER)),
    Route("/partnerships/<int:partnership_id>", "GET", only(*READERS), url=_partnership_url()),
    Route("/partnerships/<int:partnership_id>/edit", "GET", only(*WRITER), url=_partnership_url("/edit")),
    Route("/partnerships/<int:partnership_id>/edit", "POST", only(*WRITER), url=_partnership_url("/edit")),
    Route("/partnerships/<int:partnership_id>/status", "POST", only(*WRITER, status=302),
          url=_partnership_url("/status"), data={"status": "concluded", "version": "1"}),
    Route("/partnerships/<int:partnership_id>/outcomes", "POST", only(*WRITER, status=422),
          url=_partnership_url("/outcomes")),
    Route("/partnerships/<int:partnership_id>/outcomes/<int:outcome_id>/delete", "POST",
          only(*WRITER, status=302), url=_child_url("outcome")),
    Route("/partnerships/outcomes", "GET", only(*READERS)),
    Route("/partnerships/pipeline", "GET", only(*READERS)),
    Route("/partnerships/organizations", "GET", only(*READERS)),
    Route("/partnerships/organizations/new", "GET", only(*WRITER)),
    Route("/partnerships/organizations/new", "POST", only(*WRITER)),
    Route("/partnerships/organizations/<int:organization_id>", "GET", only(*READERS), url=_org_url()),
    Route("/partnerships/organizations/<int:organization_id>/edit", "GET", only(*WRITER), url=_org_url("/edit")),
    Route("/partnerships/organizations/<int:organization_id>/edit", "POST", only(*WRITER), url=_org_url("/edit")),
    Route("/partnerships/organizations/<int:organization_id>/contacts", "POST", only(*WRITER, status=422),
          url=_org_url("/contacts")),
    Route("/partnerships/organizations/<int:organization_id>/contacts/<int:contact_id>/delete", "POST",
          only(*WRITER, status=302), url=_child_url("contact")),
    Route("/partnerships/organizations/<int:organization_id>/activities", "POST", only(*WRITER, status=422),
          url=_org_url("/activities")),
    Route("/partnerships/organizations/<int:organization_id>/activities/<int:activity_id>/delete", "POST",
          only(*WRITER, status=302), url=_child_url("activity")),
]

from tests.permission_table import Route, everyone, only

EDITORS = ("manager", "admin")


def _plan(app):
    from casework.extensions import db
    from casework.plans.services import load_plan

    load_plan()
    db.session.commit()


def _url(path: str):
    def build(app):
        _plan(app)
        return path
    return build


def _observation(app):
    from decimal import Decimal

    import sqlalchemy as sa

    from casework.extensions import db
    from casework.plans.models import Indicator
    from casework.plans.services import record_observation

    _plan(app)
    indicator = db.session.scalar(sa.select(Indicator).where(Indicator.code == "1-01-02-1"))
    observation, _ = record_observation(indicator, 2026, "", Decimal("650"), "税務課")
    db.session.commit()
    return f"/plans/observations/{observation.id}"


# 1-01-05-1 counts migration cases: counters read them, coordinators do not (404, as if missing).
MIGRATION_INDICATOR = {"counter": 200, "coordinator": 404, "manager": 200, "admin": 200}

ROUTES = [
    Route("/plans/", "GET", everyone()),
    Route("/plans/plan", "GET", everyone()),
    Route("/plans/indicators/<code>", "GET", MIGRATION_INDICATOR, url=_url("/plans/indicators/1-01-05-1?fy=2026")),
    Route("/plans/indicators/<code>/records", "GET", MIGRATION_INDICATOR,
          url=_url("/plans/indicators/1-01-05-1/records?fy=2026&month=2026-04")),
    # The records behind a number as a file: whoever sees the list may take it (with a fresh password).
    Route("/plans/indicators/<code>/records.csv", "GET", MIGRATION_INDICATOR,
          url=_url("/plans/indicators/1-01-05-1/records.csv?fy=2026&month=2026-04")),
    Route("/plans/indicators/<code>/records.xlsx", "GET", MIGRATION_INDICATOR,
          url=_url("/plans/indicators/1-01-05-1/records.xlsx?fy=2026&month=2026-04")),
    Route("/plans/indicators/<code>/rule", "GET", only(*EDITORS), url=_url("/plans/indicators/1-01-05-1/rule")),
    Route("/plans/indicators/<code>/rule", "POST", only(*EDITORS), url=_url("/plans/indicators/1-01-05-1/rule")),
    Route("/plans/indicators/<code>/targets/<int:fiscal_year>", "GET", only(*EDITORS),
          url=_url("/plans/indicators/1-01-05-1/targets/2026")),
    Route("/plans/indicators/<code>/targets/<int:fiscal_year>", "POST", only(*EDITORS),
          url=_url("/plans/indicators/1-01-05-1/targets/2026")),
    Route("/plans/indicators/<code>/observations/new", "GET", only(*EDITORS),
          url=_url("/plans/indicators/1-01-02-1/observations/new")),
    Route("/plans/indicators/<code>/observations/new", "POST", only(*EDITORS),
          url=_url("/plans/indicators/1-01-02-1/observations/new")),
    Route("/plans/observations/<int:observation_id>", "GET", only(*EDITORS), url=_observation),
    Route("/plans/observations/import", "GET", only(*EDITORS)),
    Route("/plans/observations/import", "POST", only(*EDITORS)),
    Route("/plans/observations/import/<int:pending_id>", "GET", only(*EDITORS, status=404),
          url="/plans/observations/import/999999"),
    Route("/plans/observations/import/<int:pending_id>", "POST", only(*EDITORS, status=404),
          url="/plans/observations/import/999999"),
    Route("/plans/years/<int:fiscal_year>/confirm", "GET", only(*EDITORS), url=_url("/plans/years/2026/confirm")),
    Route("/plans/years/<int:fiscal_year>/confirm", "POST", only(*EDITORS, status=302),
          url=_url("/plans/years/2026/confirm")),
]

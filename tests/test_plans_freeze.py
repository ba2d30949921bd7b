"""Confirming (確定) a year: the figures are stored; later changes to records are shown as a
difference, never silently rewritten."""

import sqlalchemy as sa

from tests.test_plans_fixtures import import_rows, load_plan, startup


def test_freeze_then_a_later_change_is_reported(app, runner, tmp_path, login_as):
    load_plan(runner)
    import_rows(runner, tmp_path, "startup", [startup("S1", "tanaka", "2025-05-01")])
    manager = login_as("manager")
    assert manager.post("/plans/years/2025/confirm", data={"note": "議会報告 R8.6"}).status_code == 302
    page = manager.get("/plans/?fy=2025").get_data(as_text=True)
    assert "この年度の数値は確定済みです" in page and "確定後に記録が変わり" not in page
    import_rows(runner, tmp_path, "startup", [startup("S2", "sato", "2025-06-01")])
    page = manager.get("/plans/?fy=2025").get_data(as_text=True)
    assert "確定後に記録が変わり" in page
    assert "確定値 1 → 現在 2（+1）" in page
    from casework.extensions import db
    from casework.plans.services import frozen_year

    with app.app_context():
        frozen = frozen_year(2025)
        assert frozen.snapshot["1-01-01-1"]["values"][-1] == "1"  # nothing rewritten
    review = manager.get("/reports/review").get_data(as_text=True)
    assert "確定" in review
    from casework.audit.models import AuditEntry

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
            AuditEntry.entity == "plan_frozen_years")) == 1

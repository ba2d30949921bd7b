"""Editing a counting rule: a plain Japanese sentence, a preview of each year's numbers with
nothing saved, then a new audited version."""

import sqlalchemy as sa

from tests.test_plans_fixtures import import_rows, load_plan, partnership, values_of
from tests.test_plans_load import _rule_id


def test_rules_read_as_plain_japanese(app, runner):
    load_plan(runner)
    from casework.plans.rules import rule_sentence

    with app.app_context():
        startup = rule_sentence("startup_cases", "distinct_subjects", "annual", None, 2026)
        assert startup.startswith("令和8年度に初回相談があった人数（同一人物は1回）")
        from datetime import date

        moved = rule_sentence("migration_cases", "sum_weight", "cumulative", date(2022, 4, 1))
        assert moved.startswith("2022年4月1日から各月末までに転入があった")
        assert "人数の累計" in moved.split("。")[0]
        assert "取消の記録は数えません" in moved


def test_preview_then_save_a_new_version(app, runner, tmp_path, login_as):
    load_plan(runner)
    import_rows(runner, tmp_path, "partnerships", [
        partnership("C1", "2019-01-15"), partnership("C2", "2020-05-05"), partnership("C3", "2023-06-01")])
    assert values_of(app, 2026, "1-01-06-1")[-1] == 3
    manager = login_as("manager")
    page = manager.get("/plans/indicators/1-01-06-1/rule")
    assert page.status_code == 200
    data = {"current_rule_id": _rule_id(app, "1-01-06-1"), "source": "partnerships",
            "measure": "count_records", "window": "cumulative", "window_start": "R4.4.1",
            "reason": "計画期間の連携だけを数える"}
    preview = manager.post("/plans/indicators/1-01-06-1/rule", data={**data, "preview": "1"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "変更するとこうなります" in html and "2022年4月1日から" in html
    assert "令和8年度" in html and "-2" in html  # 3 before, 1 after
    from casework.audit.models import AuditEntry
    from casework.extensions import db
    from casework.plans.models import CountingRule

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CountingRule)) == 4  # nothing saved
    assert values_of(app, 2026, "1-01-06-1")[-1] == 3
    saved = manager.post("/plans/indicators/1-01-06-1/rule", data={**data, "save": "1"})
    assert saved.status_code == 302
    assert values_of(app, 2026, "1-01-06-1")[-1] == 1
    with app.app_context():
        versions = db.session.scalars(sa.select(CountingRule).where(
            CountingRule.source == "partnerships").order_by(CountingRule.number)).all()
        assert [(v.number, v.current, v.origin) for v in versions] == [(1, False, "plan"), (2, True, "manager")]
        assert versions[1].reason == "計画期間の連携だけを数える"
        audit = db.session.scalars(sa.select(AuditEntry).where(
            AuditEntry.entity == "plan_counting_rules", AuditEntry.action == "create",
            AuditEntry.username == manager.user.username)).all()
        assert len(audit) == 1
    # A stale form (the rule changed meanwhile) saves nothing.
    stale = manager.post("/plans/indicators/1-01-06-1/rule", data={**data, "window_start": "", "save": "1"})
    assert stale.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CountingRule).where(
            CountingRule.source == "partnerships")) == 2

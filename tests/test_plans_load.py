"""`flask --app wsgi plan load [--reset]`: the plan as data, idempotent, never overwriting a
manager's edit unless --reset."""

from decimal import Decimal

import sqlalchemy as sa

from tests.test_plans_fixtures import load_plan


def _count(model):
    from casework.extensions import db

    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_plan_load_creates_the_catalogue(app, runner):
    result = load_plan(runner)
    assert "指標を11件追加しました。" in result.output
    from casework.extensions import db
    from casework.plans.models import CountingRule, Indicator, Section, Target

    with app.app_context():
        assert _count(Section) == 6 and _count(Indicator) == 11 and _count(Target) == 55
        assert _count(CountingRule) == 4
        section = db.session.scalar(sa.select(Section).where(Section.code == "1-01-05"))
        assert section.title == "移住・定住促進" and section.goal[0].startswith("慢性的な人口減少")
        tax = db.session.scalar(sa.select(Indicator).where(Indicator.code == "1-01-02-2"))
        assert format(tax.baseline_exact, "f") == "152.1"
        assert [format(t.exact_value, "f") for t in tax.targets] == ["173.0", "172.5", "172.0", "171.5", "171.0"]
        jobs = db.session.scalar(sa.select(Indicator).where(Indicator.code == "1-01-03-1"))
        assert format(jobs.targets[0].exact_value, "f") == "1.50" and jobs.frequency == "monthly"
        rule = db.session.scalar(sa.select(CountingRule).join(Indicator).where(Indicator.code == "1-01-05-2"))
        assert (rule.source, rule.measure, rule.window, rule.window_start.isoformat()) == (
            "placements", "distinct_subjects", "cumulative", "2022-04-01")


def test_plan_load_twice_changes_nothing(app, runner):
    load_plan(runner)
    from casework.audit.models import AuditEntry

    with app.app_context():
        before = _count(AuditEntry)
    again = load_plan(runner)
    assert "変更はありません" in again.output
    with app.app_context():
        assert _count(AuditEntry) == before


def test_plan_load_keeps_a_managers_edits_unless_reset(app, runner, login_as):
    load_plan(runner)
    manager = login_as("manager")
    from casework.extensions import db
    from casework.plans.models import CountingRule, Indicator, Target

    with app.app_context():
        target = db.session.scalar(sa.select(Target).join(Indicator).where(
            Indicator.code == "1-01-05-1", Target.fiscal_year == 2026))
        version = target.version
    response = manager.post("/plans/indicators/1-01-05-1/targets/2026", data={"value": "35", "version": version})
    assert response.status_code == 302
    saved = manager.post("/plans/indicators/1-01-06-1/rule", data={
        "current_rule_id": _rule_id(app, "1-01-06-1"), "source": "partnerships", "measure": "count_records",
        "window": "cumulative", "window_start": "2022-04-01", "reason": "計画期間だけを数える", "save": "1"})
    assert saved.status_code == 302
    kept = load_plan(runner)
    assert "管理職が編集した" in kept.output
    with app.app_context():
        target = db.session.scalar(sa.select(Target).join(Indicator).where(
            Indicator.code == "1-01-05-1", Target.fiscal_year == 2026))
        assert target.exact_value == Decimal("35") and target.edited
        rule = db.session.scalar(sa.select(CountingRule).join(Indicator).where(
            Indicator.code == "1-01-06-1", CountingRule.current.is_(True)))
        assert rule.window_start is not None
    reset = runner.invoke(args=["plan", "load", "--reset"])
    assert reset.exit_code == 0, reset.output
    with app.app_context():
        target = db.session.scalar(sa.select(Target).join(Indicator).where(
            Indicator.code == "1-01-05-1", Target.fiscal_year == 2026))
        assert target.exact_value == Decimal("30") and not target.edited
        rules = db.session.scalars(sa.select(CountingRule).join(Indicator).where(
            Indicator.code == "1-01-06-1").order_by(CountingRule.number)).all()
        assert [(r.number, r.current, r.window_start) for r in rules] == [
            (1, False, None), (2, False, rules[1].window_start), (3, True, None)]


def _rule_id(app, code):
    from casework.extensions import db
    from casework.plans.models import CountingRule, Indicator

    with app.app_context():
        return str(db.session.scalar(sa.select(CountingRule.id).join(Indicator).where(
            Indicator.code == code, CountingRule.current.is_(True))))

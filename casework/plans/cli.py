"""`flask --app wsgi plan load [--reset]` and `flask --app wsgi rollup --fy YEAR [--format csv|json]`."""

import sys

import click
from flask.cli import AppGroup, with_appcontext

from casework import jp
from casework.audit.trail import acting_as
from casework.extensions import db

plan_group = AppGroup("plan", help="総合計画（章・節・指標・目標値・集計ルール）")


@plan_group.command("load")
@click.option("--reset", is_flag=True,
              help="管理職が編集した目標値・集計ルールも計画データの値に戻す")
@with_appcontext
def plan_load(reset: bool):
    """Load or refresh the plan from casework/plans/data/*.toml (idempotent)."""
    from casework.plans.services import PlanError, load_plan

    with acting_as("cli"):
        try:
            report = load_plan(reset=reset)
        except PlanError as exc:
            db.session.rollback()
            click.echo(str(exc), err=True)
            sys.exit(1)
        db.session.commit()
    for line in report.lines():
        click.echo(line)


@click.command("rollup")
@click.option("--fy", "fiscal_year", type=int, default=None,
              help="年度（西暦の開始年、2026 = 令和8年度）。省略すると今日の年度")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@with_appcontext
def rollup_command(fiscal_year: int | None, fmt: str):
    """Print the monthly rollup of every indicator for a fiscal year."""
    from casework.plans.output import rollup_csv, rollup_json
    from casework.plans.rollup import rollup

    if fiscal_year is None:
        fiscal_year = jp.fiscal_year_of(jp.today())
    result = rollup(fiscal_year)
    db.session.commit()  # keeps the computed rollup in the cache
    text = rollup_csv(result) if fmt == "csv" else rollup_json(result) + "\n"
    click.echo(text, nl=False)

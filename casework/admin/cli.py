from pathlib import Path

import click
from flask.cli import AppGroup

from casework.admin.backup import PERSONAL_DATA_WARNING, BackupError, export_to, import_from
from casework.audit.trail import acting_as, record_event
from casework.extensions import db

data_cli = AppGroup("data", help="全データの書き出し（バックアップ）と、空のデータベースへの読み込み（復元・移行）、"
                               "保存期間を過ぎた個人情報の匿名化。")


@data_cli.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def export_command(file: Path):
    """Write every record into FILE.zip (it holds personal data)."""
    with acting_as("cli"):
        record_event("export", entity="backup", detail=f"全データ書き出し: {file.name}")
        db.session.commit()
    counts = export_to(file, db.engine, db.metadata)
    click.echo(f"{sum(counts.values())}行を {file} に書き出しました（{len(counts)}表）。")
    click.echo(f"注意: {PERSONAL_DATA_WARNING}")


@data_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(file: Path):
    """Load FILE.zip into an empty database (after `db upgrade`)."""
    db.session.remove()
    try:
        counts = import_from(file, db.engine, db.metadata)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{sum(counts.values())}行を読み込みました（{len(counts)}表）。")


def _years(_ctx, _param, value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not text.isdigit() or not 1 <= int(text) <= 100:
        raise click.BadParameter(f"「{value}」ではなく、1〜100の年数を半角数字で指定してください。")
    return int(text)


def _ids(ids: list[int]) -> str:
    return ", ".join(str(i) for i in ids) if ids else "なし"


@data_cli.command("anonymize")
@click.option("--years", callback=_years, metavar="N",
              help="保存期間（年）。省略すると設定 RETENTION_YEARS（既定 5年）")
@click.option("--dry-run", is_flag=True, help="対象の人数と番号を表示するだけで、何も書き込まない")
def anonymize_command(years: int | None, dry_run: bool):
    """Anonymize the people whose every record ended more than N years ago (rule:
    casework/admin/retention.py). Prints ids, never names; commits once."""
    from casework.admin import retention

    with acting_as("cli"):
        try:
            plan = retention.plan(years)
            if dry_run:
                db.session.rollback()
            else:
                result = retention.anonymize(plan)
                db.session.commit()
        except retention.RetentionError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
    merged = f"（うち統合済みの記録 {len(plan.merged)}人）" if plan.merged else ""
    click.echo(f"保存期間 {plan.years}年: {plan.cutoff.isoformat()} より前にすべての記録が終わった人が対象です。")
    if dry_run:
        click.echo(f"匿名化の対象: 対象者 {len(plan.people)}人{merged}、企業・機関の担当者 {len(plan.contacts)}人")
        click.echo(f"対象者の番号: {_ids(plan.people)}")
        click.echo(f"担当者の番号: {_ids(plan.contacts)}")
        click.echo("試行のため、何も書き込んでいません。")
        return
    click.echo(f"匿名化しました: 対象者 {len(plan.people)}人{merged}、企業・機関の担当者 {len(plan.contacts)}人")
    click.echo(f"対象者の番号: {_ids(plan.people)}")
    click.echo(f"担当者の番号: {_ids(plan.contacts)}")
    click.echo(f"監査ログ: {result.audit_entries}件の変更記録の個人情報を「***」にしました。")

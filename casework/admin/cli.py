from pathlib import Path

import click
from flask.cli import AppGroup

from casework.admin.backup import PERSONAL_DATA_WARNING, BackupError, export_to, import_from
from casework.audit.trail import acting_as, record_event
from casework.extensions import db

data_cli = AppGroup("data", help="全データの書き出し（バックアップ）と、空のデータベースへの読み込み（復元・移行）。")


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

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from casework.audit.trail import acting_as
from casework.imports.framework import kinds, run_import


@click.command("import")
@click.argument("kind")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="検査だけして書き込まない")
@with_appcontext
def import_command(kind: str, file: Path, dry_run: bool):
    """Import a CSV file of KIND: all or nothing; bad rows are listed as `line N: column: reason`."""
    known = kinds()
    if kind not in known:
        raise click.UsageError(f"KIND「{kind}」はありません。使えるもの: {', '.join(sorted(known))}")
    if not file.is_file():
        raise click.UsageError(f"ファイル「{file}」が見つかりません。")
    with acting_as("cli"):
        result = run_import(known[kind], file.read_bytes(), commit=not dry_run, filename=file.name)
    if not result.ok:
        for error in result.errors:
            click.echo(str(error), err=True)
        click.echo(f"{len(result.errors)}件のエラーがあるため、何も書き込みませんでした。", err=True)
        sys.exit(1)
    verb = "検査しました（書き込みはしていません）" if dry_run else "取り込みました"
    click.echo(f"{known[kind].label}: {result.summary()}を{verb}。")

import sys

import click
from flask.cli import AppGroup

from casework.audit.trail import acting_as
from casework.auth.permissions import Role
from casework.auth.services import AccountError, create_user
from casework.extensions import db

users_cli = AppGroup("users", help="スタッフのアカウントを管理します。")


@users_cli.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--name", "display_name", default="", help="表示名（省略時はユーザー名）")
@click.option("--password-stdin", is_flag=True, help="パスワードを標準入力から読む")
def create_command(username: str, role: str, display_name: str, password_stdin: bool):
    """Create an account. The password is asked for, or read from standard input."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("パスワード", hide_input=True, confirmation_prompt=True)
    with acting_as("cli"):
        try:
            user = create_user(username, role, password, display_name)
        except AccountError as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
    click.echo(f"アカウント「{user.username}」（{user.role_label}）を作成しました。")


def register(app) -> None:
    app.cli.add_command(users_cli)

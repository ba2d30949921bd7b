from flask import Blueprint

bp = Blueprint("auth", __name__)

from casework.auth import routes  # noqa: E402,F401
from casework.auth.cli import users_cli  # noqa: E402


def register(app) -> None:
    from casework.auth.models import User
    from casework.extensions import db, login_manager

    login_manager.login_view = "auth.login"
    login_manager.login_message = "ログインしてください。"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        # The id is "<user id>:<session token>": a token renewed at logout, password change or
        # deactivation makes every older cookie worthless.
        user_pk, _, token = user_id.partition(":")
        if not user_pk.isdigit() or not token:
            return None
        user = db.session.get(User, int(user_pk))
        if user is None or not user.active or user.session_token != token:
            return None
        return user

    app.cli.add_command(users_cli)

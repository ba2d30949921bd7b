from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from casework.admin import routes  # noqa: E402,F401


def register(app) -> None:
    from flask_babel import lazy_gettext as _l

    from casework.web import add_nav

    add_nav(app, _l("アカウント管理"), "admin.users", "admin.users", order=90)
    add_nav(app, _l("監査ログ"), "audit.index", "admin.audit", order=91)
    add_nav(app, _l("個人情報の項目"), "admin.personal_data", "admin.users", order=92)
    add_nav(app, _l("保存期間と匿名化"), "admin.retention_page", "admin.users", order=93)

    from casework.admin.cli import data_cli

    app.cli.add_command(data_cli)

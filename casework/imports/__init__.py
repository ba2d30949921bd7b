"""CSV imports: one framework for every kind (casework.imports.framework), the upload pages
with a preview before anything is written, and `flask --app wsgi import KIND FILE`."""

from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/imports")

from casework.imports import routes  # noqa: E402,F401
from casework.imports.cli import import_command  # noqa: E402


def register(app) -> None:
    from flask_babel import lazy_gettext as _l

    from casework.web import add_nav

    add_nav(app, _l("CSV取込"), "imports.index", "imports.run", order=80)
    app.cli.add_command(import_command)

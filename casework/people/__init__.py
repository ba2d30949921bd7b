"""People (対象者): one record per person, shared by every program."""

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/people")


def register(app) -> None:
    from flask_babel import lazy_gettext as _l

    from casework.web import add_nav

    add_nav(app, _l("対象者"), "people.index", "people.read", order=10)

    from casework import jp

    app.jinja_env.filters["date_kanji"] = jp.format_date_kanji


from casework.people import routes  # noqa: E402,F401

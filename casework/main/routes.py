import sqlalchemy as sa
from flask import render_template
from sqlalchemy.exc import SQLAlchemyError

from casework.auth.access import login_only, public
from casework.extensions import db
from casework.main import bp


@bp.route("/")
@login_only
def home():
    return render_template("main/home.html")


@bp.route("/healthz")
@public
def healthz():
    try:
        db.session.execute(sa.text("SELECT 1")).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        return "unavailable: database\n", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok\n", 200, {"Content-Type": "text/plain; charset=utf-8"}

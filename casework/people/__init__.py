"""People (対象者): one record per person, shared by every program."""

from flask import Blueprint

bp = Blueprint("people", __name__, url_prefix="/people")

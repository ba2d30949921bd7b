"""The audit trail: who changed what, who looked at whose personal data."""

from flask import Blueprint
from flask_sqlalchemy.session import Session as _AppSession

bp = Blueprint("audit", __name__, url_prefix="/admin/audit")

from casework.audit import routes, trail  # noqa: E402,F401

trail.install(_AppSession)

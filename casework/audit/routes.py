from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app, render_template, request

from casework import jp
from casework.audit import bp
from casework.audit.forms import ACTIONS, AuditSearchForm
from casework.audit.models import AuditEntry
from casework.auth.access import require
from casework.extensions import db


def _filtered(form: AuditSearchForm) -> sa.Select:
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if form.username.data:
        query = query.where(AuditEntry.username == form.username.data.strip().lower())
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    if form.entity.data:
        query = query.where(AuditEntry.entity == form.entity.data.strip())
    if form.person_id.data:
        query = query.where(AuditEntry.person_id == form.person_id.data)
    if form.date_from.data:
        start = datetime.combine(form.date_from.data, time.min, tzinfo=jp.JST)
        query = query.where(AuditEntry.at >= start)
    if form.date_to.data:
        end = datetime.combine(form.date_to.data + timedelta(days=1), time.min, tzinfo=jp.JST)
        query = query.where(AuditEntry.at < end)
    return query


@bp.route("/")
@require("admin.audit")
def index():
    form = AuditSearchForm(request.args)
    form.validate()
    page = db.paginate(_filtered(form), per_page=current_app.config["PAGE_SIZE"], error_out=False)
    return render_template("audit/index.html", form=form, page=page, action_labels=dict(ACTIONS))

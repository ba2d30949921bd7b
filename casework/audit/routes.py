from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import render_template, request

from casework import jp
from casework.audit import bp
from casework.audit.exports import exports_holding
from casework.audit.forms import ACTIONS, AuditSearchForm
from casework.audit.models import AuditEntry
from casework.auth.access import require
from casework.paging import paginate


def _filtered(form: AuditSearchForm) -> sa.Select:
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc())
    if form.username.data:
        query = query.where(AuditEntry.username == form.username.data.strip().lower())
    if form.action.data:
        query = query.where(AuditEntry.action == form.action.data)
    if form.entity.data:
        query = query.where(AuditEntry.entity == form.entity.data.strip())
    if form.person_id.data:
        # The person's own entries, and the exports whose file held their data.
        query = query.where(sa.or_(AuditEntry.person_id == form.person_id.data,
                                   AuditEntry.id.in_(exports_holding(form.person_id.data))))
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
    page = paginate(_filtered(form))  # the largest table of all: never counted to the end
    return render_template("audit/index.html", form=form, page=page, action_labels=dict(ACTIONS))

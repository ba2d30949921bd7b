
from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from casework.auth.access import deny, require
from casework.imports import bp
from casework.imports.forms import ConfirmForm, UploadForm
from casework.imports.framework import OUTCOME_LABELS, get_kind, kinds, run_import
from casework.imports.models import PendingImport
from casework.imports.services import import_confirmed, keep_upload, pending_upload


def _kind_for_user(name: str):
    kind = get_kind(name) or abort(404)
    if not current_user.can(kind.capability):
        deny(403)
    return kind


def _pending_of_user(pending_id: int) -> PendingImport:
    return pending_upload(pending_id, current_user.id) or abort(404)


@bp.route("/")
@require("imports.run")
def index():
    allowed = [k for k in kinds().values() if current_user.can(k.capability)]
    return render_template("imports/index.html", kinds=allowed)


@bp.route("/<kind_name>", methods=["GET", "POST"])
@require("imports.run")
def upload(kind_name: str):
    kind = _kind_for_user(kind_name)
    form = UploadForm()
    if form.validate_on_submit():
        pending = keep_upload(kind.name, form.file.data, current_user.id)
        return redirect(url_for("imports.preview", pending_id=pending.id))
    return render_template("imports/upload.html", kind=kind, form=form)


@bp.route("/pending/<int:pending_id>", methods=["GET", "POST"])
@require("imports.run")
def preview(pending_id: int):
    pending = _pending_of_user(pending_id)
    kind = _kind_for_user(pending.kind)
    data, filename = pending.data, pending.filename
    form = ConfirmForm()
    if form.validate_on_submit():
        result = import_confirmed(kind, pending)
        if result.committed:
            flash(f"{kind.label}: {result.summary()}を取り込みました。", "success")
            return redirect(url_for("imports.index"))
        flash("取り込めませんでした。内容を直してからもう一度アップロードしてください。", "error")
        return render_template("imports/preview.html", kind=kind, result=result, form=None,
                               filename=filename, labels=OUTCOME_LABELS)
    result = run_import(kind, data, commit=False, filename=filename)
    return render_template("imports/preview.html", kind=kind, result=result,
                           form=form if result.ok else None, filename=filename,
                           labels=OUTCOME_LABELS, pending=pending)

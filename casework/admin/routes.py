import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.admin import bp, retention
from casework.admin.forms import RetentionForm, UserCreateForm, UserEditForm, UserSearchForm
from casework.admin.privacy import personal_data_register
from casework.auth.access import ask_password_again, recently_authenticated, require
from casework.auth.models import User
from casework.auth.services import AccountError, change_role, create_user, set_active, set_password
from casework.extensions import db
from casework.forms import stale_version
from casework.paging import paginate
from casework.web import csv_download, requested_csv_encoding


@bp.route("/users")
@require("admin.users")
def users():
    form = UserSearchForm(request.args)
    query = sa.select(User).order_by(User.active.desc(), User.username)
    if form.q.data:
        pattern = f"%{form.q.data.strip()}%"
        query = query.where(sa.or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    page = paginate(query)
    return render_template("admin/users.html", page=page, form=form)


@bp.route("/users/new", methods=["GET", "POST"])
@require("admin.users")
def user_new():
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = create_user(form.username.data, form.role.data, form.password.data,
                               form.display_name.data)
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"アカウント「{user.username}」を作成しました。", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("admin.users")
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserEditForm(obj=user)
    if form.validate_on_submit():
        if stale_version(user, form.version.data):
            flash("他の人が先にこのアカウントを更新しました。最新の内容を表示しています。", "error")
            return redirect(url_for("admin.user_edit", user_id=user.id))
        sensitive_change = (form.role.data != user.role or form.active.data != user.active
                            or bool(form.new_password.data))
        if sensitive_change and not recently_authenticated():
            return ask_password_again()
        if user.id == current_user.id and (form.role.data != user.role or not form.active.data):
            flash("自分自身の役割の変更や利用停止はできません。別の管理者に依頼してください。", "error")
            return redirect(url_for("admin.user_edit", user_id=user.id))
        try:
            user.display_name = form.display_name.data.strip()
            if form.role.data != user.role:
                change_role(user, form.role.data)
            if form.active.data != user.active:
                set_active(user, form.active.data)
            if form.new_password.data:
                set_password(user, form.new_password.data)
        except AccountError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(f"アカウント「{user.username}」を更新しました。", "success")
            return redirect(url_for("admin.users"))
    form.version.data = user.version
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/personal-data")
@require("admin.users")
def personal_data():
    fields = personal_data_register(db.metadata)
    if request.args.get("format") == "csv":
        rows = [("表", "列", "内容", "要配慮個人情報")] + [
            (f.table, f.column, f.label, "はい" if f.sensitive else "") for f in fields]
        return csv_download(rows, "personal-data-register.csv", requested_csv_encoding())
    return render_template("admin/personal_data.html", fields=fields)


@bp.route("/retention", methods=["GET", "POST"])
@require("admin.users")
def retention_page():
    """The retention job's dry run (who would be anonymized, by id) and the button to run it."""
    form = RetentionForm()
    try:
        plan = retention.plan()
    except retention.RetentionError as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return render_template("admin/retention.html", plan=None, form=form)
    if form.validate_on_submit():
        if not recently_authenticated():
            return ask_password_again()
        if form.expected.data != plan.fingerprint:
            db.session.rollback()
            flash("確認した後に対象が変わりました。内容をもう一度確認してから実行してください。", "warning")
            return redirect(url_for("admin.retention_page"))
        try:
            retention.anonymize(plan)
        except retention.RetentionError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return redirect(url_for("admin.retention_page"))
        db.session.commit()
        flash(f"対象者{len(plan.people)}人と企業・機関の担当者{len(plan.contacts)}人を匿名化しました。", "success")
        return redirect(url_for("admin.retention_page"))
    db.session.rollback()
    form.expected.data = plan.fingerprint
    return render_template("admin/retention.html", plan=plan, form=form)

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework.admin import bp
from casework.admin.forms import UserCreateForm, UserEditForm, UserSearchForm
from casework.admin.privacy import personal_data_register
from casework.auth.access import ask_password_again, recently_authenticated, require
from casework.auth.models import User
from casework.auth.services import AccountError, change_role, create_user, set_active, set_password
from casework.extensions import db
from casework.forms import stale_version
from casework.web import csv_download


@bp.route("/users")
@require("admin.users")
def users():
    form = UserSearchForm(request.args)
    query = sa.select(User).order_by(User.active.desc(), User.username)
    if form.q.data:
        pattern = f"%{form.q.data.strip()}%"
        query = query.where(sa.or_(User.username.ilike(pattern), User.display_name.ilike(pattern)))
    page = db.paginate(query, per_page=current_app.config["PAGE_SIZE"], error_out=False)
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
        return csv_download(rows, "personal-data-register.csv")
    return render_template("admin/personal_data.html", fields=fields)

from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from casework.auth import bp
from casework.auth.access import login_only, mark_password_entered, public
from casework.auth.forms import LocaleForm, LoginForm, PasswordChangeForm, ReauthForm
from casework.auth.passwords import verify_password
from casework.auth.services import AccountError, authenticate, end_session, set_password
from casework.extensions import db


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.home")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        result = authenticate(form.username.data, form.password.data)
        db.session.commit()
        if result.user is None:
            flash(result.error, "error")
            return render_template("auth/login.html", form=form), 200
        # A fresh session at login: nothing an attacker planted before it survives.
        session.clear()
        login_user(result.user)
        session.permanent = True
        session["login_at"] = datetime.now(UTC).timestamp()
        mark_password_entered()
        return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout():
    if current_user.is_authenticated:
        end_session(current_user)
        db.session.commit()
        logout_user()
    session.clear()
    flash("ログアウトしました。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_only
def account():
    password_form = PasswordChangeForm(prefix="pw")
    locale_form = LocaleForm(prefix="loc", locale=current_user.locale)
    if password_form.submit.data and password_form.validate_on_submit():
        matches, _ = verify_password(current_user.password_hash, password_form.current_password.data)
        if not matches:
            password_form.current_password.errors.append("現在のパスワードが正しくありません。")
        else:
            try:
                set_password(current_user, password_form.new_password.data)
            except AccountError as exc:
                password_form.new_password.errors.append(str(exc))
            else:
                db.session.commit()
                login_user(current_user)  # the cookie must carry the renewed token
                flash("パスワードを変更しました。", "success")
                return redirect(url_for("auth.account"))
    elif locale_form.submit.data and locale_form.validate_on_submit():
        current_user.locale = locale_form.locale.data
        db.session.commit()
        flash("表示言語を変更しました。", "success")
        return redirect(url_for("auth.account"))
    return render_template("auth/account.html", password_form=password_form,
                           locale_form=locale_form,
                           min_length=current_app.config["PASSWORD_MIN_LENGTH"])


@bp.route("/reauth", methods=["GET", "POST"])
@login_only
def reauth():
    form = ReauthForm()
    if form.validate_on_submit():
        matches, _ = verify_password(current_user.password_hash, form.password.data)
        if matches:
            mark_password_entered()
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("パスワードが正しくありません。")
    return render_template("auth/reauth.html", form=form)

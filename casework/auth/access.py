"""View guards. Deny by default: create_app refuses any view that is neither public nor
guarded, and every denial is audited."""

from datetime import UTC, datetime
from functools import wraps

from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_login import current_user


def public(view):
    """Marks a view that needs no login (login page, health check, static files)."""
    view.is_public = True
    return view


def deny(status: int = 403):
    if current_user.is_authenticated:
        # Imported here: the audit package's views themselves use these guards.
        from casework.audit.trail import record_event
        from casework.extensions import db

        record_event("denied", detail=f"{request.method} {request.path} -> {status}")
        db.session.commit()
    abort(status)


def require(*capabilities: str):
    """The user needs at least one of the capabilities."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not any(current_user.can(c) for c in capabilities):
                deny(403)
            return view(*args, **kwargs)

        wrapped.required_capabilities = capabilities
        return wrapped

    return decorator


def login_only(view):
    """For pages every logged-in user may see (their own account, the home page)."""
    view.required_capabilities = ()
    return view


def mark_password_entered() -> None:
    session["auth_at"] = datetime.now(UTC).timestamp()


def recently_authenticated() -> bool:
    entered = session.get("auth_at")
    limit = current_app.config["REAUTH_MINUTES"] * 60
    return entered is not None and datetime.now(UTC).timestamp() - entered <= limit


def ask_password_again():
    """Redirect to the password page, coming back here (as a GET) afterwards."""
    flash("続けるには、パスワードをもう一度入力してください。", "warning")
    return redirect(url_for("auth.reauth", next=request.full_path if request.method == "GET" else request.path))


def reauth_required(view):
    """For exports of personal data: the password must have been entered recently."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not recently_authenticated():
            return ask_password_again()
        return view(*args, **kwargs)

    return wrapped

"""View guards. Deny by default: create_app refuses any view that is neither public nor
guarded, and every denial is audited."""

from functools import wraps

from flask import abort, request
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

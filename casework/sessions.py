"""The session cookie, re-issued only as often as the idle limit needs.

A permanent session ends PERMANENT_SESSION_LIFETIME after its cookie was last issued (the idle
limit: the signature carries the time). Flask re-issues the cookie on every response, which
re-serializes, compresses and signs it: about a tenth of a millisecond on every page. Here it is
re-issued only once it is older than `reissue_after`, so the idle limit holds to within that."""

from __future__ import annotations

from datetime import UTC, datetime

from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature

# The idle limit may end up to this much early: at most a minute, or a thirtieth of the limit.
MAX_REISSUE_SECONDS = 60


def reissue_after(app) -> float:
    return min(MAX_REISSUE_SECONDS, app.permanent_session_lifetime.total_seconds() / 30)


class ReissuingSessionInterface(SecureCookieSessionInterface):
    _serializers: dict = {}

    def get_signing_serializer(self, app):
        # Built once per secret key, not on every request.
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not cookie:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, issued_at = serializer.loads(cookie, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.issued_at = issued_at
        return session

    def should_set_cookie(self, app, session) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        issued_at = getattr(session, "issued_at", None)
        return issued_at is None or (datetime.now(UTC) - issued_at).total_seconds() >= reissue_after(app)

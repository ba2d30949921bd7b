"""GET /api/v1/rollup?fy=YEAR: the same JSON as `flask rollup --format json`. For logged-in
users with dashboard.all, or with `Authorization: Bearer <token>`. Without credentials the
answer is 401 JSON, never a redirect to the login page."""

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from casework import jp
from casework.api import bp, tokens_bp
from casework.api.forms import RevokeForm, TokenForm
from casework.api.models import ApiToken, digest, new_token
from casework.audit.trail import acting_as, record_event
from casework.auth.access import public, require
from casework.db import utcnow
from casework.extensions import csrf, db
from casework.paging import paginate
from casework.plans.output import rollup_json
from casework.plans.rollup import rollup


def _json(body: str, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(body, status=status, mimetype="application/json")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _error(status: int, message: str) -> Response:
    import json

    headers = {"WWW-Authenticate": 'Bearer realm="casework"'} if status == 401 else None
    return _json(json.dumps({"error": message, "status": status}, ensure_ascii=False), status, headers)


def _bearer_token() -> ApiToken | None | bool:
    """The active token presented, None without a header, False for a bad or revoked one."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return False
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest(value.strip())))
    if token is None or not token.active:
        return False
    return token


def _logged_in() -> bool:
    """A live session: the same absolute limit the login guard applies to other pages."""
    from datetime import UTC, datetime

    from flask import current_app, session

    if not current_user.is_authenticated:
        return False
    login_at = session.get("login_at")
    limit = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    return login_at is not None and datetime.now(UTC).timestamp() - login_at <= limit


@bp.route("/rollup")
@public
@csrf.exempt
def rollup_api():
    token = _bearer_token()
    if token is False:
        record_event("denied", entity="api_tokens", detail=f"GET {request.full_path} -> 401 (無効なトークン)")
        db.session.commit()
        return _error(401, "APIトークンが無効か、取り消されています。")
    if token is None:
        if not _logged_in():
            return _error(401, "ログインするか、APIトークン（Authorization: Bearer ...）が必要です。")
        if not current_user.can("dashboard.all"):
            record_event("denied", detail=f"GET {request.full_path} -> 403")
            db.session.commit()
            return _error(403, "この操作の権限がありません。")
    fy_text = request.args.get("fy", "")
    if fy_text:
        if not fy_text.isdigit() or not 1990 <= int(fy_text) <= 2200:
            return _error(400, "fy は年度の西暦開始年（例: 2026）で指定してください。")
        fy = int(fy_text)
    else:
        fy = jp.fiscal_year_of(jp.today())
    if token is not None:
        with acting_as(f"api:{token.name}"[:64]):
            record_event("api", entity="api_tokens", entity_id=token.id, detail=f"GET {request.full_path}")
        db.session.execute(sa.update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=utcnow()))
    result = rollup(fy)
    db.session.commit()
    return _json(rollup_json(result))


@tokens_bp.route("/", methods=["GET", "POST"])
@require("admin.tokens")
def index():
    form = TokenForm()
    created = None
    if form.validate_on_submit():
        secret = new_token()
        token = ApiToken(name=form.name.data.strip(), token_hash=digest(secret), hint=secret[:8],
                         created_by=current_user.username)
        db.session.add(token)
        db.session.commit()
        created = secret
        flash("APIトークンを作成しました。この画面を閉じると二度と表示できません。今すぐ控えてください。", "success")
        form = TokenForm(formdata=None)
    tokens = paginate(sa.select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc()))
    return render_template("api/tokens.html", form=form, page=tokens, created=created,
                           revoke_form=RevokeForm())


@tokens_bp.route("/<int:token_id>/revoke", methods=["POST"])
@require("admin.tokens")
def revoke(token_id: int):
    token = db.session.get(ApiToken, token_id) or abort(404)
    form = RevokeForm()
    if form.validate_on_submit() and token.active:
        token.revoked_at = utcnow()
        token.revoked_by = current_user.username
        db.session.commit()
        flash(f"APIトークン「{token.name}」を取り消しました。", "success")
    return redirect(url_for("api_tokens.index"))

"""Error pages in Japanese; no stack trace ever reaches a user."""

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError

from casework.extensions import db

MESSAGES = {
    400: ("リクエストが正しくありません", "入力内容を確認して、もう一度お試しください。"),
    403: ("この操作の権限がありません", "必要な場合はシステム管理者に権限を確認してください。"),
    404: ("ページが見つかりません", "URLが正しいか、記録が削除または統合されていないか確認してください。"),
    405: ("この操作はできません", "画面のボタンから操作してください。"),
    409: ("他の人が先に更新しました", "最新の内容を開き直してから、もう一度保存してください。"),
    413: ("ファイルが大きすぎます", "アップロードできるファイルの大きさを超えています。ファイルを分けてください。"),
    500: ("システムエラーが発生しました", "入力した内容は保存されていません。時間をおいてもう一度お試しください。続く場合はシステム管理者に連絡してください。"),
    503: ("ただいま利用できません", "データベースに接続できません。しばらくしてからお試しください。"),
}


def _render(status: int, detail: str | None = None):
    title, hint = MESSAGES.get(status, MESSAGES[500])
    if request.path.startswith("/api/"):
        return {"error": title, "status": status}, status
    return render_template("errors/error.html", status=status, title=title, hint=detail or hint), status


def register(app: Flask) -> None:
    for status in MESSAGES:
        if status != 500:
            app.register_error_handler(status, lambda e, s=status: _render(s))

    @app.errorhandler(CSRFError)
    def _csrf(_e):
        return _render(400, "画面の有効期限が切れました。ページを開き直してから、もう一度送信してください。")

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def _out_of_range(_e):
        # A number no column can hold (an id of 20 digits typed into a form): bad input, not a crash.
        db.session.rollback()
        return _render(400, "入力された数値が大きすぎるか、形式が正しくありません。")

    @app.errorhandler(StaleDataError)
    def _stale(_e):
        db.session.rollback()
        return _render(409)

    @app.errorhandler(500)
    def _internal(_e):
        db.session.rollback()
        return _render(500)

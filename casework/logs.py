"""Logs as JSON lines, without personal data: ids and paths, never names or form values."""

import json
import logging
import sys

from flask import Flask, g, has_request_context, request


def _user_id() -> str | None:
    user = getattr(g, "_login_user", None)
    user_id = user.get_id() if user is not None else None
    return user_id.partition(":")[0] if user_id else None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context():
            # The path only: query strings can hold search terms, i.e. people's names.
            entry.update(method=request.method, path=request.path, user_id=_user_id())
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def register(app: Flask) -> None:
    if app.debug or app.testing:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    app.logger.handlers = [handler]
    app.logger.setLevel(logging.INFO)
    app.logger.propagate = False

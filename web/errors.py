"""One place that turns errors into responses: JSON under /api/, pages elsewhere."""

from __future__ import annotations

import logging
from typing import Any

import redis
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from clipper.errors import ClipperError


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


log = logging.getLogger(__name__)
RETRY_AFTER = "5"  # seconds: long enough for a database or Redis restart to finish


def _respond(status: int, message: str) -> Any:
    if _wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def _unreachable(exc: DBAPIError) -> bool:
    """The database cannot be reached or is busy (a passing outage), as opposed to a bug (a missing table)."""
    if exc.connection_invalidated:
        return True
    orig, name = exc.orig, type(exc.orig).__module__
    if name.startswith("sqlite3"):
        text = str(orig).lower()
        return "database is locked" in text or "unable to open database" in text
    return type(orig).__name__ in {"OperationalError", "InterfaceError"}


def _unavailable(message: str) -> Any:
    """503 without the site's layout: the layout asks who is logged in, which needs the database."""
    if _wants_json():
        return jsonify(error=message), 503, {"Retry-After": RETRY_AFTER}
    page = (f"<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Unavailable · Clipper</title>"
            f"<h1>Clipper is unavailable for a moment</h1><p>{escape(message)}</p></html>")
    return page, 503, {"Retry-After": RETRY_AFTER, "Content-Type": "text/html; charset=utf-8"}


def init_app(app: Flask) -> None:
    @app.errorhandler(ClipperError)
    def clipper_error(exc: ClipperError) -> Any:
        if not exc.expected:
            raise exc
        return _respond(exc.status, exc.message)

    @app.errorhandler(DBAPIError)
    def database_error(exc: DBAPIError) -> Any:
        # A dropped connection (the database restarting, a failover) is a passing outage: say so and let
        # the client retry; the pool throws the dead connection away (pool_pre_ping checks the next one).
        if not _unreachable(exc):
            raise exc
        log.warning("database unavailable: %s", exc.orig)
        return _unavailable("The database is not answering right now. Try again in a moment.")

    @app.errorhandler(redis.exceptions.ConnectionError)
    def redis_error(exc: redis.exceptions.ConnectionError) -> Any:
        log.warning("redis unavailable: %s", exc)
        return _unavailable("The job queue (Redis) is not answering right now. Try again in a moment.")

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        return _respond(400, "This form has expired or was not sent from Clipper. Reload the page and try again.")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        messages = {
            403: "You don't have permission to do that. Ask an admin if you need it.",
            404: "Not found.",
            405: "That method is not allowed here.",
            413: "The file is too large.",
        }
        return _respond(exc.code or 500, exc.description if exc.code == 413 and exc.description else
                        messages.get(exc.code or 500, exc.description or "Error"))

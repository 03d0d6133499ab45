"""One place that turns errors into responses: JSON under /api/, pages elsewhere."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from clipper.errors import ClipperError


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _respond(status: int, message: str) -> Any:
    if _wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ClipperError)
    def clipper_error(exc: ClipperError) -> Any:
        if not exc.expected:
            raise exc
        return _respond(exc.status, exc.message)

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

"""``/favicon.ico``: browsers ask every page for it; a small icon (``static/favicon.ico``) instead of a 404."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, send_from_directory

from web.auth import public

bp = Blueprint("favicon", __name__)


@bp.get("/favicon.ico")
@public
def icon() -> Any:
    return send_from_directory(current_app.static_folder or "static", "favicon.ico",
                               mimetype="image/vnd.microsoft.icon", max_age=7 * 24 * 3600)

"""``/healthz``: is the database reachable, is Redis reachable."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import text

from web.auth import public
from web.db import redis_conn, session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@public
def healthz() -> Any:
    checks: dict[str, str] = {}
    try:
        session().execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # report, don't crash: this is the page that says what is broken
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        redis_conn().ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"error: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if ok else "degraded", checks=checks), (200 if ok else 503)

"""One SQLAlchemy session per request, closed when the request ends."""

from __future__ import annotations

import redis
from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from storage import ObjectStore
from workers.redis import connect


def session() -> Session:
    if "db" not in g:
        g.db = current_app.extensions["clipper.sessions"]()
    return g.db


def store() -> ObjectStore:
    return current_app.extensions["clipper.store"]


def redis_conn() -> redis.Redis:
    if "redis" not in current_app.extensions:
        current_app.extensions["redis"] = connect(current_app.config["REDIS_URL"])
    return current_app.extensions["redis"]


def settings():  # type: ignore[no-untyped-def]
    return current_app.config["CLIPPER"]


def _close(_exc: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def init_app(app: Flask) -> None:
    app.teardown_appcontext(_close)

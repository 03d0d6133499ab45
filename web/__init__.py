"""The Flask app: ``create_app(settings)`` builds it; each area registers a blueprint."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask

from clipper import ffmpeg
from clipper.db import make_engine, make_sessionmaker
from clipper.limits import child_limits
from clipper.settings import Settings
from storage import open_store
from workers.context import store_config


def ensure_secret_key(settings: Settings) -> Settings:
    """Use CLIPPER_SECRET_KEY, or one generated on first run and kept (0600) in the data dir."""
    if settings.secret_key:
        return settings
    import dataclasses

    path = Path(settings.data_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return dataclasses.replace(settings, secret_key=path.read_text().strip())


def create_app(settings: Settings | None = None, redis_url: str | None = None) -> Flask:
    settings = ensure_secret_key(settings or Settings.from_env(os.environ))
    app = Flask(__name__)
    https = settings.public_base_url.startswith("https://")
    app.config.update(
        SECRET_KEY=settings.secret_key,
        CLIPPER=settings,
        REDIS_URL=redis_url if redis_url is not None else settings.redis_url,
        MAX_CONTENT_LENGTH=None,  # per route: web.body_caps
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=https,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=https,
        REMEMBER_COOKIE_DURATION=timedelta(days=settings.session_days),
        WTF_CSRF_TIME_LIMIT=None,
    )
    engine = make_engine(settings.database_url)
    app.extensions["clipper.sessions"] = make_sessionmaker(engine)
    app.extensions["clipper.store"] = open_store(store_config(settings))
    ffmpeg.configure(child_limits(settings))  # the caps on every ffmpeg/ffprobe child (clipper.ffmpeg)

    from web import (
        api,
        auth,
        body_caps,
        db,
        errors,
        files,
        health,
        inputs,
        login_limits,
        metrics,
        page_cache,
        permissions,
        security,
    )

    db.init_app(app)
    metrics.init_app(app)  # first: times and ids every request, the refused ones too
    body_caps.init_app(app)  # before anything that may read a body
    security.init_app(app)
    login_limits.init_app(app)
    page_cache.init_app(app)
    auth.init_app(app)
    errors.init_app(app)
    inputs.init_app(app)
    permissions.init_app(app)
    for module in (health, metrics, files, api):
        app.register_blueprint(module.bp)
    for module in _area_blueprints():
        app.register_blueprint(module.bp)
    return app


def _area_blueprints() -> list:  # type: ignore[type-arg]
    """The UI areas. Each lives in its own module with a ``bp``; add new ones here."""
    from web import (
        admin,
        alerts,
        api_search,
        api_transcripts,
        audit,
        branding,
        channels,
        clip_lists,
        embed,
        favicon,
        feeds,
        gallery,
        live,
        live_timer,
        pages,
        posting,
        public_media,
        publishing,
        recording_details,
        recording_page,
        recordings,
        review,
        search_pages,
        system,
        tus,
    )

    return [pages, recording_page, api_search, api_transcripts, tus, admin, recordings, search_pages, clip_lists,
            review, branding, system, live, live_timer, alerts, audit, favicon, recording_details, posting, channels,
            publishing, gallery, public_media, embed, feeds]

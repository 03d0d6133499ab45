"""Failed log-ins per address, across every email tried (password spraying), on the app's Redis.

The per-(email, address) lock in ``web.pages`` slows down guessing one account's password; this
limit (Flask-Limiter, ``login_failures_per_address`` failures in ``WINDOW_MINUTES``) stops one
address trying a few passwords on many accounts. Only failed attempts count, so a shared office
address full of volunteers who type their password right is never held up. The address is the
connecting one, or what a trusted proxy reports (``web.security.TrustedProxies``).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, flash, make_response, render_template
from flask_limiter import Limiter, RequestLimit
from flask_limiter.util import get_remote_address

WINDOW_MINUTES = 15
limiter = Limiter(key_func=get_remote_address, strategy="moving-window", key_prefix="clipper-login")


def _limit() -> str:
    return f"{current_app.config['CLIPPER'].login_failures_per_address} per {WINDOW_MINUTES} minutes"


def _failed(response: Any) -> bool:
    return bool(response.status_code == 401)


def _breached(_limit: RequestLimit) -> Any:
    flash(f"Too many failed log-ins from your network. Wait {WINDOW_MINUTES} minutes and try again, "
          "or ask an admin for a password reset link.")
    return make_response(render_template("login.html"), 429)


# The decorator for the login view: counts failures (401) per address, answers 429 past the limit.
limit_failed_logins = limiter.limit(_limit, methods=["POST"], deduct_when=_failed, on_breach=_breached)


def storage_uri(redis_url: str) -> str:
    """The app's Redis in the spelling the ``limits`` package wants (``unix://`` → ``redis+unix://``)."""
    if not redis_url:
        return "memory://"  # an app built without Redis (some CLI commands): nothing to share
    return "redis+unix://" + redis_url.removeprefix("unix://") if redis_url.startswith("unix://") else redis_url


def init_app(app: Flask) -> None:
    app.config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(app.config["REDIS_URL"]))
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", False)
    limiter.init_app(app)

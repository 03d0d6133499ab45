"""Logging in and out, setting a password from an admin's link, the home page and UI-wide filters."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import delete, func, select

from clipper.models import Clip, LoginAttempt, Recording, User, utcnow
from web.auth import authenticate, end_sessions, hash_password, log_in, public
from web.db import session, settings
from web.login_limits import limit_failed_logins

bp = Blueprint("pages", __name__)
# The login page needs its stylesheet before anyone is logged in; static files hold nothing private.
bp.record_once(lambda state: public(state.app.view_functions["static"]))

LOGIN_LIMIT = 5  # failed tries per email and address ...
LOGIN_WINDOW = timedelta(minutes=15)  # ... in this window
PASSWORD_LINK_MAX_AGE = 7 * 24 * 3600  # seconds an invite or reset link stays valid
MIN_PASSWORD = 10


def _safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site; the home page for anything else.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so ``/%09/evil.example``
    and ``/%5Cevil.example`` lead off-site; they also drop spaces around it. Such targets are refused
    outright, not cleaned up.
    """
    home = url_for("pages.index")
    if not target or target != target.strip() or any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return home
    return target


def _attempt_key(email: str) -> str:
    return hashlib.sha256(f"{email.strip().lower()}|{request.remote_addr or ''}".encode()).hexdigest()


def _too_many_failures(key: str) -> bool:
    since = utcnow() - LOGIN_WINDOW
    count = session().scalar(select(func.count()).where(LoginAttempt.key == key, LoginAttempt.at >= since))
    return (count or 0) >= LOGIN_LIMIT


def _record_failure(key: str) -> None:
    db = session()
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < utcnow() - LOGIN_WINDOW))
    db.add(LoginAttempt(key=key))
    db.commit()


@bp.route("/login", methods=["GET", "POST"])
@public
@limit_failed_logins
def login() -> Any:
    if request.method == "POST":
        email = request.form.get("email", "")
        key = _attempt_key(email)
        if _too_many_failures(key):
            minutes = int(LOGIN_WINDOW.total_seconds() // 60)
            flash(f"Too many failed log-ins for this account from your network. Wait {minutes} minutes and "
                  "try again, or ask an admin for a password reset link.")
            return render_template("login.html"), 429
        user = authenticate(email, request.form.get("password", ""))
        if user is None:
            _record_failure(key)
            flash("That email and password don't match an account. Check them, or ask an admin to reset your password.")
            return render_template("login.html"), 401
        session().execute(delete(LoginAttempt).where(LoginAttempt.key == key))
        session().commit()
        log_in(user, remember=bool(request.form.get("remember")))
        return redirect(_safe_next(request.form.get("next") or request.args.get("next")))
    if current_user.is_authenticated:
        return redirect(url_for("pages.index"))
    return render_template("login.html")


@bp.post("/logout")
@login_required
def logout() -> Any:
    end_sessions(current_user.user)  # every device, and any copy of the cookies
    session().commit()
    logout_user()
    return redirect(url_for("pages.login"))


@bp.get("/desk")
def index() -> Any:  # the team's home; `/` is the public gallery
    db = session()
    recent = db.scalars(select(Recording).order_by(Recording.id.desc()).limit(5)).all()
    mine = db.scalars(select(Clip).where(Clip.created_by_id == current_user.id)
                      .order_by(Clip.updated_at.desc()).limit(5)).all()
    return render_template("index.html", recent=recent, mine=mine)


# --- one-time links to set a password (invites and resets) ---

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="clipper-password-link")


def _fingerprint(user: User) -> str:
    """Changes when the password does, so a link works once: setting the password spends it."""
    return hashlib.sha256(f"{user.id}:{user.password_hash}:{user.active}".encode()).hexdigest()[:16]


def password_link(user: User) -> str:
    token = _serializer().dumps({"u": user.id, "f": _fingerprint(user)})
    return settings().public_base_url.rstrip("/") + url_for("pages.set_password", token=token)


def _user_for_link(token: str) -> User:
    try:
        data = _serializer().loads(token, max_age=PASSWORD_LINK_MAX_AGE)
    except SignatureExpired:
        abort(410, description="This link has expired. Ask an admin for a new one.")
    except BadSignature:
        abort(404)
    user = session().get(User, int(data.get("u", 0)))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        abort(410, description="This link has already been used or is no longer valid. Ask an admin for a new one.")
    return user


@bp.route("/password/<token>", methods=["GET", "POST"])
@public
def set_password(token: str) -> Any:
    user = _user_for_link(token)
    if request.method == "POST":
        password = request.form.get("password", "")
        if len(password) < MIN_PASSWORD:
            flash(f"Choose a password of at least {MIN_PASSWORD} characters.")
            return render_template("set_password.html", user=user), 400
        if password != request.form.get("confirm", ""):
            flash("The two passwords are different. Type the same password twice.")
            return render_template("set_password.html", user=user), 400
        user.password_hash = hash_password(password)
        session().commit()
        log_in(user)
        flash("Your password is set. Welcome to Clipper.")
        return redirect(url_for("pages.index"))
    return render_template("set_password.html", user=user)


# --- filters every page uses ---

@bp.app_template_filter("localtime")
def localtime(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
    """A stored UTC time in the team's time zone (settings.timezone)."""
    if value is None:
        return ""
    zone = ZoneInfo(settings().timezone)
    return value.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).strftime(fmt)


@bp.app_template_filter("duration")
def duration(seconds: float | None) -> str:
    """1:02:03 or 2:03."""
    total = int(round(seconds or 0))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"team_timezone": settings().timezone}

"""Logging in, API tokens, roles and the deny-by-default rule.

Every endpoint needs a logged-in user unless its view is marked ``@public``; ``@role_required``
narrows it to roles. Browsers log in with a session cookie (CSRF checked on every unsafe request);
scripts send ``Authorization: Bearer <token>`` and are not subject to CSRF because they carry no cookie.

A browser login (session cookie, and the remember cookie of "Keep me logged in") carries
``<user id>:<session generation>:<issued at>:<nonce>``. It is refused once the user's generation moved
on (logout, password reset, role change, deactivation: every session of that user ends) or
``session_days`` after it was issued, and it differs on every login.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, jsonify, redirect, request, url_for
from flask import session as cookie_session
from flask_login import LoginManager, current_user, login_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from clipper.models import ApiToken, User, utcnow
from web.db import session

F = TypeVar("F", bound=Callable[..., Any])
login_manager = LoginManager()
csrf = CSRFProtect()
PUBLIC_ATTR = "_clipper_public"
ROLES_ATTR = "_clipper_roles"


def public(view: F) -> F:
    setattr(view, PUBLIC_ATTR, True)
    return view


def role_required(*roles: str) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        setattr(view, ROLES_ATTR, roles)

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated or not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapped, ROLES_ATTR, roles)
        return wrapped  # type: ignore[return-value]

    return decorate


class LoginUser:
    """Flask-Login's view of a ``User`` row."""

    def __init__(self, user: User, login_id: str = "") -> None:
        self.user = user
        self.id = user.id
        self.role = user.role
        self.email = user.email
        self.name = user.name or user.email
        self.login_id = login_id or _new_login_id(user)

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """What the session and remember cookies hold (signed by Flask / Flask-Login)."""
        return self.login_id

    def has_role(self, *roles: str) -> bool:
        return self.user.has_role(*roles)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


_dummy_hash: list[str] = []


def _dummy_password_hash() -> str:
    """A real hash of nothing anyone knows, so unknown emails cost what known ones do."""
    if not _dummy_hash:
        _dummy_hash.append(generate_password_hash(secrets.token_hex(16)))
    return _dummy_hash[0]


def check_password(user: User | None, password: str) -> bool:
    """Always one full hash check, whether or not the user exists or has a password yet."""
    has_password = user is not None and bool(user.password_hash)
    stored = user.password_hash if user is not None and has_password else _dummy_password_hash()
    return check_password_hash(stored, password) and has_password


def authenticate(email: str, password: str) -> User | None:
    user = session().scalar(select(User).where(User.email == email.strip().lower()))
    matches = check_password(user, password)  # before looking at anything else: same work for every email
    if user is None or not user.active or not matches:
        return None
    return user


def _new_login_id(user: User) -> str:
    return f"{user.id}:{user.session_generation}:{int(time.time())}:{secrets.token_urlsafe(12)}"


def _login_lifetime() -> int:
    return int(current_app.config["CLIPPER"].session_days) * 24 * 3600


@login_manager.user_loader
def _load_user(login_id: str) -> LoginUser | None:
    parts = login_id.split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        return None  # an old-style or forged id: log in again
    user_id, generation, issued = (int(p) for p in parts[:3])
    if not 0 <= time.time() - issued <= _login_lifetime():
        return None
    user = session().get(User, user_id)
    if user is None or not user.active or user.session_generation != generation:
        return None
    return LoginUser(user, login_id)


@login_manager.request_loader
def _load_from_token(req: Any) -> LoginUser | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = session().scalar(select(ApiToken).where(ApiToken.token_hash == ApiToken.hash(header[7:].strip())))
    if token is None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    session().commit()
    g.token_auth = True
    return LoginUser(token.user)


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if request.path.startswith("/api/"):
        return jsonify(error="Log in first: send an API token as 'Authorization: Bearer <token>'."), 401
    return redirect(url_for("pages.login", next=request.full_path if request.query_string else request.path))


def _deny_by_default() -> Any:
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None:
        return None  # 404/405 are answered by Flask
    if not getattr(view, PUBLIC_ATTR, False) and not current_user.is_authenticated:
        return login_manager.unauthorized()
    # Cookie sessions must carry a CSRF token on unsafe requests; bearer tokens carry no cookie.
    if request.method not in ("GET", "HEAD", "OPTIONS") and not g.get("token_auth"):
        csrf.protect()
    return None


def create_token(user: User, name: str = "") -> str:
    secret = ApiToken.new_secret()
    session().add(ApiToken(user_id=user.id, name=name, token_hash=ApiToken.hash(secret)))
    return secret


def log_in(user: User, remember: bool = False) -> None:
    """Start a fresh session: nothing from before the login survives in it, the CSRF token included."""
    cookie_session.clear()
    g.pop("csrf_token", None)  # Flask-WTF's per-request cache of the old token
    login_user(LoginUser(user), remember=remember)


def end_sessions(user: User) -> None:
    """End every browser session of ``user`` (all devices, remember cookies included); the caller commits."""
    user.session_generation = (user.session_generation or 0) + 1


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.before_request(_deny_by_default)

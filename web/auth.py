"""Logging in, API tokens, roles and the deny-by-default rule.

Every endpoint needs a logged-in user unless its view is marked ``@public``; ``@role_required``
narrows it to roles. Browsers log in with a session cookie (CSRF checked on every unsafe request);
scripts send ``Authorization: Bearer <token>`` and are not subject to CSRF because they carry no cookie.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, jsonify, redirect, request, url_for
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

    def __init__(self, user: User) -> None:
        self.user = user
        self.id = user.id
        self.role = user.role
        self.email = user.email
        self.name = user.name or user.email

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)

    def has_role(self, *roles: str) -> bool:
        return self.user.has_role(*roles)


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def check_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def authenticate(email: str, password: str) -> User | None:
    user = session().scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active or not check_password(user, password):
        return None
    return user


@login_manager.user_loader
def _load_user(user_id: str) -> LoginUser | None:
    user = session().get(User, int(user_id)) if user_id.isdigit() else None
    return LoginUser(user) if user is not None and user.active else None


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
    login_user(LoginUser(user), remember=remember)


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    csrf.init_app(app)
    login_manager.init_app(app)
    app.before_request(_deny_by_default)

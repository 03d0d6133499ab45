"""The web side of ``clipper.permissions``: the logged-in user's checks, and ``can(...)`` in templates.

Views load the object, then call ``require(action, obj)``; templates hide buttons with
``can(action, obj)`` (the check on the route is what protects it, the template only spares a click).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_login import current_user

from clipper import permissions


def require(action: str, obj: Any = None) -> None:
    """403 (or 409 for the wrong moment) with the reason, unless the logged-in user may."""
    permissions.check(_user(), action, obj)


def can(action: str, obj: Any = None) -> bool:
    return permissions.allowed(_user(), action, obj)


def _user() -> Any:
    return current_user if current_user.is_authenticated else None


def init_app(app: Flask) -> None:
    app.add_template_global(can)

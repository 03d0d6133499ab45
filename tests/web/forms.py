"""Driving the HTML forms with Flask's test client: a logged-in session and its CSRF token."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import make_user

PASSWORD = "correct horse battery"


def csrf_token(client: Any, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_in(client: Any, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(client: Any, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    token = _token_from_session(client)
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def _token_from_session(client: Any) -> str:
    html = client.get("/search").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "not logged in?"
    return match.group(1)


def logged_in(client: Any, ctx: Any, role: str = "volunteer", email: str = "") -> Any:
    """Create a user with ``role`` and log ``client`` in as them; returns the user."""
    user, _ = make_user(ctx, email or f"{role}@example.org", role)
    response = log_in(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return user

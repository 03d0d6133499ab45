"""The login form against an outsider: open redirects, password spraying, and telling emails apart.

- ``next`` only ever leads to a path on this site, whatever spelling a browser would read differently.
- Failed log-ins are counted per address across every email tried (Flask-Limiter on the test Redis);
  X-Forwarded-For counts only when it comes from a configured proxy.
- An unknown, deactivated or not-yet-activated email costs the same password-hashing work as a known
  one with a wrong password (CPU time of the request, medians, side by side: a ratio, not a stopwatch).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from typing import Any
from urllib.parse import quote

import pytest

from clipper.models import User
from tests.conftest import make_user
from tests.web.forms import PASSWORD, csrf_token
from web import create_app


def _post_login(client: Any, email: str, password: str = PASSWORD, query: str = "", **kwargs: Any) -> Any:
    data = {"email": email, "password": password, "csrf_token": csrf_token(client)}
    return client.post("/login" + query, data=data, **kwargs)


@pytest.mark.parametrize("target", [
    "/%09/evil.example/x",  # a tab: browsers drop it and read //evil.example/x
    "/%0d/evil.example/x",  # a carriage return: a 500 before
    "/%0a/evil.example/x",
    "//evil.example/x",
    "/%5Cevil.example/x",  # /\evil.example: browsers read the backslash as a slash
    "%5C%5Cevil.example",
    "https://evil.example/x",
    "javascript:alert(1)",
    "%20//evil.example",
    "evil.example",
])
def test_next_never_leads_off_site(client, ctx, target: str) -> None:
    make_user(ctx, "vol@example.org")
    response = _post_login(client, "vol@example.org", query=f"?next={target}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/desk"  # the team's home


def test_next_keeps_a_path_on_this_site(client, ctx) -> None:
    make_user(ctx, "vol@example.org")
    response = _post_login(client, "vol@example.org", query="?next=" + quote("/search?q=budget cuts", safe=""))
    assert response.status_code == 302 and response.headers["Location"] == "/search?q=budget%20cuts"


def test_one_address_spraying_many_emails_is_stopped(client, ctx) -> None:
    """20 failures from one address, each on a different email (and each claiming another address in
    X-Forwarded-For, which nobody configured to be believed): the next try waits, right password or not."""
    make_user(ctx, "real@example.org")
    for n in range(20):
        answer = _post_login(client, f"person{n}@example.org", "Summer2026!",
                             headers={"X-Forwarded-For": f"203.0.113.{n}"})
        assert answer.status_code == 401, n
    blocked = _post_login(client, "real@example.org")
    assert blocked.status_code == 429
    assert "Too many failed log-ins from your network" in blocked.get_data(as_text=True)
    assert client.get("/desk").status_code == 302  # not logged in


def test_successful_logins_do_not_count(client, ctx) -> None:
    """A shared office address: many volunteers who type their password right are never held up."""
    for n in range(25):
        make_user(ctx, f"vol{n}@example.org")
    for n in range(25):
        browser = client.application.test_client()
        assert _post_login(browser, f"vol{n}@example.org").status_code == 302, n


def test_forwarded_for_is_believed_only_from_a_trusted_proxy(settings, redis_url, ctx) -> None:
    app = create_app(dataclasses.replace(settings, trusted_proxies=("10.0.0.0/8",), login_failures_per_address=3),
                     redis_url)
    make_user(ctx, "real@example.org")
    via_proxy = {"environ_base": {"REMOTE_ADDR": "10.0.0.2"}}
    client = app.test_client()
    for n in range(3):  # one client behind the proxy sprays
        assert _post_login(client, f"p{n}@example.org", "x", headers={"X-Forwarded-For": "203.0.113.7"},
                           **via_proxy).status_code == 401
    assert _post_login(client, "real@example.org", headers={"X-Forwarded-For": "203.0.113.7"},
                       **via_proxy).status_code == 429
    # another client behind the same proxy is not blocked by it (its address is its own) ...
    other = app.test_client()
    assert _post_login(other, "real@example.org", headers={"X-Forwarded-For": "198.51.100.1, 10.0.0.9"},
                       **via_proxy).status_code == 302
    # ... and a client that is not a proxy cannot pose as someone else by sending the header
    direct = app.test_client()
    outsider = {"environ_base": {"REMOTE_ADDR": "203.0.113.7"}}
    assert _post_login(direct, "real@example.org", headers={"X-Forwarded-For": "198.51.100.2"},
                       **outsider).status_code == 429


def _cpu_seconds(client: Any, email: str, password: str) -> float:
    token = csrf_token(client)
    started = time.process_time()
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token})
    spent = time.process_time() - started
    assert response.status_code == 401
    return spent


def test_unknown_emails_cost_as_much_as_known_ones(client, ctx) -> None:
    make_user(ctx, "known@example.org")
    make_user(ctx, "gone@example.org")
    with ctx.sessions() as db:
        db.query(User).filter_by(email="gone@example.org").one().active = False
        db.add(User(email="invited@example.org", role="volunteer", password_hash=""))  # no password yet
        db.commit()
    times: dict[str, list[float]] = {"known": [], "unknown": [], "deactivated": [], "invited": []}
    for n in range(4):  # interleaved, under the per-email lock of 5
        times["known"].append(_cpu_seconds(client, "known@example.org", "wrong password"))
        times["unknown"].append(_cpu_seconds(client, f"nobody{n}@example.org", "wrong password"))
        times["deactivated"].append(_cpu_seconds(client, "gone@example.org", PASSWORD))
        times["invited"].append(_cpu_seconds(client, "invited@example.org", "wrong password"))
    known = statistics.median(times["known"])
    for kind in ("unknown", "deactivated", "invited"):
        ratio = statistics.median(times[kind]) / known
        print(f"CPU time of a log-in with an email that is {kind} / a known one: {ratio:.2f}")
        assert 0.6 < ratio < 1.7, (kind, ratio, times)  # before: unknown emails answered ~25x faster

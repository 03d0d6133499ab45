"""Browser sessions end when they should: logout, password reset, role change, deactivation, age.

Each test drives the real login form and replays the cookies a browser (or a thief) holds, then asks
for a page: 200 while the session is alive, a redirect to the login page once it has ended.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import make_user
from tests.web.forms import PASSWORD, csrf_token, logged_in, post_form
from web import create_app

COOKIES = ("session", "remember_token")


def _login(client: Any, email: str, *, remember: bool = True) -> Any:
    data = {"email": email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    if remember:
        data["remember"] = "1"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _set_cookies(response: Any) -> dict[str, str]:
    """name -> the whole Set-Cookie line, for the cookies a login sets."""
    return {line.split("=", 1)[0]: line for line in response.headers.getlist("Set-Cookie")}


def _stolen(client: Any) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in COOKIES if client.get_cookie(name)}


def _replay(app: Any, cookies: dict[str, str]) -> Any:
    """A new browser holding copies of ``cookies``."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def _logged_in(client: Any) -> bool:
    response = client.get("/desk")  # the team's home (`/` is the public gallery)
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_the_remember_cookie_is_new_on_every_login_bounded_httponly_and_lax(app, ctx) -> None:
    make_user(ctx, "vol@example.org")
    first = _set_cookies(_login(app.test_client(), "vol@example.org"))
    second = _set_cookies(_login(app.test_client(), "vol@example.org"))
    assert first["remember_token"] != second["remember_token"]  # not id|HMAC(id), the same for ever
    for cookie in (first["remember_token"], first["session"]):
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # the public URL is http:// in these tests
    expires = re.search(r"Expires=([^;]+)", first["remember_token"])
    assert expires
    lasts = datetime.strptime(expires.group(1), "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC) - datetime.now(UTC)
    assert timedelta(days=13) < lasts <= timedelta(days=14)  # session_days, not a year


def test_cookies_are_secure_when_the_public_url_is_https(settings, redis_url, ctx) -> None:
    app = create_app(dataclasses.replace(settings, public_base_url="https://clips.example.org"), redis_url)
    make_user(ctx, "vol@example.org")
    cookies = _set_cookies(_login(app.test_client(), "vol@example.org"))
    assert set(COOKIES) <= set(cookies)
    for name in COOKIES:
        assert "; Secure" in cookies[name] and "HttpOnly" in cookies[name] and "SameSite=Lax" in cookies[name]


def test_logout_ends_every_session_of_the_user_and_every_copy_of_its_cookies(app, ctx) -> None:
    make_user(ctx, "vol@example.org")
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop, "vol@example.org")
    _login(phone, "vol@example.org")
    copied = _stolen(laptop)
    assert set(copied) == set(COOKIES) and _logged_in(_replay(app, copied))  # the copies work while logged in
    remember_only = {"remember_token": copied["remember_token"]}
    assert _logged_in(_replay(app, remember_only))

    assert post_form(laptop, "/logout").status_code == 302
    assert not _logged_in(laptop)
    assert not _logged_in(phone)  # the other device is logged out too
    assert not _logged_in(_replay(app, copied))  # the session cookie from before the logout is dead
    assert not _logged_in(_replay(app, remember_only))  # ... and so is "keep me logged in"


def test_a_password_reset_ends_the_old_sessions(app, ctx) -> None:
    user, _ = make_user(ctx, "vol@example.org")
    victim = app.test_client()
    _login(victim, "vol@example.org")
    copied = _stolen(victim)
    admin = app.test_client()
    logged_in(admin, ctx, "admin")
    page = post_form(admin, f"/admin/users/{user.id}/reset").get_data(as_text=True)
    link = re.search(r"https?://[^\s\"<]+/password/[^\s\"<]+", page)
    assert link, page
    path = "/password/" + link.group(0).split("/password/", 1)[1]
    new_browser = app.test_client()
    token = csrf_token(new_browser, path)
    answer = new_browser.post(path, data={"password": "a brand new passphrase", "confirm": "a brand new passphrase",
                                          "csrf_token": token})
    assert answer.status_code == 302 and _logged_in(new_browser)  # the reset logs in with the new password
    assert not _logged_in(victim)
    assert not _logged_in(_replay(app, copied))
    assert not _logged_in(_replay(app, {"remember_token": copied["remember_token"]}))


def test_a_role_change_or_deactivation_ends_the_sessions(app, ctx) -> None:
    lead, _ = make_user(ctx, "lead@example.org", "social_lead")
    vol, _ = make_user(ctx, "vol@example.org")
    lead_browser, vol_browser = app.test_client(), app.test_client()
    _login(lead_browser, "lead@example.org")
    _login(vol_browser, "vol@example.org")
    lead_cookies, vol_cookies = _stolen(lead_browser), _stolen(vol_browser)
    admin = app.test_client()
    logged_in(admin, ctx, "admin")

    assert post_form(admin, f"/admin/users/{lead.id}/role", {"role": "volunteer"}).status_code == 302
    assert not _logged_in(lead_browser)
    assert not _logged_in(_replay(app, {"remember_token": lead_cookies["remember_token"]}))
    _login(lead_browser, "lead@example.org")  # a fresh login works, with the new role
    assert lead_browser.get("/review").status_code == 403

    assert post_form(admin, f"/admin/users/{vol.id}/active", {"active": "0"}).status_code == 302
    assert not _logged_in(vol_browser)
    assert post_form(admin, f"/admin/users/{vol.id}/active", {"active": "1"}).status_code == 302
    assert not _logged_in(_replay(app, vol_cookies))  # reactivating does not bring old cookies back


def test_a_login_older_than_session_days_is_refused(settings, redis_url, ctx) -> None:
    app = create_app(dataclasses.replace(settings, session_days=0), redis_url)
    make_user(ctx, "vol@example.org")
    browser = app.test_client()
    _login(browser, "vol@example.org")
    assert not _logged_in(browser)  # a zero-day lifetime: the login has already expired


def test_the_csrf_token_changes_at_login_and_the_old_one_stops_working(app, ctx) -> None:
    make_user(ctx, "vol@example.org")
    browser = app.test_client()
    before = csrf_token(browser)  # what the login page handed out (an attacker could plant this session)
    _login(browser, "vol@example.org", remember=False)
    after = csrf_token(browser, "/search")
    assert after != before
    stale = browser.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 400 and "expired" in stale.get_data(as_text=True)
    assert browser.post("/logout", data={"csrf_token": after}).status_code == 302


def test_logout_ends_sessions_on_every_database(database_url: str, tmp_path, redis_url) -> None:
    """The session generation (migration 0009) and the flush hook that raises it, on SQLite and PostgreSQL."""
    from clipper.settings import Settings
    from workers import context

    settings = Settings.from_env({}, data_dir=tmp_path / "data", database_url=database_url, secret_key="test-secret",
                                 public_base_url="http://localhost")
    ctx = context.configure(settings, redis_url)
    app = create_app(settings, redis_url)
    user, _ = make_user(ctx, "vol@example.org")
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop, "vol@example.org")
    _login(phone, "vol@example.org")
    assert _logged_in(phone)
    assert post_form(laptop, "/logout").status_code == 302
    assert not _logged_in(phone)
    with ctx.sessions() as db:
        from clipper.models import User

        stored = db.get(User, user.id)
        assert stored is not None and stored.session_generation == 1
        stored.name = "Vol"  # other changes leave sessions alone ...
        db.commit()
        assert stored.session_generation == 1
        stored.password_hash = "changed elsewhere (the CLI)"  # ... a password change anywhere ends them
        db.commit()
        assert stored.session_generation == 2

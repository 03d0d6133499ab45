"""Logging in and out in a real browser; the login page passes axe-core."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_login_page_is_accessible_and_logs_in(browser, live_server, check_a11y) -> None:  # type: ignore[no-untyped-def]
    user = live_server.make_user("lee@example.org", "volunteer")
    page = browser.new_page()
    page.goto(f"{live_server.url}/desk")
    assert "/login" in page.url  # deny by default
    check_a11y(page)
    page.fill("#email", user.email)
    page.fill("#password", user.password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{live_server.url}/desk"
    assert page.get_by_role("button", name="Log out").is_visible()
    page.close()


def test_page_as_gives_a_logged_in_page(page_as, live_server) -> None:  # type: ignore[no-untyped-def]
    page = page_as("admin")
    page.goto(f"{live_server.url}/desk")
    assert page.clipper_user.role == "admin"
    assert page.get_by_role("button", name="Log out").is_visible()


def test_invite_link_lets_a_new_volunteer_in(browser, page_as, live_server, check_a11y) -> None:  # type: ignore[no-untyped-def]
    admin = page_as("admin")
    admin.goto(f"{live_server.url}/admin/users")
    admin.fill("input[name=email]", "sam@example.org")
    admin.fill("input[name=name]", "Sam")
    admin.get_by_role("button", name="Invite", exact=True).click()
    link = admin.input_value("#one-time-link")

    page = browser.new_page()
    page.goto(link)
    check_a11y(page)
    page.fill("#password", "a good long password")
    page.fill("#confirm", "a good long password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "Welcome to Clipper" in page.inner_text("main")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My clips").click()
    assert page.url.endswith("/clips/mine")
    assert page.get_by_role("link", name="Admin").count() == 0  # a volunteer sees no admin link
    page.goto(link)
    assert "already been used" in page.inner_text("main")
    page.close()

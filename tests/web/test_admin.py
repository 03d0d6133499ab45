"""Accounts: log in, the login rate limit, admin invites, roles, deactivation, one-time password links,
and the people list."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from clipper.models import Person, User
from tests.conftest import make_user
from tests.web.forms import csrf_token, log_in, logged_in, post_form


def _link_path(html: str) -> str:
    match = re.search(r'id="one-time-link" type="text" readonly value="http://localhost(/password/[^"]+)"', html)
    assert match, "no one-time link on the page"
    return match.group(1)


def test_login_and_logout(client, ctx) -> None:  # type: ignore[no-untyped-def]
    make_user(ctx, "amy@example.org")
    assert client.get("/recordings").status_code == 302  # deny by default: off to the login page
    response = log_in(client, "AMY@example.org ")
    assert response.status_code == 302
    assert client.get("/recordings").status_code == 200
    response = post_form(client, "/logout")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/recordings").status_code == 302


def test_wrong_password_is_refused_and_rate_limited(client, ctx) -> None:  # type: ignore[no-untyped-def]
    make_user(ctx, "amy@example.org")
    for _ in range(5):
        response = log_in(client, "amy@example.org", "wrong password")
        assert response.status_code == 401
        assert "match an account" in response.get_data(as_text=True)
    # the sixth try is refused even with the right password, with a message that says what to do
    response = log_in(client, "amy@example.org")
    assert response.status_code == 429
    assert "Too many failed log-ins" in response.get_data(as_text=True)
    # another account from the same address is not locked out
    make_user(ctx, "bo@example.org")
    assert log_in(client, "bo@example.org").status_code == 302


def test_successful_login_clears_failures(client, ctx) -> None:  # type: ignore[no-untyped-def]
    make_user(ctx, "amy@example.org")
    for _ in range(4):
        log_in(client, "amy@example.org", "nope")
    assert log_in(client, "amy@example.org").status_code == 302
    post_form(client, "/logout")
    for _ in range(4):
        assert log_in(client, "amy@example.org", "nope").status_code == 401
    assert log_in(client, "amy@example.org").status_code == 302


def test_invite_sets_password_once_and_logs_in(app, client, ctx) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, "admin")
    response = post_form(client, "/admin/users", {"email": "New.Person@Example.org", "name": "New Person",
                                                  "role": "social_lead"})
    assert response.status_code == 201
    link = _link_path(response.get_data(as_text=True))
    post_form(client, "/logout")

    invitee = app.test_client()
    page = invitee.get(link)
    assert page.status_code == 200 and "new.person@example.org" in page.get_data(as_text=True)
    token = csrf_token(invitee, link)
    short = invitee.post(link, data={"password": "short", "confirm": "short", "csrf_token": token})
    assert short.status_code == 400 and "at least 10" in short.get_data(as_text=True)
    done = invitee.post(link, data={"password": "a long new password", "confirm": "a long new password",
                                    "csrf_token": token})
    assert done.status_code == 302
    assert invitee.get("/clips/mine").status_code == 200  # logged in as the new user
    # the link is spent
    assert app.test_client().get(link).status_code == 410
    with ctx.sessions() as db:
        user = db.scalar(select(User).where(User.email == "new.person@example.org"))
        assert user.role == "social_lead" and user.name == "New Person"
    assert log_in(app.test_client(), "new.person@example.org", "a long new password").status_code == 302


def test_invite_refuses_duplicates_and_bad_roles(client, ctx) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, "admin")
    make_user(ctx, "taken@example.org")
    dup = post_form(client, "/admin/users", {"email": "taken@example.org", "role": "volunteer"})
    assert dup.status_code == 400 and "already has an account" in dup.get_data(as_text=True)
    bad = post_form(client, "/admin/users", {"email": "x@example.org", "role": "emperor"})
    assert bad.status_code == 400 and "Choose a role" in bad.get_data(as_text=True)


def test_change_role_and_deactivate(app, client, ctx) -> None:  # type: ignore[no-untyped-def]
    admin = logged_in(client, ctx, "admin")
    vol, _ = make_user(ctx, "vol@example.org")
    assert post_form(client, f"/admin/users/{vol.id}/role", {"role": "social_lead"}).status_code == 302
    with ctx.sessions() as db:
        assert db.get(User, vol.id).role == "social_lead"
    # admins can't lock themselves out
    own = post_form(client, f"/admin/users/{admin.id}/role", {"role": "volunteer"}, follow_redirects=True)
    assert own.status_code == 200 and "remove your own admin role" in own.get_data(as_text=True)
    with ctx.sessions() as db:
        assert db.get(User, admin.id).role == "admin"

    other = app.test_client()
    log_in(other, "vol@example.org")
    assert other.get("/recordings").status_code == 200
    assert post_form(client, f"/admin/users/{vol.id}/active", {"active": "0"}).status_code == 302
    assert other.get("/recordings").status_code == 302  # the open session stops working
    assert log_in(app.test_client(), "vol@example.org").status_code == 401
    page = client.get("/admin/users").get_data(as_text=True)
    assert "Deactivated" in page and "Reactivate vol@example.org" in page


def test_reset_link_replaces_a_forgotten_password(app, client, ctx) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, "admin")
    vol, _ = make_user(ctx, "vol@example.org")
    response = post_form(client, f"/admin/users/{vol.id}/reset")
    link = _link_path(response.get_data(as_text=True))
    user_client = app.test_client()
    token = csrf_token(user_client, link)
    response = user_client.post(link, data={"password": "my new password 1", "confirm": "my new password 1",
                                            "csrf_token": token})
    assert response.status_code == 302
    assert log_in(app.test_client(), "vol@example.org").status_code == 401  # the old one is gone
    assert log_in(app.test_client(), "vol@example.org", "my new password 1").status_code == 302
    assert app.test_client().get("/password/not-a-real-token").status_code == 404


def test_people_list(client, ctx) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, "admin")
    response = post_form(client, "/admin/people", {"name": "Jo Bloggs", "role": "Shadow Chancellor",
                                                   "constituency": "Leeds East", "party": "Example"})
    assert response.status_code == 302
    page = client.get("/admin/people").get_data(as_text=True)
    assert "Jo Bloggs" in page and "Leeds East" in page and "Shadow Chancellor" in page
    assert post_form(client, "/admin/people", {"name": ""}).status_code == 400
    assert post_form(client, "/admin/people", {"name": "x" * 201}).status_code == 400
    with ctx.sessions() as db:
        person = db.scalar(select(Person))
        assert person.label == "Jo Bloggs (Shadow Chancellor, Leeds East)"
    post_form(client, f"/admin/people/{person.id}", {"name": "Jo Bloggs", "role": "Chancellor",
                                                     "constituency": "Leeds East", "party": "Example"})
    with ctx.sessions() as db:
        assert db.get(Person, person.id).role == "Chancellor"
    post_form(client, f"/admin/people/{person.id}", {"action": "remove"})
    with ctx.sessions() as db:
        assert db.get(Person, person.id).active is False


def test_text_fields_are_shown_as_text(client, ctx) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, "admin")
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    post_form(client, "/admin/people", {"name": evil, "role": evil})
    post_form(client, "/admin/users", {"email": "e@example.org", "name": evil, "role": "volunteer"})
    for path in ("/admin/people", "/admin/users"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html


def test_glossary_page(app, client, ctx) -> None:  # type: ignore[no-untyped-def]
    if "admin.glossary" not in app.view_functions:
        pytest.skip("the glossary (clipper/glossary.py) lands with the speech work")
    logged_in(client, ctx, "admin")
    response = post_form(client, "/admin/glossary", {"terms": "Rachel Reeves | Chancellor\n\nLeeds East\n"})
    assert response.status_code == 302
    html = client.get("/admin/glossary").get_data(as_text=True)
    assert "Leeds East\nRachel Reeves | Chancellor</textarea>" in html and "(2 now)" in html
    post_form(client, "/admin/glossary", {"terms": "<script>x</script>"})
    html = client.get("/admin/glossary").get_data(as_text=True)
    assert "&lt;script&gt;x&lt;/script&gt;</textarea>" in html


def test_desk_tables_on_every_database(database_url: str) -> None:
    """People, saved searches and login attempts (migration 0006) on SQLite and PostgreSQL."""
    from datetime import timedelta

    from sqlalchemy import func

    from clipper.models import LoginAttempt, SavedSearch, utcnow
    from tests.conftest import engine_for

    sessions = engine_for(database_url)
    with sessions() as db:
        user = User(email="a@example.org")
        db.add_all([user, Person(name="Jo Bloggs", constituency="Leeds East")])
        db.flush()
        db.add(SavedSearch(user_id=user.id, name="cost", query='"cost of living"'))
        db.add_all([LoginAttempt(key="k"), LoginAttempt(key="k", at=utcnow() - timedelta(hours=1))])
        db.commit()
        recent = db.scalar(select(func.count()).where(LoginAttempt.key == "k",
                                                      LoginAttempt.at >= utcnow() - timedelta(minutes=15)))
        assert recent == 1
        db.delete(user)
        db.commit()
        assert db.scalar(select(func.count()).select_from(SavedSearch)) == 0  # they go with the user

"""Live sources through the API and the page: who may add, start and stop them, and bad links refused."""

from __future__ import annotations

import dataclasses

import pytest

from clipper.models import Event, LiveSource
from tests.conftest import make_user
from tests.web.forms import logged_in, post_form


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, url_allowed_hosts=("127.0.0.1:*",))


def _headers(ctx, role: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {make_user(ctx, f'{role}@example.org', role)[1]}"}


def test_a_lead_adds_starts_and_stops_a_source(client, ctx) -> None:  # type: ignore[no-untyped-def]
    lead = _headers(ctx, "social_lead")
    made = client.post("/api/v1/live-sources", headers=lead, json={
        "name": "PMQs", "url": "http://127.0.0.1:9/live.m3u8", "channel": "Parliament", "segment_seconds": 20})
    assert made.status_code == 201, made.json
    assert made.json["status"] == "idle" and made.json["active"] is False
    sid = made.json["id"]
    started = client.post(f"/api/v1/live-sources/{sid}/start", headers=lead)
    assert started.status_code == 200 and started.json["active"] is True
    assert client.post(f"/api/v1/live-sources/{sid}/start", headers=lead).status_code == 400  # already on
    assert client.post(f"/api/v1/live-sources/{sid}/stop", headers=lead).json["active"] is False
    with ctx.sessions() as session:
        actions = [e.action for e in session.query(Event).order_by(Event.id)]
    assert actions == ["live_source.created", "live_source.start", "live_source.stop"]


def test_volunteers_see_sources_but_cannot_add_or_start_them(client, ctx) -> None:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        session.add(LiveSource(name="News", url="http://127.0.0.1:9/live.m3u8"))
        session.commit()
    volunteer = _headers(ctx, "volunteer")
    assert client.get("/api/v1/live-sources", headers=volunteer).json["sources"][0]["name"] == "News"
    assert client.post("/api/v1/live-sources", headers=volunteer, json={"name": "x", "url": "http://127.0.0.1/a.m3u8"}
                       ).status_code == 403
    assert client.post("/api/v1/live-sources/1/start", headers=volunteer).status_code == 403


@pytest.mark.parametrize(("url", "message"), [
    ("http://10.1.2.3/live.m3u8", "private"),
    ("file:///etc/passwd", "http"),
])
def test_bad_links_are_refused_with_the_reason(client, ctx, url: str, message: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/live-sources", headers=_headers(ctx, "admin"), json={"name": "x", "url": url})
    assert response.status_code == 400 and message in response.json["error"].lower(), response.json
    with ctx.sessions() as session:
        assert session.query(LiveSource).count() == 0


@pytest.mark.parametrize("seconds", [2, 500, True, "abc"])
def test_segment_lengths_out_of_range_are_refused(client, ctx, seconds: object) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/v1/live-sources", headers=_headers(ctx, "admin"),
                           json={"name": "x", "url": "http://127.0.0.1:9/live.m3u8", "segment_seconds": seconds})
    assert response.status_code == 400 and "seconds" in response.json["error"]


def test_the_live_page_offers_the_lead_a_form_and_the_volunteer_none(app, client, ctx) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, "social_lead", "lead2@example.org")
    assert "Add a live source" in client.get("/live").get_data(as_text=True)
    response = post_form(client, "/api/v1/live-sources", {"name": "Evening news", "url": "http://127.0.0.1:9/n.m3u8"},
                         follow_redirects=True)
    assert "Evening news" in response.get_data(as_text=True)
    other = app.test_client()
    logged_in(other, ctx, "volunteer", "vol2@example.org")
    page = other.get("/live").get_data(as_text=True)
    assert "Evening news" in page and "Add a live source" not in page and "Start recording" not in page

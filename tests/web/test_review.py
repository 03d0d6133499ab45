"""Review: a social lead approves a submitted clip (its renders are queued) or sends it back with a reason;
volunteers cannot review, and a lead never approves a cut that changed after they looked at it."""

from __future__ import annotations

import re

import pytest

from clipper.models import Recording, User
from clipper.recordings import save_transcript
from tests.conftest import make_user
from tests.web.forms import logged_in, post_form
from tests.web.test_recording_page import _transcript
from workers.redis import connect


@pytest.fixture
def submitted(client, ctx, sessions) -> dict:  # type: ignore[no-untyped-def]
    """A clip a volunteer marked and submitted; returns its JSON and the volunteer's headers."""
    with sessions() as db:
        rec = Recording(title="Evening news", status="ready", duration=30.0,
                        probe={"fps": 25.0, "width": 640, "height": 360, "has_video": True})
        db.add(rec)
        db.flush()
        save_transcript(db, rec, _transcript())
        db.commit()
        rid = rec.id
    _, token = make_user(ctx, "vol@example.org", "volunteer")
    vol = {"Authorization": f"Bearer {token}"}
    made = client.post(f"/api/v1/recordings/{rid}/clips", headers=vol,
                       json={"start": 1.0, "end": 3.4, "title": "Hospital promise"})
    assert made.status_code == 201, made.json
    sent = client.post(f"/api/v1/clips/{made.json['id']}/submit", headers=vol, json={"version": made.json["version"]})
    assert sent.status_code == 200 and sent.json["status"] == "submitted", sent.json
    return {"clip": sent.json, "vol": vol}


@pytest.fixture
def lead(ctx) -> dict[str, str]:  # type: ignore[no-untyped-def]
    _, token = make_user(ctx, "lead@example.org", "social_lead")
    return {"Authorization": f"Bearer {token}"}


def test_approving_queues_the_renders(client, submitted, lead, redis_url, sessions) -> None:  # type: ignore[no-untyped-def]
    clip = submitted["clip"]
    resp = client.post(f"/api/v1/clips/{clip['id']}/approve", headers=lead, json={"version": clip["version"]})
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "approved" and resp.json["version"] == clip["version"] + 1
    job = client.get(f"/api/v1/jobs/render-clip-{clip['id']}", headers=lead).json
    assert job["status"] == "queued"
    with sessions() as db:
        approver = db.get(User, _clip_row(db, clip["id"]).approved_by_id)
        assert approver is not None and approver.email == "lead@example.org"
    # approved clips are no longer edited by the volunteer
    edit = client.patch(f"/api/v1/clips/{clip['id']}", headers=submitted["vol"],
                        json={"version": resp.json["version"], "title": "Changed"})
    assert edit.status_code == 409 and "approved" in edit.json["error"]


def test_rejecting_needs_a_reason_and_sends_the_clip_back(client, submitted, lead) -> None:  # type: ignore[no-untyped-def]
    clip = submitted["clip"]
    bare = client.post(f"/api/v1/clips/{clip['id']}/reject", headers=lead, json={"version": clip["version"]})
    assert bare.status_code == 400 and "why" in bare.json["error"]
    resp = client.post(f"/api/v1/clips/{clip['id']}/reject", headers=lead,
                       json={"version": clip["version"], "reason": "Cut before 'not': include the whole sentence."})
    assert resp.status_code == 200 and resp.json["status"] == "rejected"
    assert resp.json["review_note"] == "Cut before 'not': include the whole sentence."
    # the volunteer adjusts it and submits again
    fixed = client.patch(f"/api/v1/clips/{clip['id']}", headers=submitted["vol"],
                         json={"version": resp.json["version"], "end": 4.4})
    assert fixed.status_code == 200, fixed.json
    again = client.post(f"/api/v1/clips/{clip['id']}/submit", headers=submitted["vol"],
                        json={"version": fixed.json["version"]})
    assert again.status_code == 200 and again.json["status"] == "submitted"


def test_a_lead_never_approves_a_cut_that_changed(client, submitted, lead) -> None:  # type: ignore[no-untyped-def]
    clip = submitted["clip"]
    moved = client.patch(f"/api/v1/clips/{clip['id']}", headers=submitted["vol"],
                         json={"version": clip["version"], "end": 4.4})
    assert moved.status_code == 200
    stale = client.post(f"/api/v1/clips/{clip['id']}/approve", headers=lead, json={"version": clip["version"]})
    assert stale.status_code == 409
    assert "out point" in stale.json["error"] and stale.json["clip"]["status"] == "submitted"


def test_volunteers_cannot_review(client, submitted, redis_url) -> None:  # type: ignore[no-untyped-def]
    clip = submitted["clip"]
    for action in ("approve", "reject"):
        resp = client.post(f"/api/v1/clips/{clip['id']}/{action}", headers=submitted["vol"],
                           json={"version": clip["version"], "reason": "x"})
        assert resp.status_code == 403
    assert client.get("/review", headers=submitted["vol"]).status_code == 403
    assert connect(redis_url).exists(f"rq:job:render-clip-{clip['id']}") == 0


def test_review_page_rejects_with_a_reason_the_volunteer_sees(client, ctx, submitted) -> None:  # type: ignore[no-untyped-def]
    clip = submitted["clip"]
    logged_in(client, ctx, "social_lead", "lead2@example.org")
    page = client.get("/review").get_data(as_text=True)
    assert "Hospital promise" in page and "The minister said the new" in page
    version = re.search(rf'action="/review/{clip["id"]}".*?name="version" value="(\d+)"', page, re.S)
    assert version
    empty = post_form(client, f"/review/{clip['id']}", {"decision": "reject", "version": version.group(1)},
                      follow_redirects=True)
    assert "Say why the clip is rejected" in empty.get_data(as_text=True)
    done = post_form(client, f"/review/{clip['id']}", {"decision": "reject", "version": version.group(1),
                                                        "reason": "<b>Too</b> short"}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert "is rejected" in html and "Nothing is waiting for review" in html
    mine = client.get("/clips").get_data(as_text=True)
    assert "&lt;b&gt;Too&lt;/b&gt; short" in mine  # the reason shows, as text


def _clip_row(db, clip_id: int):  # type: ignore[no-untyped-def]
    from clipper.models import Clip

    return db.get(Clip, clip_id)

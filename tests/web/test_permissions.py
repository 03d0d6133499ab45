"""Who may do what to whose work (issue 8, items 1, 2, 3 and 17), through the real app, Redis and ffmpeg.

- Public renders come only from a social lead's approval; a volunteer may only ask for the private,
  short-lived preview of their own clip.
- Volunteers change and submit only their own clips; leads and admins any.
- Only leads and admins stop or re-run a transcription, and a re-run never silently wipes word fixes.
- Two people on every approval: whoever marked or last changed a clip cannot approve it (an admin may,
  and the approval records it).
- A failed render shows its error on the clip and review pages, and leads can render it again.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from clipper.models import Clip, Recording, Render, Word
from tests.conftest import run_jobs
from tests.media import make_video
from tests.web.forms import log_in, post_form
from tests.web.team import Team, events, make_team, mark, ready_recording, stored
from workers import queues


@pytest.fixture
def team(ctx) -> Team:  # type: ignore[no-untyped-def]
    return make_team(ctx)


@pytest.fixture
def rec(sessions) -> int:  # type: ignore[no-untyped-def]
    return ready_recording(sessions)


def _job(client, headers, job_id: str) -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/jobs/{job_id}", headers=headers).json["status"]


# --- 1. renders skip review -------------------------------------------------------------------------


def test_no_volunteer_can_render_a_clip_for_publishing(client, team, rec, ctx, sessions) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.vol_a, rec, submit=True)
    for who in (team.vol_a, team.vol_b):  # the owner and someone else alike
        resp = client.post(f"/api/v1/clips/{clip['id']}/render", headers=who.headers)
        assert resp.status_code == 403, resp.json
        assert "permission" in resp.json["error"]
    # a lead cannot skip review either: the clip is only submitted
    resp = client.post(f"/api/v1/clips/{clip['id']}/render", headers=team.lead.headers)
    assert resp.status_code == 409 and "only when it is approved" in resp.json["error"]
    assert _job(client, team.lead.headers, f"render-clip-{clip['id']}") == "unknown"
    assert ctx.store.keys(f"clips/{clip['id']}/") == []
    with sessions() as db:
        assert db.query(Render).filter(Render.public_url != "").count() == 0
    # approval by another person is what queues the public renders
    resp = client.post(f"/api/v1/clips/{clip['id']}/approve", headers=team.lead.headers,
                       json={"version": clip["version"]})
    assert resp.status_code == 200, resp.json
    assert _job(client, team.lead.headers, f"render-clip-{clip['id']}") == "queued"


def test_a_render_job_for_an_unapproved_clip_publishes_nothing(client, team, rec, ctx, redis_url) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.vol_a, rec, submit=True)
    queues.enqueue_render(ctx.redis, clip["id"])  # however it got queued (an old job, a script)
    run_jobs(redis_url, ("render",))
    assert ctx.store.keys(f"clips/{clip['id']}/") == []
    renders = client.get(f"/api/v1/clips/{clip['id']}", headers=team.lead.headers).json["renders"]
    # only the submit's rough preview, which says why it failed (this recording has no media): nothing public
    assert [(r["status"], r.get("public_url")) for r in renders] in ([], [("failed", None)], [("failed", "")])


@pytest.mark.slow
def test_a_preview_is_private_to_its_owner_and_the_reviewers(client, team, ctx, sessions, redis_url,  # type: ignore[no-untyped-def]
                                                             tmp_path: Path) -> None:
    rid = ready_recording(sessions, original=make_video(tmp_path / "news.mp4", seconds=4), store=ctx.store)
    clip = mark(client, team.vol_a, rid)
    refused = client.post(f"/api/v1/clips/{clip['id']}/preview", headers=team.vol_b.headers)
    assert refused.status_code == 403 and "someone else's" in refused.json["error"]
    asked = client.post(f"/api/v1/clips/{clip['id']}/preview", headers=team.vol_a.headers)
    assert asked.status_code == 202, asked.json
    run_jobs(redis_url, ("render",))
    with sessions() as db:
        row = db.query(Render).filter_by(clip_id=clip["id"]).one()
        assert (row.status, row.storage_key, row.public_url) == ("preview", f"previews/{clip['id']}/landscape.mp4", "")
    assert ctx.store.keys(f"clips/{clip['id']}/") == []  # nothing under the public prefix
    for who in (team.vol_a, team.lead):
        [render] = client.get(f"/api/v1/clips/{clip['id']}", headers=who.headers).json["renders"]
        expires = int(parse_qs(urlparse(render["url"]).query)["expires"][0])
        assert time.time() < expires <= time.time() + 3600 + 5  # an hour, not the years a public render gets
        served = client.get(render["url"].removeprefix("http://localhost"))
        assert served.status_code == 200 and served.data == ctx.store.open(row.storage_key).read()
    [render] = client.get(f"/api/v1/clips/{clip['id']}", headers=team.vol_b.headers).json["renders"]
    assert render["status"] == "preview" and render["url"] is None
    listed = client.get("/api/v1/clips", headers=team.vol_b.headers).json["clips"]
    assert [r["url"] for c in listed for r in c["renders"]] == [None]


# --- 2. ownership -------------------------------------------------------------------------------------


def test_volunteers_change_and_submit_only_their_own_clips(client, team, rec, sessions) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.vol_a, rec)
    resp = client.patch(f"/api/v1/clips/{clip['id']}", headers=team.vol_b.headers,
                        json={"version": clip["version"], "title": "Bob's now"})
    assert resp.status_code == 403 and "someone else's" in resp.json["error"]
    resp = client.post(f"/api/v1/clips/{clip['id']}/submit", headers=team.vol_b.headers,
                       json={"version": clip["version"]})
    assert resp.status_code == 403 and "someone else's" in resp.json["error"]
    kept = stored(sessions, clip["id"])
    assert (kept.title, kept.status, kept.version) == ("Hospital promise", "draft", clip["version"])
    assert events(sessions, "clip.updated", clip["id"]) == []
    # the owner and a social lead may
    mine = client.patch(f"/api/v1/clips/{clip['id']}", headers=team.vol_a.headers,
                        json={"version": clip["version"], "title": "Ann's fix"})
    assert mine.status_code == 200, mine.json
    lead = client.patch(f"/api/v1/clips/{clip['id']}", headers=team.lead.headers,
                        json={"version": mine.json["version"], "title": "Lead's fix"})
    assert lead.status_code == 200 and stored(sessions, clip["id"]).title == "Lead's fix"


def _fix_a_word(client, who, rid: int) -> None:  # type: ignore[no-untyped-def]
    resp = client.patch(f"/api/v1/recordings/{rid}/words/1", headers=who.headers, json={"text": "Minister"})
    assert resp.status_code == 200, resp.json


def test_only_leads_stop_or_rerun_a_transcription(client, team, rec, sessions) -> None:  # type: ignore[no-untyped-def]
    for path in ("transcription", "transcription/cancel"):
        resp = client.post(f"/api/v1/recordings/{rec}/{path}", headers=team.vol_a.headers)
        assert resp.status_code == 403 and "permission" in resp.json["error"]
    with sessions() as db:
        assert (db.get(Recording, rec).status, db.get(Recording, rec).cancel_requested) == ("ready", False)
    assert _job(client, team.lead.headers, f"transcribe-recording-{rec}") == "unknown"
    # a lead may re-run a transcript nobody has fixed
    resp = client.post(f"/api/v1/recordings/{rec}/transcription", headers=team.lead.headers)
    assert resp.status_code == 202 and _job(client, team.lead.headers, f"transcribe-recording-{rec}") == "queued"
    with sessions() as db:
        db.get(Recording, rec).status = "transcribing"
        db.commit()
    resp = client.post(f"/api/v1/recordings/{rec}/transcription/cancel", headers=team.lead.headers)
    assert resp.status_code == 202 and resp.json["cancel_requested"] is True


def test_a_rerun_never_silently_wipes_volunteers_word_fixes(client, team, rec, sessions, ctx) -> None:  # type: ignore[no-untyped-def]
    _fix_a_word(client, team.vol_a, rec)
    for who, body in ((team.lead, None), (team.lead, {"force": True}), (team.admin, None)):
        resp = client.post(f"/api/v1/recordings/{rec}/transcription", headers=who.headers, json=body)
        assert resp.status_code == 409, (who.email, body, resp.json)
        assert "fixed 1 word" in resp.json["error"] and "admin can force" in resp.json["error"]
    assert _job(client, team.lead.headers, f"transcribe-recording-{rec}") == "unknown"
    # a transcription job queued before the fix arrived leaves the fixed transcript alone too
    from workers.jobs.transcribe import transcribe_recording

    assert transcribe_recording(rec) == "kept word fixes"
    with sessions() as db:
        assert db.query(Word).filter(Word.recording_id == rec, Word.edited_text == "Minister").count() == 1
        assert db.get(Recording, rec).status == "ready"
    forced = client.post(f"/api/v1/recordings/{rec}/transcription", headers=team.admin.headers, json={"force": True})
    assert forced.status_code == 202, forced.json
    from rq.job import Job

    assert Job.fetch(f"transcribe-recording-{rec}", connection=ctx.redis).kwargs == {"discard_word_fixes": True}
    [event] = events(sessions, "transcription.rerun", rec)
    assert event.user_id == team.admin.id and event.detail == {"word_fixes_dropped": 1}


# --- 3. two people on every approval ------------------------------------------------------------------


def test_whoever_marked_a_clip_cannot_approve_it(client, team, rec, sessions) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.lead, rec, submit=True)
    resp = client.post(f"/api/v1/clips/{clip['id']}/approve", headers=team.lead.headers,
                       json={"version": clip["version"]})
    assert resp.status_code == 403 and "someone else must approve it" in resp.json["error"]
    assert stored(sessions, clip["id"]).status == "submitted"
    assert events(sessions, "clip.approved") == []
    other = client.post(f"/api/v1/clips/{clip['id']}/approve", headers=team.lead2.headers,
                        json={"version": clip["version"]})
    assert other.status_code == 200 and stored(sessions, clip["id"]).approved_by_id == team.lead2.id


def test_whoever_last_changed_a_clip_cannot_approve_it(client, team, rec, sessions) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.vol_a, rec, submit=True)
    fixed = client.patch(f"/api/v1/clips/{clip['id']}", headers=team.lead.headers,
                         json={"version": clip["version"], "title": "Hospital promise, fixed"})
    assert fixed.status_code == 200
    resp = client.post(f"/api/v1/clips/{clip['id']}/approve", headers=team.lead.headers,
                       json={"version": fixed.json["version"]})
    assert resp.status_code == 403 and "You last changed this clip" in resp.json["error"]
    assert stored(sessions, clip["id"]).status == "submitted"
    ok = client.post(f"/api/v1/clips/{clip['id']}/approve", headers=team.lead2.headers,
                     json={"version": fixed.json["version"]})
    assert ok.status_code == 200 and ok.json["title"] == "Hospital promise, fixed"


def test_an_admin_may_approve_their_own_clip_and_it_is_recorded(client, team, rec, sessions) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.admin, rec, submit=True)
    resp = client.post(f"/api/v1/clips/{clip['id']}/approve", headers=team.admin.headers,
                       json={"version": clip["version"]})
    assert resp.status_code == 200, resp.json
    [event] = events(sessions, "clip.approved", clip["id"])
    assert event.user_id == team.admin.id and event.detail["admin_override"] == "approved by an admin who marked it"


def test_the_review_page_says_why_a_lead_cannot_approve_their_own_clip(client, ctx, team, rec, sessions) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.lead, rec, submit=True)
    log_in(client, team.lead.email)
    resp = post_form(client, f"/review/{clip['id']}", {"decision": "approve", "version": clip["version"]},
                     follow_redirects=True)
    assert "someone else must approve it" in resp.get_data(as_text=True)
    assert stored(sessions, clip["id"]).status == "submitted"


# --- 17. a failed render is shown, and leads can render it again --------------------------------------


def test_a_failed_render_shows_its_error_and_leads_render_it_again(client, team, rec, sessions, redis_url) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.vol_a, rec, submit=True)  # the recording's original is not in storage
    assert client.post(f"/api/v1/clips/{clip['id']}/approve", headers=team.lead.headers,
                       json={"version": clip["version"]}).status_code == 200
    run_jobs(redis_url, ("render",))
    error = "original file is no longer in storage"
    with sessions() as db:
        assert db.query(Render).filter_by(clip_id=clip["id"]).one().status == "failed"

    log_in(client, team.vol_a.email)
    page = client.get("/clips/mine").get_data(as_text=True)
    assert "Render failed" in page and error in page
    assert f"/review/{clip['id']}/render" not in page  # volunteers are not offered it ...
    assert post_form(client, f"/review/{clip['id']}/render").status_code == 403  # ... nor allowed

    lead = client.application.test_client()
    log_in(lead, team.lead.email)
    for path in ("/review", "/clips"):
        page = lead.get(path).get_data(as_text=True)
        assert error in page and f'action="/review/{clip["id"]}/render"' in page and "Render again" in page
    assert _job(lead, team.lead.headers, f"render-clip-{clip['id']}") == "finished"
    resp = post_form(lead, f"/review/{clip['id']}/render", follow_redirects=True)
    assert "queued to render again" in resp.get_data(as_text=True)
    assert _job(lead, team.lead.headers, f"render-clip-{clip['id']}") == "queued"
    assert [e.user_id for e in events(sessions, "clip.render_requested", clip["id"])] == [team.lead.id]


def test_render_again_is_only_for_approved_clips(client, team, rec, sessions) -> None:  # type: ignore[no-untyped-def]
    clip = mark(client, team.vol_a, rec, submit=True)
    log_in(client, team.lead.email)
    resp = post_form(client, f"/review/{clip['id']}/render")
    assert resp.status_code == 409 and "only when it is approved" in resp.get_data(as_text=True)
    with sessions() as db:
        assert db.get(Clip, clip["id"]).renders == []

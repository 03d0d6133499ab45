"""Volunteers delete their own draft clips; admins delete a recording with everything made from it, after a
confirmation, recorded in the event log; the air date is given on add and edit and fills the list's column."""

from __future__ import annotations

import html
import io
import re

from sqlalchemy import func, select

from clipper.models import Clip, Event, Recording, Render, Segment, Word
from clipper.recordings import save_transcript
from tests.conftest import make_user
from tests.web.forms import logged_in, post_form
from tests.web.test_recording_page import _transcript


def _recording(ctx, created_by_id: int | None = None, title: str = "Evening news") -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        rec = Recording(title=title, status="ready", duration=30.0, created_by_id=created_by_id,
                        probe={"fps": 25.0, "width": 640, "height": 360, "has_video": True})
        db.add(rec)
        db.flush()
        rec.original_key = f"recordings/{rec.id}/original.mp4"
        rec.proxy_key = f"recordings/{rec.id}/proxy.mp4"
        save_transcript(db, rec, _transcript())
        db.commit()
        ctx.store.put_bytes(rec.original_key, b"original bytes")
        ctx.store.put_bytes(rec.proxy_key, b"proxy bytes")
        return rec.id


def _clip(ctx, rid: int, user_id: int, status: str = "draft", title: str = "Draft") -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        clip = Clip(recording_id=rid, start=1.0, end=3.0, title=title, status=status, created_by_id=user_id)
        db.add(clip)
        db.flush()
        db.add(Render(clip_id=clip.id, preset="landscape", status="preview",
                      storage_key=f"clips/{clip.id}/landscape.mp4"))
        db.commit()
        ctx.store.put_bytes(f"clips/{clip.id}/landscape.mp4", b"preview bytes")
        return clip.id


def _exists(ctx, model, row_id: int) -> bool:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        return db.get(model, row_id) is not None


def test_a_volunteer_deletes_their_own_draft_and_nothing_else(client, ctx) -> None:  # type: ignore[no-untyped-def]
    me = logged_in(client, ctx, "volunteer")
    other, other_token = make_user(ctx, "other@example.org")
    rid = _recording(ctx)
    draft = _clip(ctx, rid, me.id, title="My draft")
    submitted = _clip(ctx, rid, me.id, status="submitted", title="Sent for review")
    theirs = _clip(ctx, rid, other.id, title="Their draft")

    page = html.unescape(client.get("/clips/mine").get_data(as_text=True))
    assert f'action="/clips/{draft}/delete"' in page and f'action="/clips/{submitted}/delete"' not in page
    assert f'action="/clips/{theirs}/delete"' not in html.unescape(client.get("/clips").get_data(as_text=True))

    gone = post_form(client, f"/clips/{draft}/delete", follow_redirects=True)
    assert gone.status_code == 200 and "Deleted the draft “My draft”" in html.unescape(gone.get_data(as_text=True))
    assert not _exists(ctx, Clip, draft) and not ctx.store.exists(f"clips/{draft}/landscape.mp4")

    refused = post_form(client, f"/clips/{submitted}/delete")
    assert refused.status_code == 409 and "only draft or rejected clips" in refused.get_data(as_text=True)
    assert post_form(client, f"/clips/{theirs}/delete").status_code == 403
    assert _exists(ctx, Clip, submitted) and _exists(ctx, Clip, theirs)
    assert ctx.store.exists(f"clips/{theirs}/landscape.mp4")

    # the API does the same for scripts
    api = client.application.test_client()
    headers = {"Authorization": f"Bearer {other_token}"}
    assert api.delete(f"/api/v1/clips/{submitted}", headers=headers).status_code == 403
    assert api.delete(f"/api/v1/clips/{theirs}", headers=headers).status_code == 204
    assert not _exists(ctx, Clip, theirs)
    with ctx.sessions() as db:
        deleted = db.scalars(select(Event).where(Event.action == "clip.deleted").order_by(Event.id)).all()
        assert [(e.target_id, e.user_id, e.detail["title"]) for e in deleted] == [
            (draft, me.id, "My draft"), (theirs, other.id, "Their draft")]


def test_an_admin_deletes_a_recording_with_its_objects_after_confirming(client, ctx) -> None:  # type: ignore[no-untyped-def]
    admin = logged_in(client, ctx, "admin")
    vol, _ = make_user(ctx, "vol@example.org")
    rid = _recording(ctx, vol.id, title="Radio phone-in")
    clip = _clip(ctx, rid, vol.id)
    keep = _recording(ctx, vol.id, title="Another one")

    ask = html.unescape(client.get(f"/recordings/{rid}/delete").get_data(as_text=True))
    assert "Delete “Radio phone-in”?" in ask and "1 clip(s)" in ask and "3 stored file(s)" in ask
    assert f'href="/recordings/{rid}/delete"' in client.get(f"/recordings/{rid}").get_data(as_text=True)

    unconfirmed = post_form(client, f"/recordings/{rid}/delete")
    assert unconfirmed.status_code == 400 and _exists(ctx, Recording, rid)
    assert "Tick the box" in unconfirmed.get_data(as_text=True)

    done = post_form(client, f"/recordings/{rid}/delete", {"confirm": "delete"}, follow_redirects=True)
    assert done.status_code == 200
    assert "Deleted “Radio phone-in” with 1 clip(s) and 3 stored file(s)." in html.unescape(done.get_data(as_text=True))
    with ctx.sessions() as db:
        assert db.get(Recording, rid) is None and db.get(Clip, clip) is None
        assert not db.scalar(select(func.count()).select_from(Word).where(Word.recording_id == rid))
        assert not db.scalar(select(func.count()).select_from(Segment).where(Segment.recording_id == rid))
        event = db.scalar(select(Event).where(Event.action == "recording.deleted"))
        assert event.user_id == admin.id and event.target_id == rid and event.detail["title"] == "Radio phone-in"
        assert db.get(Recording, keep) is not None
    assert ctx.store.keys(f"recordings/{rid}/") == [] and ctx.store.keys(f"clips/{clip}/") == []
    assert ctx.store.exists(f"recordings/{keep}/original.mp4")
    audit = html.unescape(client.get("/review/audit").get_data(as_text=True))
    assert re.search(r'data-action="recording.deleted">.*?admin.*?deleted.*?“Radio phone-in”', audit, re.S), audit

    # a volunteer cannot, even for a recording they added
    volunteer = client.application.test_client()
    logged_in(volunteer, ctx, "volunteer", "third@example.org")
    assert post_form(volunteer, f"/recordings/{keep}/delete", {"confirm": "delete"}).status_code == 403
    assert _exists(ctx, Recording, keep)


def _aired_cell(page: str, rid: int) -> str:
    row = re.search(rf'<tr data-id="{rid}".*?</tr>', page, re.S).group(0)
    return re.search(r'data-label="Aired">([^<]*)<', row).group(1)


def test_the_air_date_is_given_on_add_and_edit_and_fills_the_list(client, ctx) -> None:  # type: ignore[no-untyped-def]
    me = logged_in(client, ctx, "volunteer")
    _, token = make_user(ctx, "script@example.org")
    api = client.application.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    added = api.post("/api/v1/recordings", headers=headers, content_type="multipart/form-data",
                     data={"file": (io.BytesIO(b"not really media"), "pmqs.mp4"), "title": "PMQs",
                           "aired_at": "2026-06-03T12:00"})
    assert added.status_code == 202, added.json
    assert added.json["aired_at"] == "2026-06-03T11:00:00Z"  # 12:00 in London in June is 11:00 UTC
    assert _aired_cell(client.get("/recordings").get_data(as_text=True), added.json["id"]) == "03 Jun 2026 12:00"

    with ctx.sessions() as db:
        before = db.scalar(select(func.count()).select_from(Recording))
    bad = api.post("/api/v1/recordings", headers=headers, content_type="multipart/form-data",
                   data={"file": (io.BytesIO(b"x"), "x.mp4"), "aired_at": "yesterday teatime"})
    assert bad.status_code == 400 and "not a date and time" in bad.json["error"]
    future = api.post("/api/v1/recordings", headers=headers, content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"x"), "x.mp4"), "aired_at": "2099-01-01T09:00"})
    assert future.status_code == 400 and "in the future" in future.json["error"]
    with ctx.sessions() as db:
        assert db.scalar(select(func.count()).select_from(Recording)) == before  # nothing half-made

    # the add page offers it, and the person who added a recording can set it later
    assert 'name="aired_at" type="datetime-local"' in client.get("/recordings/add").get_data(as_text=True)
    rid = _recording(ctx, me.id, title="Late news")
    assert _aired_cell(client.get("/recordings").get_data(as_text=True), rid) == ""
    assert f'href="/recordings/{rid}/edit"' in client.get(f"/recordings/{rid}").get_data(as_text=True)
    saved = post_form(client, f"/recordings/{rid}/edit", {"title": "Late news", "channel": "BBC One",
                                                          "programme": "News at Ten", "aired_at": "2026-11-20T22:00"})
    assert saved.status_code == 302
    page = client.get("/recordings").get_data(as_text=True)
    assert _aired_cell(page, rid) == "20 Nov 2026 22:00"  # GMT in November
    assert 'value="2026-11-20T22:00"' in client.get(f"/recordings/{rid}/edit").get_data(as_text=True)
    wrong = post_form(client, f"/recordings/{rid}/edit", {"title": "Late news", "aired_at": "20/11/2026"})
    assert wrong.status_code == 400 and "not a date and time" in wrong.get_data(as_text=True)
    with ctx.sessions() as db:
        assert db.get(Recording, rid).channel == "BBC One"  # the refused edit changed nothing
    # someone else's recording is not a volunteer's to edit
    theirs = _recording(ctx, None, title="Not mine")
    assert client.get(f"/recordings/{theirs}/edit").status_code == 403
    assert post_form(client, f"/recordings/{theirs}/edit", {"title": "Mine now"}).status_code == 403


def test_a_preview_queued_for_a_deleted_draft_does_nothing(client, ctx, redis_url) -> None:  # type: ignore[no-untyped-def]
    from rq.job import Job

    from tests.conftest import run_jobs
    from workers import queues
    from workers.redis import connect

    me = logged_in(client, ctx, "volunteer")
    draft = _clip(ctx, _recording(ctx), me.id)
    queues.enqueue_preview(connect(redis_url), draft)
    assert post_form(client, f"/clips/{draft}/delete").status_code == 302
    run_jobs(redis_url, ("render",))
    job = Job.fetch(f"preview-clip-{draft}", connection=connect(redis_url))
    assert job.get_status() == "finished" and job.return_value() == "deleted"
    assert ctx.store.keys(f"clips/{draft}/") == []


def test_deleting_a_recording_takes_its_rows_on_every_database(database_url: str) -> None:
    """One statement; the database's cascades (and the full-text index's triggers on SQLite) do the rest."""
    from clipper import search
    from clipper.recordings import delete_recording
    from tests.conftest import engine_for

    sessions = engine_for(database_url)
    with sessions() as db:
        keep, gone = (Recording(title=t, status="ready", duration=30.0) for t in ("Keep", "Gone"))
        db.add_all([keep, gone])
        db.flush()
        for rec in (keep, gone):
            save_transcript(db, rec, _transcript())
        clip = Clip(recording_id=gone.id, start=1.0, end=2.0, title="c")
        db.add(clip)
        db.flush()
        db.add(Render(clip_id=clip.id, preset="landscape"))
        db.commit()
        gone_id, keep_id = gone.id, keep.id
        delete_recording(db, gone)
        db.commit()
    with sessions() as db:
        for model in (Word, Segment):
            assert not db.scalar(select(func.count()).select_from(model).where(model.recording_id == gone_id))
        assert db.scalar(select(func.count()).select_from(Clip)) == 0
        assert db.scalar(select(func.count()).select_from(Render)) == 0
        found = search.search(db, "hospital")
        assert {h.recording_id for h in found.hits} == {keep_id}

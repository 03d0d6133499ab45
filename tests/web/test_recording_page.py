"""The recording page and its JSON: compact transcript words, saving clips with optimistic locking,
caption fixes that keep their timing, submitting for review, and bad input answered clearly."""

from __future__ import annotations

import json
import re

import pytest

from clipper.models import Clip, Recording, Word
from clipper.recordings import save_transcript
from clipper.transcript import Segment, Transcript
from clipper.transcript import Word as TWord
from tests.conftest import make_user
from tests.web.forms import log_in

SENTENCES = [("Anna Reed", "The minister said the new hospital will open next spring."),
             ("Anna Reed", "It will have four hundred beds."),
             ("Tom Hale", "We will not raise taxes on working people.")]


def _transcript() -> Transcript:
    """Words 0.4 s long with 0.1 s gaps; each sentence its own segment with a speaker."""
    segments, t = [], 1.0
    for speaker, sentence in SENTENCES:
        words = []
        for text in sentence.split():
            words.append(TWord(round(t, 3), round(t + 0.4, 3), text, 0.9))
            t += 0.5
        segments.append(Segment(words[0].start, words[-1].end, sentence, tuple(words), speaker))
        t += 1.0
    return Transcript("en", t + 1, tuple(segments))


@pytest.fixture
def recording(sessions) -> dict:
    with sessions() as db:
        rec = Recording(title="<script>alert('x')</script> Evening news", status="ready", duration=30.0,
                        probe={"fps": 25.0, "width": 640, "height": 360, "has_video": True},
                        original_key="recordings/1/original.mp4")
        db.add(rec)
        db.flush()
        save_transcript(db, rec, _transcript())
        db.commit()
        words = [(w.start, w.end, w.text) for w in db.query(Word).order_by(Word.idx)]
        return {"id": rec.id, "words": words}


def _clip(client, auth, rec, first: int, last: int, **extra) -> dict:
    words = rec["words"]
    resp = client.post(f"/api/v1/recordings/{rec['id']}/clips", headers=auth,
                       json={"start": words[first][0], "end": words[last][1], **extra})
    assert resp.status_code == 201, resp.json
    return resp.json


def test_page_shows_the_recording_and_never_runs_its_title(client, auth, recording, ctx) -> None:
    make_user(ctx, "page@example.org")
    assert log_in(client, "page@example.org").status_code == 302
    resp = client.get(f"/recordings/{recording['id']}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<script>alert(" not in html  # the title is escaped in the heading and in the JSON config
    assert "&lt;script&gt;alert(" in html
    config = json.loads(re.search(r'<script type="application/json" id="desk-config">(.*?)</script>', html, re.S)[1])
    assert config["recording"]["title"].startswith("<script>")
    assert config["recording"]["fps"] == 25.0
    assert config["recording"]["media"] and "/files/recordings/1/original.mp4" in config["recording"]["media"]
    assert config["recording"]["peaks"] is None  # no waveform yet: the timeline draws none


def test_page_needs_a_login(client, recording) -> None:
    resp = client.get(f"/recordings/{recording['id']}")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert client.get(f"/api/v1/recordings/{recording['id']}/words").status_code == 401


def test_words_come_as_compact_columns_with_speaker_turns(client, auth, recording, sessions) -> None:
    with sessions() as db:
        word = db.query(Word).filter_by(recording_id=recording["id"], idx=1).one()
        word.edited_text = "Prime"
        db.commit()
    data = client.get(f"/api/v1/recordings/{recording['id']}/words", headers=auth).json
    n = len(recording["words"])
    assert data["count"] == n and len(data["w"]) == n and len(data["s"]) == n and len(data["e"]) == n
    assert data["w"][:3] == ["The", "Prime", "said"]  # edits shown
    assert (data["s"][:2], data["e"][:2]) == ([1000, 1500], [1400, 1900])  # milliseconds
    assert data["seg"] == [0, 10, 16]
    assert data["spk"] == ["Anna Reed", "Anna Reed", "Tom Hale"]


def test_save_fix_and_submit_a_clip(client, auth, recording) -> None:
    words = recording["words"]
    clip = _clip(client, auth, recording, 4, 7, title="Hospital promise", tags="health, NHS, health",
                 caption_words=[{"start": words[5][0], "text": "hospitl"}])
    assert (clip["start"], clip["end"]) == (words[4][0], words[7][1])
    assert clip["caption_text"] == "new hospitl will open"
    assert clip["tags"] == ["health", "NHS"] and clip["version"] == 1 and clip["status"] == "draft"

    # fix the typo, then move the out point one word later: the fix and every timing are kept
    resp = client.patch(f"/api/v1/clips/{clip['id']}", headers=auth, json={
        "version": 1, "caption_words": [{"start": words[5][0], "text": "hospital"}], "end": words[8][1]})
    assert resp.status_code == 200, resp.json
    clip = resp.json
    assert clip["caption_text"] == "new hospital will open next" and clip["version"] == 2
    assert [(w["start"], w["end"]) for w in clip["caption_words"]] == [(s, e) for s, e, _ in words[4:9]]

    resp = client.post(f"/api/v1/clips/{clip['id']}/submit", headers=auth, json={"version": 2})
    assert resp.status_code == 200 and resp.json["status"] == "submitted"
    listed = client.get(f"/api/v1/recordings/{recording['id']}/clips", headers=auth).json["clips"]
    assert [(c["id"], c["status"]) for c in listed] == [(clip["id"], "submitted")]


def test_a_stale_save_is_refused_and_told_what_changed(client, auth, recording, ctx, sessions) -> None:
    clip = _clip(client, auth, recording, 0, 3, title="Original")
    _, other = make_user(ctx, "sam@example.org", "social_lead")  # a lead may fix anyone's clip
    other_auth = {"Authorization": f"Bearer {other}"}
    resp = client.patch(f"/api/v1/clips/{clip['id']}", headers=other_auth,
                        json={"version": 1, "title": "Sam's title", "end": recording["words"][4][1]})
    assert resp.status_code == 200 and resp.json["version"] == 2

    resp = client.patch(f"/api/v1/clips/{clip['id']}", headers=auth, json={"version": 1, "title": "Mine"})
    assert resp.status_code == 409
    body = resp.json
    assert "sam" in body["error"] and "title" in body["error"] and "out point" in body["error"]
    assert {c["field"]: c["now"] for c in body["changes"]} == {"title": "Sam's title", "end": recording["words"][4][1]}
    assert body["clip"]["version"] == 2
    with sessions() as db:
        assert db.get(Clip, clip["id"]).title == "Sam's title"  # nothing overwritten
    # submitting from the stale form is refused the same way
    assert client.post(f"/api/v1/clips/{clip['id']}/submit", headers=auth, json={"version": 1}).status_code == 409


@pytest.mark.parametrize(("body", "message"), [
    ({"start": 5.0, "end": 4.0}, "must be after its in point"),
    ({"start": 0.0, "end": 29.0, "title": "x"}, "longest allowed is 20 s"),
    ({"start": 1.0, "end": 2.0, "title": "t" * 5000}, "too long"),
    ({"start": 1.0, "end": 2.0, "tags": ["x" * 200]}, "too long"),
    ({"start": 1.0, "end": 2.0, "caption_words": [{"start": 1.0, "text": "   "}]}, "cannot be empty"),
    ({"start": "soon", "end": 2.0}, "number of seconds"),
    ({"start": 1.0, "end": 2.0, "version": "x"}, "whole number"),
])
def test_bad_edits_get_a_clear_message_and_change_nothing(client, auth, recording, app, sessions, body,
                                                          message) -> None:
    import dataclasses

    app.config["CLIPPER"] = dataclasses.replace(app.config["CLIPPER"], max_clip_seconds=20.0)
    clip = _clip(client, auth, recording, 0, 3, title="Keep me")
    resp = client.patch(f"/api/v1/clips/{clip['id']}", headers=auth, json={"version": 1, **body})
    assert resp.status_code == 400 and message in resp.json["error"], resp.json
    with sessions() as db:
        saved = db.get(Clip, clip["id"])
        assert (saved.title, saved.version, saved.start) == ("Keep me", 1, clip["start"])


def test_html_in_text_fields_is_kept_as_text(client, auth, recording) -> None:
    evil = '<img src=x onerror="alert(1)">'
    clip = _clip(client, auth, recording, 0, 2, title=evil, post_copy=evil, speaker=evil,
                 caption_words=[{"start": recording["words"][0][0], "text": evil}])
    assert clip["title"] == evil and clip["post_copy"] == evil and clip["caption_words"][0]["text"] == evil


def test_approved_clips_are_not_edited(client, auth, recording, sessions) -> None:
    clip = _clip(client, auth, recording, 0, 2, title="Done")
    with sessions() as db:
        db.get(Clip, clip["id"]).status = "approved"
        db.commit()
    resp = client.patch(f"/api/v1/clips/{clip['id']}", headers=auth, json={"version": 1, "title": "Late"})
    assert resp.status_code == 409 and "approved" in resp.json["error"]


def test_submitting_needs_a_title(client, auth, recording) -> None:
    clip = _clip(client, auth, recording, 0, 2)
    resp = client.post(f"/api/v1/clips/{clip['id']}/submit", headers=auth, json={"version": 1})
    assert resp.status_code == 400 and "title" in resp.json["error"]


def test_browser_sessions_need_the_csrf_token(client, recording, ctx) -> None:
    make_user(ctx, "csrf@example.org")
    assert log_in(client, "csrf@example.org").status_code == 302
    resp = client.post(f"/api/v1/recordings/{recording['id']}/clips", json={"start": 1.0, "end": 2.0})
    assert resp.status_code == 400 and "expired" in resp.json["error"]


def test_caption_fixes_are_checked_against_the_glossary(client, auth, recording, sessions) -> None:
    from clipper.models import GlossaryTerm

    with sessions() as db:
        db.add(GlossaryTerm(term="Keir Starmer", note="Leader"))
        db.commit()
    words = recording["words"]
    clip = _clip(client, auth, recording, 0, 2, caption_words=[{"start": words[1][0], "text": "Starmar"}])
    assert [(w["text"], w["start"]) for w in clip["caption_warnings"]] == [("Starmar", words[1][0])]
    assert "Starmer" in clip["caption_warnings"][0]["warnings"][0]
    fixed = client.patch(f"/api/v1/clips/{clip['id']}", headers=auth, json={
        "version": 1, "caption_words": [{"start": words[1][0], "text": "Starmer"}]}).json
    assert fixed["caption_warnings"] == [] and fixed["caption_text"] == "The Starmer said"


def test_desk_endpoints_on_each_database(database_url, tmp_path, redis_url) -> None:
    """The words query and the locked save on SQLite and (where configured) PostgreSQL."""
    from clipper.db import make_engine, make_sessionmaker
    from clipper.settings import Settings
    from web import create_app

    settings = Settings.from_env({}, data_dir=tmp_path / "db-data", database_url=database_url, secret_key="s",
                                 public_base_url="http://localhost")
    app = create_app(settings, redis_url)
    sessions = make_sessionmaker(make_engine(database_url))
    with sessions() as db:
        rec = Recording(title="db", status="ready", duration=30.0)
        db.add(rec)
        db.flush()
        save_transcript(db, rec, _transcript())
        from clipper.models import ApiToken, User

        user = User(email="db@example.org", name="db")
        db.add(user)
        db.flush()
        secret = ApiToken.new_secret()
        db.add(ApiToken(user_id=user.id, token_hash=ApiToken.hash(secret)))
        db.commit()
        rid = rec.id
    client, auth = app.test_client(), {"Authorization": f"Bearer {secret}"}
    data = client.get(f"/api/v1/recordings/{rid}/words", headers=auth).json
    assert data["w"][:2] == ["The", "minister"] and data["s"][1] == 1500 and data["seg"] == [0, 10, 16]
    clip = client.post(f"/api/v1/recordings/{rid}/clips", headers=auth, json={"start": 1.0, "end": 2.4}).json
    ok = client.patch(f"/api/v1/clips/{clip['id']}", headers=auth, json={"version": 1, "title": "A"})
    stale = client.patch(f"/api/v1/clips/{clip['id']}", headers=auth, json={"version": 1, "title": "B"})
    assert ok.status_code == 200 and stale.status_code == 409 and stale.json["changes"][0]["now"] == "A"


def _voices(sessions, rec) -> None:  # type: ignore[no-untyped-def]
    """The voices diarization would have stored for this recording's two speakers."""
    from sqlalchemy import update

    from clipper.models import RecordingSpeaker, Segment

    with sessions() as db:
        for n, name in enumerate(("Anna Reed", "Tom Hale"), start=1):
            db.execute(update(Segment).where(Segment.recording_id == rec["id"], Segment.speaker == name)
                       .values(speaker=f"Speaker {n}", speaker_label=f"Speaker {n}"))
            db.add(RecordingSpeaker(recording_id=rec["id"], label=f"Speaker {n}", seconds=5.0,
                                    embedding=[1.0, 0.0] if n == 1 else [0.0, 1.0]))
        db.commit()


def test_naming_a_speaker_names_every_turn_and_the_clip_strap(client, auth, recording, sessions) -> None:
    from clipper.models import Person, Voice

    _voices(sessions, recording)
    with sessions() as db:
        db.add(Person(name="Anna Reed", role="Health Secretary"))
        db.commit()
        person_id = db.query(Person).one().id
    page = client.get(f"/recordings/{recording['id']}", headers=auth)
    assert b"Speaker 1" in page.data and b'name="person_id"' in page.data

    bad = client.post(f"/api/v1/recordings/{recording['id']}/speakers", headers=auth, json={"label": "Speaker 7"})
    assert bad.status_code == 404 and "Speaker 7" in bad.json["error"]
    bad = client.post(f"/api/v1/recordings/{recording['id']}/speakers", headers=auth,
                      json={"label": "Speaker 1", "person_id": "3; drop"})
    assert bad.status_code == 400 and "People" in bad.json["error"]

    named = client.post(f"/api/v1/recordings/{recording['id']}/speakers", headers=auth,
                        json={"label": "Speaker 1", "person_id": person_id})
    assert named.status_code == 200 and named.json["name"] == "Anna Reed"
    cols = client.get(f"/api/v1/recordings/{recording['id']}/words", headers=auth).json
    assert cols["spk"] == ["Anna Reed", "Anna Reed", "Speaker 2"]  # both turns of that voice
    found = client.get("/api/v1/search?q=beds&speaker=Anna+Reed", headers=auth).json
    assert found["hits"] and found["hits"][0]["segment"]["speaker"] == "Anna Reed"
    with sessions() as db:
        assert db.query(Voice).one().person_id == person_id  # enrolled for later recordings

    words = recording["words"]
    clip = _clip(client, auth, recording, 2, 6)  # no speaker typed: the turn's named speaker is the strap
    assert clip["speaker"] == "Anna Reed"
    other = _clip(client, auth, recording, len(words) - 3, len(words) - 1)
    assert other["speaker"] == ""  # "Speaker 2" is not a name to put on a strap


def test_the_page_form_names_a_speaker(client, auth, recording, sessions) -> None:
    _voices(sessions, recording)
    resp = client.post(f"/recordings/{recording['id']}/speakers", headers=auth,
                       data={"label": "Speaker 2", "name": "  Tom   Hale ", "person_id": ""})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/recordings/{recording['id']}#speakers")
    cols = client.get(f"/api/v1/recordings/{recording['id']}/words", headers=auth).json
    assert cols["spk"] == ["Speaker 1", "Speaker 1", "Tom Hale"]
    page = client.get(f"/recordings/{recording['id']}", headers=auth)
    assert b'value="Tom Hale"' in page.data

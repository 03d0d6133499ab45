"""The thin path through every stage, through the API, a real Redis and a real worker."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from tests.conftest import make_user, run_jobs
from tests.media import have, speech_video

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]


@pytest.fixture(scope="module")
def speech_mp4(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech_video(tmp_path_factory.mktemp("media") / "speech.mp4")


def test_upload_is_ingested_and_transcribed(client, auth, redis_url, speech_mp4: Path) -> None:
    with speech_mp4.open("rb") as fh:
        resp = client.post("/api/v1/recordings", headers=auth,
                           data={"title": "Evening news", "file": (fh, "news.mp4")})
    assert resp.status_code == 202, resp.json
    rid = resp.json["id"]
    assert resp.json["status"] == "queued"
    run_jobs(redis_url)
    rec = client.get(f"/api/v1/recordings/{rid}", headers=auth).json
    assert rec["status"] == "ready", rec
    assert 15 < rec["duration"] < 30
    transcript = client.get(f"/api/v1/recordings/{rid}/transcript", headers=auth).json
    text = " ".join(w["text"] for s in transcript["segments"] for w in s["words"]).lower()
    assert "hospital" in text and "taxes" in text
    for s in transcript["segments"]:
        for w in s["words"]:
            assert 0 <= w["start"] <= w["end"] <= rec["duration"] + 0.05


def test_text_file_is_refused_with_a_clear_message(client, auth, redis_url) -> None:
    resp = client.post("/api/v1/recordings", headers=auth,
                       data={"file": (io.BytesIO(b"hello, this is not a video\n" * 10), "clip.mp4")})
    rid = resp.json["id"]
    run_jobs(redis_url)
    rec = client.get(f"/api/v1/recordings/{rid}", headers=auth).json
    assert rec["status"] == "failed"
    assert "not a video or audio file" in rec["error"]


def test_thin_path_renders_a_captioned_clip_of_the_marked_words(client, auth, redis_url, ctx, speech_mp4: Path,
                                                                  tmp_path: Path) -> None:
    from clipper.probe import probe

    with speech_mp4.open("rb") as fh:
        rid = client.post("/api/v1/recordings", headers=auth, data={"file": (fh, "news.mp4")}).json["id"]
    run_jobs(redis_url)
    words = [w for s in client.get(f"/api/v1/recordings/{rid}/transcript", headers=auth).json["segments"]
             for w in s["words"]]
    chosen = words[3:11]
    start, end = chosen[0]["start"], chosen[-1]["end"]
    resp = client.post("/api/v1/clips", headers=auth,
                       json={"recording_id": rid, "start": start, "end": end, "title": "Hospital", "presets": ["landscape"]})
    assert resp.status_code == 201, resp.json
    cid = resp.json["id"]
    assert [w["text"] for w in resp.json["caption_words"]] == [w["text"] for w in chosen]
    # the thin path goes through review: the volunteer submits, a social lead approves, the renders follow
    sent = client.post(f"/api/v1/clips/{cid}/submit", headers=auth, json={"version": resp.json["version"]})
    assert sent.status_code == 200, sent.json
    lead = {"Authorization": f"Bearer {make_user(ctx, 'lead@example.org', 'social_lead')[1]}"}
    approved = client.post(f"/api/v1/clips/{cid}/approve", headers=lead, json={"version": sent.json["version"]})
    assert approved.status_code == 200, approved.json
    run_jobs(redis_url)
    clip = client.get(f"/api/v1/clips/{cid}", headers=auth).json
    (render,) = clip["renders"]
    assert render["status"] == "done", render
    out = ctx.store.get_file(render["storage_key"], tmp_path / "out.mp4")
    info = probe(out, trusted=True)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert abs(info.duration - (end - start)) <= 1 / 25 + 0.03  # within one frame (plus AAC padding)
    assert render["url"] and render["sha256"] and render["size"] == out.stat().st_size
    # the burned-in captions come from the same events as the SRT sidecar: the transcript's words in range
    from clipper.models import Render

    with ctx.sessions() as db:
        srt_key = db.get(Render, render["id"]).srt_key
    srt = ctx.store.get_file(srt_key, tmp_path / "c.srt").read_text()
    caption_words = " ".join(line for line in srt.splitlines() if line and not line[0].isdigit()).split()
    assert [w.strip(".,").lower() for w in caption_words] == [w["text"].strip(".,").lower() for w in chosen]

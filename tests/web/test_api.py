"""The JSON API: auth, bad input with clear messages, and nothing half-made."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest

from clipper.models import Recording
from tests.conftest import run_jobs
from tests.media import JFK, test_video


def _upload(client, auth, data: bytes | Path, name: str = "file.mp4") -> dict:
    fh = io.BytesIO(data) if isinstance(data, bytes) else data.open("rb")
    resp = client.post("/api/v1/recordings", headers=auth, data={"title": "t", "file": (fh, name)})
    assert resp.status_code == 202, resp.json
    return resp.json


def test_api_needs_a_token(client) -> None:
    resp = client.get("/api/v1/recordings")
    assert resp.status_code == 401
    assert "API token" in resp.json["error"]
    assert client.get("/api/v1/recordings", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_healthz_reports_database_and_redis(client) -> None:
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}}


def test_zero_length_file_fails_with_a_message(client, auth, redis_url) -> None:
    rid = _upload(client, auth, b"")["id"]
    run_jobs(redis_url)
    rec = client.get(f"/api/v1/recordings/{rid}", headers=auth).json
    assert rec["status"] == "failed" and "empty" in rec["error"]


def test_truncated_video_fails_and_nothing_is_kept_as_original(client, auth, redis_url, tmp_path, ctx) -> None:
    video = test_video(tmp_path / "v.mp4", seconds=2)
    rid = _upload(client, auth, video.read_bytes()[: video.stat().st_size // 2])["id"]
    run_jobs(redis_url)
    rec = client.get(f"/api/v1/recordings/{rid}", headers=auth).json
    assert rec["status"] == "failed" and "incomplete" in rec["error"]
    assert not any(k.startswith(f"recordings/{rid}/original") for k in ctx.store.keys())


def test_missing_file_and_bad_json_get_400(client, auth) -> None:
    resp = client.post("/api/v1/recordings", headers=auth, data={"title": "no file"})
    assert resp.status_code == 400 and "'file'" in resp.json["error"]
    resp = client.post("/api/v1/clips", headers=auth, json={"start": 1, "end": 2})
    assert resp.status_code == 400 and "recording_id" in resp.json["error"]
    resp = client.post("/api/v1/clips", headers=auth, json={"recording_id": 12345, "start": 1, "end": 2})
    assert resp.status_code == 404


@pytest.mark.slow
def test_audio_only_recording_is_valid_and_bad_clips_are_refused(client, auth, redis_url, tmp_path, sessions) -> None:
    audio = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(audio), "Ask not what your country can do for you."], check=True)
    rid = _upload(client, auth, audio, "speech.wav")["id"]
    run_jobs(redis_url)
    rec = client.get(f"/api/v1/recordings/{rid}", headers=auth).json
    assert rec["status"] == "ready" and rec["probe"]["has_video"] is False
    for body, message in [({"start": 2, "end": 1}, "must be after its in point"),
                          ({"start": 0, "end": rec["duration"] + 5}, "recording is only")]:
        resp = client.post("/api/v1/clips", headers=auth, json={"recording_id": rid, **body})
        assert resp.status_code == 400 and message in resp.json["error"]
    with sessions() as db:
        assert db.get(Recording, rid).status == "ready"  # the refused clips changed nothing
    assert client.get("/api/v1/clips", headers=auth).json["clips"] == []


@pytest.mark.slow
@pytest.mark.skipif(not JFK.exists(), reason="../shared/data is not present")
def test_jfk_transcript_has_the_famous_line_with_words_inside_the_file(client, auth, redis_url) -> None:
    rid = _upload(client, auth, JFK, "jfk.flac")["id"]
    run_jobs(redis_url)
    transcript = client.get(f"/api/v1/recordings/{rid}/transcript", headers=auth).json
    words = [w for s in transcript["segments"] for w in s["words"]]
    text = " ".join(w["text"].strip(",.").lower() for w in words)
    assert "ask not what your country can do for you" in text
    assert all(0 <= w["start"] <= w["end"] <= 11.0 for w in words)

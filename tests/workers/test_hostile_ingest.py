"""What a volunteer sees when a hostile file is added: the recording's (or its proxy's) error, in the API."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clipper.test_hostile_media import growing_mkv, many_tracks_mkv
from tests.conftest import run_jobs
from tests.media import test_video


def _add(client, auth, path: Path) -> int:  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        response = client.post("/api/v1/recordings", headers=auth, data={"file": (fh, "upload.mp4"), "title": "Upload"})
    assert response.status_code == 202, response.get_json()
    return response.get_json()["id"]


def _shown(client, auth, recording_id: int) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(f"/api/v1/recordings/{recording_id}", headers=auth)
    assert response.status_code == 200
    return response.get_json()


@pytest.mark.parametrize("make, error", [
    (lambda d: test_video(d / "fast.mp4", seconds=2, size="16x16", rate=1000),
     "The video has 1000 frames a second; at most 120 are accepted. "
     "Export it again at a normal frame rate (25 to 60) before adding it."),
    (lambda d: many_tracks_mkv(d / "tracks.mkv", 100_000),
     "The file has more than 16 streams (tracks or attachments); at most 16 are accepted."),
], ids=["1000fps", "100k-tracks"])
def test_a_hostile_upload_fails_with_a_message(client, auth, redis_url, tmp_path, make, error) -> None:  # type: ignore[no-untyped-def]
    recording_id = _add(client, auth, make(tmp_path))
    run_jobs(redis_url, ("ingest",))
    shown = _shown(client, auth, recording_id)
    assert (shown["status"], shown["error"]) == ("failed", error)
    assert shown["proxy"] == {"status": None, "error": None}  # nothing half-made


@pytest.mark.slow
def test_a_picture_growing_mid_file_fails_the_proxy_with_a_message(client, auth, redis_url, ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    recording_id = _add(client, auth, growing_mkv(tmp_path / "growing.mkv"))
    run_jobs(redis_url, ("ingest",))  # ingest (its first frames pass), then the proxy on the same queue
    shown = _shown(client, auth, recording_id)
    assert shown["status"] == "transcribing"  # the recording itself is kept; the proxy says what went wrong
    assert shown["proxy"] == {"status": "failed", "error": (
        "The video has pictures of 10000×10000 in it, larger than the largest Clipper accepts (7680×4320). "
        "Export it again at one size no larger than that.")}

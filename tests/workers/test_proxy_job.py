"""The proxy job: queued by ingest beside transcription, stores proxy/peaks/poster, and never fails a recording."""

from __future__ import annotations

import json

from rq import Queue

from clipper.models import Recording
from tests.conftest import run_jobs
from tests.media import test_video
from workers.jobs.proxy import make_proxy
from workers.redis import connect


def _add(client, auth, path) -> int:  # type: ignore[no-untyped-def]
    with open(path, "rb") as fh:
        response = client.post("/api/v1/recordings", headers=auth,
                               data={"file": (fh, "evening news.mp4"), "title": "Evening news"})
    assert response.status_code == 202
    return response.get_json()["id"]


def _recording(ctx, recording_id: int) -> Recording:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        return session.get(Recording, recording_id)


def test_ingest_queues_the_proxy_beside_transcription(client, auth, ctx, redis_url, tmp_path):  # type: ignore[no-untyped-def]
    recording_id = _add(client, auth, test_video(tmp_path / "news.mp4", seconds=3, size="640x360"))
    run_jobs(redis_url, ("ingest",))  # ingest, then the proxy on the same queue; transcription untouched

    transcribe = Queue("transcribe", connection=connect(redis_url))
    assert transcribe.job_ids == [f"transcribe-recording-{recording_id}"]  # queued first, still waiting
    rec = _recording(ctx, recording_id)
    assert rec.status == "transcribing" and rec.error == ""
    assert (rec.proxy_status, rec.proxy_error) == ("ready", "")
    prefix = f"recordings/{recording_id}"
    assert (rec.proxy_key, rec.peaks_key, rec.poster_key) == (
        f"{prefix}/proxy.mp4", f"{prefix}/peaks.json", f"{prefix}/poster.jpg")
    assert ctx.store.stat(rec.proxy_key).size > 1000
    assert ctx.store.path(rec.poster_key).read_bytes()[:3] == b"\xff\xd8\xff"
    assert abs(json.loads(ctx.store.path(rec.peaks_key).read_text())["length"] - 75) <= 2  # 3 s at 25 a second
    assert ctx.store.stat(rec.original_key).sha256 != ctx.store.stat(rec.proxy_key).sha256

    # Running it again overwrites the same keys rather than adding new ones.
    before = sorted(ctx.store.keys(prefix))
    assert make_proxy(recording_id) == "ready"
    assert sorted(ctx.store.keys(prefix)) == before


def test_a_failed_proxy_is_recorded_and_the_recording_stays_usable(client, auth, ctx, redis_url, tmp_path):  # type: ignore[no-untyped-def]
    recording_id = _add(client, auth, test_video(tmp_path / "news.mp4", seconds=2))
    run_jobs(redis_url, ("ingest",))
    with ctx.sessions() as session:
        rec = session.get(Recording, recording_id)
        rec.status = "ready"  # transcription finished meanwhile
        session.commit()
        original = ctx.store.path(rec.original_key)
    original.write_bytes(original.read_bytes()[:3000])  # the stored original is damaged

    assert make_proxy(recording_id) == "failed"
    rec = _recording(ctx, recording_id)
    assert rec.status == "ready" and rec.error == ""
    assert rec.proxy_status == "failed" and "truncated" in rec.proxy_error


def test_no_proxy_before_the_original_is_stored(ctx, client, auth, tmp_path):  # type: ignore[no-untyped-def]
    recording_id = _add(client, auth, test_video(tmp_path / "news.mp4", seconds=1))
    assert make_proxy(recording_id) == ""  # ingest has not run; nothing made, nothing failed
    rec = _recording(ctx, recording_id)
    assert (rec.status, rec.proxy_status, rec.proxy_key) == ("queued", "", "")

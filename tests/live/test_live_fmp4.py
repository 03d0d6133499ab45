"""A live HLS stream in fragmented MP4 (EXT-X-MAP): recorded into segments that each play alone (the
initialisation section, then the fragments), transcribed, joined into the original, previewed from its
segments, and played on the desk through a playlist that hands the player each part as HLS wants it."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from pathlib import Path

import pytest

from clipper import clips as clip_service
from clipper.models import LiveSegment, LiveSource, Recording, Render, User, Word
from clipper.speech.accuracy import word_error_rate
from tests.conftest import make_user, run_jobs
from tests.live.hls_server import LiveHLS
from tests.media import have
from tests.speech_data import BRIEFING, long_speech
from workers import queues
from workers.recorder import record

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, url_allowed_hosts=("127.0.0.1:*",))


def _seconds(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "json", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return float(json.loads(out)["format"]["duration"])


def test_a_fragmented_mp4_stream_is_recorded_transcribed_and_played(client, ctx, redis_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wav, text = long_speech(tmp_path / "speech.wav", BRIEFING[:3], gap=0.6)
    stream = LiveHLS(tmp_path / "hls", wav, fmp4=True).start()
    try:
        with ctx.sessions() as session:
            source = LiveSource(name="Parliament", url=stream.url, segment_seconds=6.0, active=True)
            lead = User(email="lead@example.org", role="social_lead")
            session.add_all([source, lead])
            session.commit()
            source_id = source.id
        assert record(ctx, source_id) == "ended"
    finally:
        stream.stop()
    with ctx.sessions() as session:
        rid = session.get(LiveSource, source_id).recording_id
        segments = session.query(LiveSegment).filter_by(recording_id=rid).order_by(LiveSegment.idx).all()
        assert len(segments) >= 2 and all(s.storage_key.endswith(".mp4") for s in segments)
        first = ctx.store.get_file(segments[0].storage_key, tmp_path / "first.mp4")
        assert _seconds(first) == pytest.approx(segments[0].duration, abs=0.2)  # a segment plays on its own

        # The desk's playlist: an EXT-X-MAP (the initialisation section) before each segment's fragments.
        token = {"Authorization": f"Bearer {make_user(ctx, 'vol@example.org')[1]}"}
        lines = client.get(f"/recordings/{rid}/live.m3u8", headers=token).get_data(as_text=True).splitlines()
        maps = [x.split('"')[1] for x in lines if x.startswith("#EXT-X-MAP:")]
        media = [x for x in lines if x and not x.startswith("#")]
        assert len(maps) == len(media) == len(segments) and lines[1] == "#EXT-X-VERSION:7"
        init = client.get(maps[0], headers=token).data
        fragments = client.get(media[0], headers=token).data
        assert init[4:8] == b"ftyp" and b"moov" in init and b"moof" not in init
        assert fragments[4:8] in (b"moof", b"styp") and b"moov" not in fragments[:4096]
        wrong = client.get(media[0].replace("part=media", "part=all"), headers=token)
        assert wrong.status_code == 400 and "part=init or part=media" in wrong.get_data(as_text=True)

    queues.enqueue_live_finish(ctx.redis, rid)
    run_jobs(redis_url, ("transcribe",))
    with ctx.sessions() as session:
        rec = session.get(Recording, rid)
        assert rec.status == "ready" and rec.original_key.endswith("original.mp4"), rec.error
        said = " ".join(w.display for w in session.query(Word).filter_by(recording_id=rid).order_by(Word.idx))
        original = ctx.store.get_file(rec.original_key, tmp_path / "original.mp4")
        assert _seconds(original) == pytest.approx(sum(s.duration for s in segments), abs=0.5)  # one playable file
        clip = clip_service.create_clip(session, rec, start=segments[0].end - 2.0, end=segments[0].end + 2.0,
                                        title="Across a seam", presets=["landscape"], created_by_id=lead.id)
        session.commit()
        clip_id = clip.id
    assert word_error_rate(text, said) < 0.15, said

    queues.enqueue_preview(ctx.redis, clip_id)  # cut from the two fragmented segments around it
    run_jobs(redis_url, ("render",))
    with ctx.sessions() as session:
        preview = session.query(Render).filter_by(clip_id=clip_id).one()
        assert preview.status == "preview", preview.error
        cut = ctx.store.get_file(preview.storage_key, tmp_path / "preview.mp4")
    assert 4.0 - 0.1 <= _seconds(cut) <= 4.0 + 1.1  # from the keyframe before its start

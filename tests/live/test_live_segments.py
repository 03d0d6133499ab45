"""Live transcription from stored segments: a segment that is not media is set aside with a message and
the rest transcribed; a worker killed mid-segment loses nothing and transcribes nothing twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clipper.live.recorder import SegmentFile
from clipper.models import LiveSegment, Recording, Word
from clipper.speech.accuracy import word_error_rate
from tests.conftest import run_jobs
from tests.media import have, speech_wav
from tests.test_cli import descendants, wait_for
from workers import queues
from workers.recorder import _store

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]
SAID = ("The council will repair the old bridge this summer.", "Nurses will get a fair pay rise next year.",
        "The railway line to the coast will reopen in May.", "Every school will have a new library soon.")


def _segment(text: str, dest: Path, seconds: float = 6.0) -> Path:
    wav = speech_wav(text, dest.with_suffix(".wav"))
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=160x120:rate=25:d={seconds}",
                    "-i", str(wav), "-af", f"apad=whole_dur={seconds}", "-t", str(seconds), "-c:v", "libx264",
                    "-preset", "ultrafast", "-c:a", "aac", "-f", "mpegts", str(dest)], check=True)
    return dest


def _live(ctx, files: list[Path | bytes]) -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        rec = Recording(title="Live", source="live", status="live")
        session.add(rec)
        session.flush()
        for i, f in enumerate(files):
            key = f"recordings/{rec.id}/live/{i:06d}.ts"
            if isinstance(f, bytes):
                ctx.store.put_bytes(key, f)
            else:
                ctx.store.put_file(key, f)
            session.add(LiveSegment(recording_id=rec.id, idx=i, start=6.0 * i, duration=6.0, storage_key=key,
                                    aired_at=datetime.now(UTC).replace(tzinfo=None)))
        rec.duration = 6.0 * len(files)
        session.commit()
        return rec.id


def _status(ctx, rid: int) -> str:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        return session.get(Recording, rid).status


def _said(ctx, rid: int) -> str:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        return " ".join(w.display for w in session.query(Word).filter_by(recording_id=rid).order_by(Word.idx))


def test_a_segment_that_is_not_media_is_set_aside_and_the_rest_transcribed(ctx, redis_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    good = [_segment(t, tmp_path / f"s{i}.ts") for i, t in enumerate(SAID[:2])]
    bad = tmp_path / "bad.ts"
    bad.write_bytes(b"<html>this is an error page, not video</html>" * 50)
    rid = _live(ctx, [])
    for i, path in enumerate((good[0], bad, good[1])):  # as the recorder stores what it finished
        _store(ctx, rid, SegmentFile(i, path, 6.0 * i, 6.0, 0.0, datetime.now(UTC)))
    queues.enqueue_live_finish(ctx.redis, rid)
    run_jobs(redis_url, ("transcribe",))
    with ctx.sessions() as session:
        rec = session.get(Recording, rid)
        segments = session.query(LiveSegment).filter_by(recording_id=rid).order_by(LiveSegment.idx).all()
        assert rec.status == "ready", rec.error
        assert [s.status for s in segments] == ["transcribed", "failed", "transcribed"]
        assert "not media" in segments[1].error and segments[1].storage_key == ""
        assert not ctx.store.exists(f"recordings/{rid}/live/000001.ts")
    assert word_error_rate(" ".join(SAID[:2]), _said(ctx, rid)) < 0.25  # 18 words: tiny.en may add a "Thank you."


def test_a_worker_killed_mid_segment_loses_and_doubles_nothing(ctx, redis_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = [_segment(t, tmp_path / f"s{i}.ts") for i, t in enumerate(SAID)]
    rid = _live(ctx, files[:3])
    s = ctx.settings
    env = {**os.environ, "CLIPPER_DATA_DIR": str(s.data_dir), "CLIPPER_DATABASE_URL": s.database_url,
           "CLIPPER_SECRET_KEY": s.secret_key, "CLIPPER_REDIS_URL": redis_url, "CLIPPER_STORAGE_URL": s.storage_url,
           "CLIPPER_WORKER_RECOVERY_SECONDS": "5"}

    def worker() -> subprocess.Popen:  # type: ignore[type-arg]
        return subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "transcribe"], env=env,
                                start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    first = worker()
    second = None
    try:
        queues.enqueue_live_transcription(ctx.redis, rid, 2)
        wait_for(lambda: ctx.redis.exists(f"clipper:live-transcribe:{rid}"), 120, "the job to take the recording")
        time.sleep(1.0)  # mid-way through decoding or recognising
        for pid in {first.pid, *descendants(first.pid)}:
            os.kill(pid, signal.SIGKILL)
        first.wait(10)
        # The stream goes on: the next segment is stored and queued, and another worker takes it.
        with ctx.sessions() as session:
            key = f"recordings/{rid}/live/000003.ts"
            ctx.store.put_file(key, files[3])
            session.add(LiveSegment(recording_id=rid, idx=3, start=18.0, duration=6.0, storage_key=key,
                                    aired_at=datetime.now(UTC).replace(tzinfo=None)))
            session.get(Recording, rid).duration = 24.0
            session.commit()
        second = worker()
        queues.enqueue_live_transcription(ctx.redis, rid, 3)
        queues.enqueue_live_finish(ctx.redis, rid)
        wait_for(lambda: _status(ctx, rid) in ("ready", "failed"), 240, "the recording to finish")
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
    assert _status(ctx, rid) == "ready"
    said = _said(ctx, rid)
    assert word_error_rate(" ".join(SAID), said) < 0.15, said
    assert len(said.split()) == pytest.approx(len(" ".join(SAID).split()), abs=2)  # nothing doubled


def test_a_checkpoint_inside_a_segment_reads_on_from_the_right_audio(ctx, redis_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Segments whose timestamps restart (each cut on its own, as after an encoder restart) and a checkpoint
    a moment after the third sentence: the fourth is heard, at its own time. Seeking in the joined
    segments by timestamp once landed in the wrong segment and lost it."""
    files = [_segment(t, tmp_path / f"s{i}.ts") for i, t in enumerate(SAID)]
    rid = _live(ctx, files)
    with ctx.sessions() as session:
        session.get(Recording, rid).transcribed_until = 16.0  # as if words up to here were stored
        session.commit()
    queues.enqueue_live_finish(ctx.redis, rid)
    run_jobs(redis_url, ("transcribe",))
    with ctx.sessions() as session:
        words = session.query(Word).filter_by(recording_id=rid).order_by(Word.idx).all()
        assert " ".join(w.display for w in words) == SAID[3]
        assert 17.5 < words[0].start < 19.0  # the sentence starts at 18 s

"""Speaker turns while a broadcast airs: a two-voice conversation stored in 6 s segments and transcribed
stretch by stretch as they arrive gets a speaker on every segment, the same label for the same voice
in every stretch (the recording's voices carry on between them), and two speakers in all."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from clipper.live.recorder import SegmentFile
from clipper.models import LiveSegment, Recording, Segment
from tests.conftest import run_jobs
from tests.media import have
from tests.speech_data import BRIEFING, conversation
from workers import queues
from workers.recorder import _store

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]


def test_live_turns_keep_each_voice_one_speaker_across_stretches(ctx, redis_url, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wav, truth = conversation(tmp_path / "talk.wav", BRIEFING[:6])
    folder = tmp_path / "segments"
    folder.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", "-b:a", "64k", "-f", "segment",
                    "-segment_time", "6", "-segment_format", "mpegts", str(folder / "s%03d.ts")], check=True)
    files = [f for f in sorted(folder.glob("s*.ts")) if f.stat().st_size > 4096]  # not the muxer's empty tail
    with ctx.sessions() as session:
        rec = Recording(title="Debate live", source="live", status="live")
        session.add(rec)
        session.commit()
        rid = rec.id
    at = 0.0
    for i, path in enumerate(files):  # as the recorder stores them, each transcribed as it lands
        seconds = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                        str(path)], capture_output=True, text=True, check=True).stdout)
        _store(ctx, rid, SegmentFile(i, path, round(at, 3), round(seconds, 3), 0.0, datetime.now(UTC)))
        at += seconds
        run_jobs(redis_url, ("transcribe",))
    queues.enqueue_live_finish(ctx.redis, rid)
    run_jobs(redis_url, ("transcribe",))
    with ctx.sessions() as session:
        rec = session.get(Recording, rid)
        assert rec.status == "ready" and rec.transcribed_chunks >= 2  # transcribed in more than one stretch
        assert session.query(LiveSegment).filter_by(recording_id=rid, status="transcribed").count() == len(files)
        rows = session.execute(select(Segment.start, Segment.end, Segment.speaker_label)
                               .where(Segment.recording_id == rid).order_by(Segment.idx)).all()
    voice_of: dict[str, str] = {}
    for start, end, label in rows:
        assert label, "every segment has a speaker"
        voice = max(truth, key=lambda t: min(end, t[1]) - max(start, t[0]))[2]  # the true turn it covers most
        assert voice_of.setdefault(label, voice) == voice, (label, voice, voice_of)  # one label, one voice
    assert sorted(voice_of) == ["Speaker 1", "Speaker 2"]

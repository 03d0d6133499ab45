"""Speaker turns where they are hard, through the real transcribe job: one voice reading for minutes (one
speaker, however long), and two people talking over each other (a turn for each, no word without a
speaker, no third speaker made of the two).

Real parts: espeak-ng voices (mixed with ffmpeg's amix where they overlap), the bundled tiny.en model,
the voice encoder, SQLite.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from clipper.models import Recording, RecordingSpeaker, Segment, Word
from clipper.settings import Settings
from clipper.speech.accuracy import word_error_rate
from tests.media import have
from tests.speech_data import BRIEFING, crosstalk, monologue
from workers.jobs.transcribe import transcribe_recording

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    # 60 s windows: four minutes go through the job as five chunks, each matched to the voices heard in
    # the ones before, as three hours go through it as eighteen 600 s chunks.
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost", whisper_threads=2, whisper_chunk_seconds=60.0)


def _recording(ctx, wav: Path) -> int:  # type: ignore[no-untyped-def]
    key = "recordings/1/original.wav"
    ctx.store.put_file(key, wav, content_type="audio/wav")
    with ctx.sessions() as db:
        rec = Recording(title="Interview", status="queued", duration=wav.stat().st_size / 32000, original_key=key)
        db.add(rec)
        db.commit()
        return rec.id


def _said(ctx, rid: int) -> tuple[list[tuple[float, float, str, str]], list[str], int]:  # type: ignore[no-untyped-def]
    """(start, end, speaker label, text) of every segment, the recording's speakers, and how many stored
    words have no segment with a speaker."""
    with ctx.sessions() as db:
        segments = [tuple(r) for r in db.execute(select(Segment.start, Segment.end, Segment.speaker_label, Segment.text)
                                                  .where(Segment.recording_id == rid).order_by(Segment.idx))]
        speakers = list(db.scalars(select(RecordingSpeaker.label).where(RecordingSpeaker.recording_id == rid)))
        nobody = db.scalar(select(Word.id).outerjoin(Segment, Word.segment_id == Segment.id).limit(1)
                           .where(Word.recording_id == rid, func.coalesce(Segment.speaker_label, "") == ""))
    return segments, speakers, 0 if nobody is None else 1


def test_one_voice_for_minutes_is_one_speaker(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wav, text = monologue(tmp_path / "speech.wav", 240)
    rid = _recording(ctx, wav)

    assert transcribe_recording(rid) == "ready"

    segments, speakers, nobody = _said(ctx, rid)
    with ctx.sessions() as db:
        assert db.get(Recording, rid).transcribed_chunks >= 4
    assert speakers == ["Speaker 1"]
    assert {label for _, _, label, _ in segments} == {"Speaker 1"} and not nobody
    assert word_error_rate(text, " ".join(t for *_, t in segments)) < 0.2


def test_two_people_talking_over_each_other_each_get_their_turn(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The fourth sentence starts 1.8 s before the third ends (a high voice over a low one)."""
    wav, truth = crosstalk(tmp_path / "talk.wav", BRIEFING[:5], interrupt=3, overlap=1.8)
    over_start, over_end = truth[3][0], truth[2][1]  # both speak from the fourth's start to the third's end
    rid = _recording(ctx, wav)

    assert transcribe_recording(rid) == "ready"

    segments, speakers, nobody = _said(ctx, rid)
    assert not nobody  # no word is left with nobody, in the overlap or anywhere
    assert sorted(speakers) == ["Speaker 1", "Speaker 2"]  # the overlap is no third person
    voice_of: dict[str, str] = {}
    for start, end, label, _ in segments:  # away from the overlap, one label is one voice
        mine = [t for t in truth if t[0] - 0.5 <= start and end <= t[1] + 0.5]
        if len(mine) == 1 and not (start < over_end and end > over_start):
            assert voice_of.setdefault(label, mine[0][2]) == mine[0][2], (segments, truth)
    assert len(set(voice_of.values())) == 2, (segments, truth)
    low, high = truth[2][2], truth[3][2]
    label = {v: k for k, v in voice_of.items()}
    # Around the overlap: the low voice's turn runs into it, and the high voice's starts by its end.
    assert any(lab == label[low] and s < over_start < e for s, e, lab, _ in segments), (segments, truth)
    assert any(lab == label[high] and over_start - 0.5 <= s <= over_end + 0.5 for s, _, lab, _ in segments), \
        (segments, truth)

"""Recordings with long stretches and no speech, through the real transcribe job: twenty silent minutes
before anyone speaks, music and nothing else, and speech before and after music. Each one ends ready,
with every spoken word at its time and nothing invented where nobody speaks.

Real parts: espeak-ng speech, ffmpeg-made music (a tune, bass and drum in noise), the hardened ffmpeg
decode, silero VAD and the bundled tiny.en model, SQLite.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from clipper.models import Recording, Segment, Word
from clipper.settings import Settings
from clipper.speech.accuracy import word_error_rate
from tests.media import have
from tests.speech_data import BRIEFING, VOICES, conversation, music
from workers.jobs.transcribe import transcribe_recording

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]
NO_SPEECH = "No speech was found in this recording"


@pytest.fixture
def settings(request: pytest.FixtureRequest, tmp_path: Path, sqlite_url: str) -> Settings:
    """The test's settings; a test parametrized on ``settings`` says whether VAD is on."""
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost", whisper_threads=2,
                             whisper_vad=getattr(request, "param", True))


def _recording(ctx, source: Path) -> int:  # type: ignore[no-untyped-def]
    key = f"recordings/1/original{source.suffix}"
    ctx.store.put_file(key, source)
    duration = float(subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0",
                                     str(source)], check=True, capture_output=True, text=True).stdout)
    with ctx.sessions() as db:
        rec = Recording(title="Evening news", status="queued", duration=duration, original_key=key)
        db.add(rec)
        db.commit()
        return rec.id


def _words(ctx, rid: int) -> list[tuple[float, float, str, float, str]]:  # type: ignore[no-untyped-def]
    """(start, end, text, probability, speaker) of every stored word, in order."""
    with ctx.sessions() as db:
        return [tuple(r) for r in db.execute(
            select(Word.start, Word.end, Word.text, Word.probability, Segment.speaker)
            .join(Segment, Word.segment_id == Segment.id).where(Word.recording_id == rid).order_by(Word.idx))]


def _joined(dest: Path, *parts: Path) -> Path:
    inputs = [arg for p in parts for arg in ("-i", str(p))]
    streams = "".join(f"[{i}:a]aresample=16000[a{i}];" for i in range(len(parts)))
    subprocess.run(["ffmpeg", "-v", "error", "-y", *inputs, "-filter_complex",
                    streams + "".join(f"[a{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1[out]",
                    "-map", "[out]", "-ac", "1", str(dest)], check=True)
    return dest


def _check_turns(words, turns, text: str) -> None:  # type: ignore[no-untyped-def]
    """Every sentence's words where it was spoken (the first starting within 0.5 s of where it starts, the
    last ending in the 0.8 s before its audio ends: espeak-ng ends each with a little silence), no word
    outside a sentence, and the words right."""
    for start, end, *_ in words:
        assert any(a - 0.5 <= start and end <= b + 0.5 for a, b, _ in turns), (start, end, turns)
    for a, b, _ in turns:
        said = [w for w in words if a - 0.5 <= w[0] <= b + 0.5]
        assert said and abs(said[0][0] - a) <= 0.5 and b - 0.8 <= said[-1][1] <= b + 0.5, (said, a, b)
    assert word_error_rate(text, " ".join(w[2] for w in words)) < 0.15, words


def test_twenty_silent_minutes_then_speech(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Nobody speaks for 1200 s (two whole 600 s windows of digital silence), then three sentences."""
    speech, turns = conversation(tmp_path / "speech.wav", BRIEFING[:3], voices=VOICES[:1])
    source = tmp_path / "late.flac"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(speech), "-af", "adelay=1200000:all=1", str(source)],
                   check=True)
    rid = _recording(ctx, source)

    assert transcribe_recording(rid) == "ready"

    with ctx.sessions() as db:
        rec = db.get(Recording, rid)
        assert (rec.status, rec.error, rec.progress) == ("ready", "", 1.0)
        assert rec.transcribed_chunks == 3  # the job went through each 600 s window
    words = _words(ctx, rid)
    assert words and words[0][0] >= 1200.0
    _check_turns(words, [(a + 1200, b + 1200, v) for a, b, v in turns], " ".join(BRIEFING[:3]))


@pytest.mark.parametrize("settings", [True, False], ids=["vad", "no-vad"], indirect=True)
def test_music_alone_is_ready_with_no_words_and_says_so(ctx, client, auth, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Without VAD (a setting) Whisper hears the music and writes "." three times (measured): not words."""
    rid = _recording(ctx, music(tmp_path / "music.wav", 90))

    assert transcribe_recording(rid) == "ready"

    recording = client.get(f"/api/v1/recordings/{rid}", headers=auth).json
    assert recording["status"] == "ready" and recording["error"] is None
    transcript = client.get(f"/api/v1/recordings/{rid}/words", headers=auth).json
    assert transcript["count"] == 0, transcript["w"]
    assert transcript["note"].startswith(NO_SPEECH)  # what the recording page shows in the transcript's place


def test_speech_before_and_after_music_keeps_every_word(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A news item, a 30 s jingle, and the next item: the words of both items, none in the jingle."""
    first, first_turns = conversation(tmp_path / "first.wav", BRIEFING[:4])
    second, second_turns = conversation(tmp_path / "second.wav", BRIEFING[4:6])
    jingle = music(tmp_path / "jingle.wav", 30)
    offset = first.stat().st_size / 32000 + 30  # conversation() writes 16 kHz 16-bit mono
    rid = _recording(ctx, _joined(tmp_path / "news.wav", first, jingle, second))

    assert transcribe_recording(rid) == "ready"

    turns = first_turns + [(a + offset, b + offset, v) for a, b, v in second_turns]
    words = _words(ctx, rid)
    _check_turns(words, turns, " ".join(BRIEFING[:6]))
    assert all(speaker for *_, speaker in words)  # every word has its speaker

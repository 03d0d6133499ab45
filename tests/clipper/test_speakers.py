"""Speaker turns on a generated two-voice conversation (espeak-ng, known turns), through the real
transcribe job: two speakers, turns within 0.5 s of the truth, naming one voice names all its turns,
search by speaker finds them, and a voice named after a person is recognised in the next recording."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from clipper.models import Person, Recording, RecordingSpeaker, Segment, Voice
from clipper.search import Filters, search
from clipper.speakers import name_speaker
from tests.media import have
from tests.speech_data import BRIEFING, conversation
from workers.jobs.transcribe import transcribe_recording

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]


def _recording(ctx, wav: Path, n: int) -> int:  # type: ignore[no-untyped-def]
    key = f"recordings/{n}/original.wav"
    ctx.store.put_file(key, wav, content_type="audio/wav")
    with ctx.sessions() as db:
        rec = Recording(title=f"Debate {n}", status="queued", duration=wav.stat().st_size / 32000, original_key=key)
        db.add(rec)
        db.commit()
        return rec.id


def _turns(ctx, rid: int) -> list[tuple[float, float, str]]:  # type: ignore[no-untyped-def]
    """Consecutive segments of one voice, merged: the turns a volunteer sees."""
    with ctx.sessions() as db:
        rows = db.execute(select(Segment.start, Segment.end, Segment.speaker_label)
                          .where(Segment.recording_id == rid).order_by(Segment.idx)).all()
    turns: list[tuple[float, float, str]] = []
    for start, end, label in rows:
        assert label, "every segment has a speaker"
        if turns and turns[-1][2] == label:
            turns[-1] = (turns[-1][0], end, label)
        else:
            turns.append((start, end, label))
    return turns


def test_two_voices_get_two_speakers_named_once_and_found_by_search(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    wav, truth = conversation(tmp_path / "debate.wav", BRIEFING[:8])
    rid = _recording(ctx, wav, 1)
    assert transcribe_recording(rid) == "ready"

    turns = _turns(ctx, rid)
    assert len(turns) == len(truth), (turns, truth)
    voice_of: dict[str, str] = {}
    for (start, end, label), (t_start, t_end, voice) in zip(turns, truth, strict=True):
        assert abs(start - t_start) <= 0.5 and abs(end - t_end) <= 0.5, (turns, truth)
        assert voice_of.setdefault(label, voice) == voice  # one label, one voice
    assert sorted(voice_of) == ["Speaker 1", "Speaker 2"]

    second = next(label for label, voice in voice_of.items() if voice == truth[1][2])  # says "minister"
    with ctx.sessions() as db:
        db.add(Person(name="Jo Bloggs", role="Minister"))
        db.flush()
        person = db.scalar(select(Person))
        name_speaker(db, rid, second, person_id=person.id)
        db.commit()
        shown = db.execute(select(Segment.speaker_label, Segment.speaker).where(Segment.recording_id == rid)).all()
        assert {s for lab, s in shown if lab == second} == {"Jo Bloggs"}  # every turn of that voice
        assert all(s == lab for lab, s in shown if lab != second)
        hits = search(db, "minister", Filters(speaker="Jo Bloggs")).hits
        assert hits and all(h.speaker == "Jo Bloggs" and h.recording_id == rid for h in hits)
        assert not search(db, "minister", Filters(speaker="Speaker 9")).hits
        assert db.scalar(select(Voice.person_id)) == person.id  # naming after a person enrols the voice

    # The same two voices in a new recording: the enrolled one is recognised and named by itself.
    wav2, truth2 = conversation(tmp_path / "again.wav", BRIEFING[5:9])
    rid2 = _recording(ctx, wav2, 2)
    assert transcribe_recording(rid2) == "ready"
    with ctx.sessions() as db:
        speakers = db.scalars(select(RecordingSpeaker).where(RecordingSpeaker.recording_id == rid2)).all()
        assert len(speakers) == 2
        named = [s for s in speakers if s.name == "Jo Bloggs"]
        assert len(named) == 1 and named[0].person_id == person.id
        jo_voice = truth[1][2]
        said = db.execute(select(Segment.start, Segment.speaker).where(Segment.recording_id == rid2)).all()
    for start, speaker in said:
        turn = min(truth2, key=lambda t: abs(t[0] - start) if start >= t[0] - 0.5 else 99.0)
        assert (speaker == "Jo Bloggs") == (turn[2] == jo_voice), (said, truth2)


def test_a_stereo_recording_with_a_speaker_per_channel_uses_the_channels(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """One espeak voice for both people (their voices alone could not tell them apart), each on a channel."""
    import wave

    import numpy as np

    mono, truth = conversation(tmp_path / "mono.wav", BRIEFING[:4], voices=("en-us", "en-us"))
    with wave.open(str(mono)) as w:
        samples = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
    left, right = samples.copy(), samples.copy()
    for n, (start, end, _voice) in enumerate(truth):
        quiet = right if n % 2 == 0 else left  # the other person's microphone hears nothing
        quiet[int(start * 16000):int(end * 16000) + 1600] = 0
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.stack([left, right], axis=1).astype("<i2").tobytes())
    rid = _recording(ctx, stereo, 1)
    assert transcribe_recording(rid) == "ready"
    turns = _turns(ctx, rid)
    assert [t[2] for t in turns] == ["Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2"], (turns, truth)
    for (start, end, _), (t_start, t_end, _) in zip(turns, truth, strict=True):
        assert abs(start - t_start) <= 0.5 and abs(end - t_end) <= 0.5, (turns, truth)


def test_one_voice_is_one_speaker_and_every_word_has_one(tmp_path: Path) -> None:
    from clipper.speech import SpeechOptions, decode_audio, load_backend
    from clipper.speech.audio import read_pcm
    from clipper.speech.speakers import diarize

    wav, _ = conversation(tmp_path / "one.wav", BRIEFING[:6], voices=("en-us",))
    audio = read_pcm(decode_audio(wav, tmp_path / "one.pcm"))
    transcript = load_backend(SpeechOptions(threads=2)).transcribe_array(audio)
    segments, voices = diarize(audio, transcript.segments, 0.0, [])
    assert [v.label for v in voices] == ["Speaker 1"]
    assert {s.speaker for s in segments} == {"Speaker 1"}
    assert sum(len(s.words) for s in segments) == len(transcript.words)  # no word left with nobody

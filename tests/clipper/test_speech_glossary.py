"""The campaign glossary reaches the model: names it would otherwise mishear come out spelt as the glossary
spells them, on both backends and through the transcribe job."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from clipper import glossary
from clipper.models import Recording, Word
from clipper.speech import SpeechOptions, decode_audio, load_backend
from tests.media import have, speech_wav
from workers.jobs.transcribe import transcribe_recording

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]
SAID = "Tonight Keir Starmer and Kemi Badenoch clashed over the budget, while Ed Davey called for a vote."
NAMES = ("Keir Starmer", "Kemi Badenoch", "Ed Davey")


@pytest.fixture(scope="module")
def names_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return speech_wav(SAID, tmp_path_factory.mktemp("names") / "names.wav")


@pytest.mark.parametrize("backend", ["faster-whisper", "openai-whisper"])
def test_glossary_names_are_spelt_right(backend: str, names_wav: Path, tmp_path: Path,
                                        whisper_cache: Path) -> None:
    if backend == "openai-whisper":
        pytest.importorskip("whisper", reason="the openai-whisper extra is not installed")
    pcm = decode_audio(names_wav, tmp_path / "names.pcm")
    cache = str(whisper_cache)
    plain = load_backend(SpeechOptions(backend=backend, cache_dir=cache)).transcribe(str(pcm)).text
    told = load_backend(SpeechOptions(backend=backend, cache_dir=cache, glossary=NAMES)).transcribe(str(pcm)).text
    assert not all(name in plain for name in NAMES), plain  # without the glossary the model mishears them
    assert all(name in told for name in NAMES), told


def test_the_transcribe_job_uses_the_admins_glossary(ctx, names_wav: Path) -> None:  # type: ignore[no-untyped-def]
    ctx.store.put_file("recordings/1/original.wav", names_wav, content_type="audio/wav")
    with ctx.sessions() as db:
        glossary.replace_terms(db, [glossary.Entry(n) for n in NAMES])
        rec = Recording(title="Names", status="queued", duration=names_wav.stat().st_size / 44100,
                        original_key="recordings/1/original.wav")
        db.add(rec)
        db.commit()
        rid = rec.id
    assert transcribe_recording(rid) == "ready"
    with ctx.sessions() as db:
        words = db.scalars(select(Word.text).where(Word.recording_id == rid).order_by(Word.idx)).all()
    text = " ".join(words)
    assert all(name in text for name in NAMES), text

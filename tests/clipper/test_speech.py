"""Both Whisper backends on real speech: the JFK recording and espeak-ng speech with a known text."""

from __future__ import annotations

from pathlib import Path

import pytest

from clipper.speech import SpeechOptions, decode_audio, load_backend
from clipper.speech.accuracy import word_error_rate
from clipper.transcript import Transcript
from tests.media import JFK, have
from tests.speech_data import BRIEFING, JFK_TEXT, long_speech

pytestmark = pytest.mark.slow
needs_jfk = pytest.mark.skipif(not JFK.exists(), reason="../shared/data/jfk.flac is not here")
needs_espeak = pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")


@pytest.fixture(scope="session")
def openai_options(whisper_cache: Path) -> SpeechOptions:
    """openai-whisper on the bundled weights, converted once per test session."""
    pytest.importorskip("whisper", reason="the openai-whisper extra is not installed")
    return SpeechOptions(backend="openai-whisper", cache_dir=str(whisper_cache))


@pytest.fixture(scope="module")
def jfk_pcm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not JFK.exists():
        pytest.skip("../shared/data/jfk.flac is not here")
    return decode_audio(JFK, tmp_path_factory.mktemp("jfk") / "jfk.pcm")


@pytest.fixture(scope="module")
def briefing_pcm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    work = tmp_path_factory.mktemp("briefing")
    wav, text = long_speech(work / "briefing.wav", BRIEFING[:5])
    return decode_audio(wav, work / "briefing.pcm"), text


def _check_jfk(transcript: Transcript) -> None:
    text = transcript.text.lower()
    assert "ask not what your country can do for you" in text.replace(",", "")
    assert word_error_rate(JFK_TEXT, transcript.text) < 0.15
    words = transcript.words
    assert len(words) >= 20
    assert all(0.0 <= w.start <= w.end <= 11.1 for w in words)
    assert [w.start for w in words] == sorted(w.start for w in words)
    country = [w for w in words if w.text.lower().strip(".,") == "country"]
    assert len(country) == 2 and country[0].end < 7.5 < country[1].start  # "your country" twice, ~4 s apart


@needs_jfk
def test_faster_whisper_transcribes_jfk(jfk_pcm: Path) -> None:
    _check_jfk(load_backend(SpeechOptions()).transcribe(str(jfk_pcm)))


@needs_espeak
def test_faster_whisper_generated_speech_word_error_rate(briefing_pcm: tuple[Path, str]) -> None:
    pcm, text = briefing_pcm
    transcript = load_backend(SpeechOptions()).transcribe(str(pcm))
    assert word_error_rate(text, transcript.text) < 0.15, transcript.text


@needs_jfk
def test_openai_whisper_transcribes_jfk_on_converted_weights(jfk_pcm: Path, openai_options: SpeechOptions) -> None:
    _check_jfk(load_backend(openai_options).transcribe(str(jfk_pcm)))


@needs_espeak
def test_openai_whisper_generated_speech_word_error_rate(briefing_pcm: tuple[Path, str],
                                                         openai_options: SpeechOptions) -> None:
    pcm, text = briefing_pcm
    transcript = load_backend(openai_options).transcribe(str(pcm))
    assert word_error_rate(text, transcript.text) < 0.15, transcript.text


def test_progress_reaches_the_end(jfk_pcm: Path) -> None:
    seen: list[float] = []
    load_backend(SpeechOptions()).transcribe(str(jfk_pcm), seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == 1.0


def test_word_error_rate() -> None:
    assert word_error_rate("Ask not, what", "ask not what") == 0.0
    assert word_error_rate("one two three four", "one too three") == 0.5

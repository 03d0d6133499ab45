"""No word lost or doubled at window boundaries: a joined two-voice recording transcribed with windows of
60, 90, 120, 180, 300 and 600 s gives the words of one whole-file pass (real espeak-ng speech, tiny.en)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clipper.speech import SpeechOptions, decode_audio, load_backend
from clipper.speech.audio import pcm_duration
from clipper.speech.chunks import transcribe_chunks
from tests.media import have
from tests.speech_data import BRIEFING, conversation

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not have("espeak-ng"), reason="espeak-ng is installed by make test")]
WINDOWS = (60, 90, 120, 180, 300, 600)


@pytest.fixture(scope="module")
def joined(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 165 s: the briefing read three times, its sentences alternating between two voices."""
    work = tmp_path_factory.mktemp("joined")
    wav, _turns = conversation(work / "joined.wav", BRIEFING * 3)
    return decode_audio(wav, work / "joined.pcm")


def _words(pcm: Path, window: float) -> tuple[list[str], int]:
    backend = load_backend(SpeechOptions(threads=2))
    chunks = list(transcribe_chunks(backend, str(pcm), chunk_seconds=window))
    words = [re.sub(r"[^\w']", "", w.text.lower()) for c in chunks for s in c.segments for w in s.words]
    ends = [c.end for c in chunks]
    assert ends == sorted(ends) and [c.start for c in chunks[1:]] == ends[:-1]  # windows tile the recording
    return [w for w in words if w], len(chunks)


def test_every_window_size_gives_the_words_of_one_whole_file_pass(joined: Path) -> None:
    duration = pcm_duration(joined)
    assert 150 < duration < 240
    whole, count = _words(joined, 10 * duration)
    assert count == 1 and len(whole) > 300
    for window in WINDOWS:
        if window >= duration:  # one window holds it all: that is the whole-file pass itself
            continue
        words, count = _words(joined, window)
        assert count >= duration // window, window
        assert words == whole, (window, _diff(whole, words))


def _diff(a: list[str], b: list[str]) -> list[str]:
    import difflib

    return [f"{op} {a[i1:i2]} -> {b[j1:j2]}" for op, i1, i2, j1, j2 in
            difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if op != "equal"]

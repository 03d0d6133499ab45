"""What speech recognition returns: segments of timed words."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float = 1.0
    # Whisper's pieces of a displayed word ("o" + "'clock"), (start, end, text) each, kept for
    # word-by-word highlighting; empty when the word is one piece.
    pieces: tuple[tuple[float, float, str], ...] = ()


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    words: tuple[Word, ...] = ()
    speaker: str = ""


@dataclass(frozen=True)
class Transcript:
    language: str
    duration: float
    segments: tuple[Segment, ...] = field(default_factory=tuple)
    rechecks: int = 0  # suspect spans (a stretched word, a gap in a segment) transcribed again

    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments).strip()

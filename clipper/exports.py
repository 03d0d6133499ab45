"""A recording's transcript as SRT, WebVTT, plain text or word-level JSON, with volunteers' edits applied.

Words are read from the database in order, a segment at a time, and the output is produced as an
iterator of strings, so a three-hour transcript streams out without being held whole in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from clipper.captions import sidecar_text
from clipper.errors import InvalidInput
from clipper.glossary import Checker
from clipper.models import Recording, Segment, Word

CUE_CHARS = 84  # two lines of 42, the usual broadcast subtitle limit
LINE_CHARS = 42
CUE_SECONDS = 7.0


@dataclass(frozen=True)
class ExportWord:
    idx: int
    start: float
    end: float
    text: str  # what a viewer should read: the edit when there is one
    recognised: str
    probability: float
    pieces: tuple[tuple[float, float, str], ...] = ()  # Whisper's parts of a joined word, for highlighting


@dataclass(frozen=True)
class ExportSegment:
    idx: int
    start: float
    end: float
    speaker: str
    words: tuple[ExportWord, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words if w.text)


def segments(session: Session, recording_id: int) -> Iterator[ExportSegment]:
    """The recording's segments in order, words with edits applied, streamed from the database."""
    rows = session.execute(
        select(Segment.idx, Segment.start, Segment.end, Segment.speaker, Word.idx, Word.start, Word.end,
               Word.text, Word.edited_text, Word.probability, Word.pieces)
        .join(Word, Word.segment_id == Segment.id)
        .where(Segment.recording_id == recording_id)
        .order_by(Segment.idx, Word.idx)
        .execution_options(yield_per=2000)
    )
    current: tuple[int, float, float, str] | None = None
    words: list[ExportWord] = []
    for s_idx, s_start, s_end, speaker, w_idx, w_start, w_end, text, edited, prob, pieces in rows:
        if current is not None and current[0] != s_idx:
            yield ExportSegment(*current, words=tuple(words))
            words = []
        current = (s_idx, s_start, s_end, speaker or "")
        shown = " ".join((edited if edited is not None else text).split())  # no line breaks inside a cue
        words.append(ExportWord(w_idx, w_start, w_end, shown, text, prob,
                                tuple(tuple(p) for p in pieces or ()) if edited is None else ()))
    if current is not None:
        yield ExportSegment(*current, words=tuple(words))


def to_srt(segs: Iterable[ExportSegment]) -> Iterator[str]:
    for n, (start, end, lines) in enumerate(_cues(segs), 1):
        text = "\n".join(sidecar_text(line) for line in lines)  # a volunteer's edit cannot add tags or "-->"
        yield f"{n}\n{_stamp(start, ',')} --> {_stamp(end, ',')}\n{text}\n\n"


def to_vtt(segs: Iterable[ExportSegment]) -> Iterator[str]:
    yield "WEBVTT\n\n"
    for start, end, lines in _cues(segs):
        text = "\n".join(sidecar_text(line, vtt=True) for line in lines)
        yield f"{_stamp(start, '.')} --> {_stamp(end, '.')}\n{text}\n\n"


def to_text(segs: Iterable[ExportSegment]) -> Iterator[str]:
    for seg in segs:
        if seg.text:
            yield (f"{seg.speaker}: " if seg.speaker else "") + seg.text + "\n"


def to_json(recording: Recording, segs: Iterable[ExportSegment], checker: Checker | None = None) -> Iterator[str]:
    """``{"recording_id", "title", "language", "duration", "segments": [{..., "words": [...]}]}``.

    Each word carries ``text`` (edited), ``recognised``, timing, ``probability`` and ``warnings``
    (likely misspellings of glossary names).
    """
    head = {"recording_id": recording.id, "title": recording.title, "language": recording.language or None,
            "duration": recording.duration}
    yield json.dumps(head)[:-1] + ', "segments": ['
    for n, seg in enumerate(segs):
        words = [{"idx": w.idx, "start": w.start, "end": w.end, "text": w.text, "recognised": w.recognised,
                  "edited": w.text != w.recognised, "probability": w.probability,
                  "warnings": checker.warnings(w.text) if checker else [],
                  **({"pieces": [list(p) for p in w.pieces]} if w.pieces else {})} for w in seg.words]
        item = {"idx": seg.idx, "start": seg.start, "end": seg.end, "speaker": seg.speaker or None,
                "text": seg.text, "words": words}
        yield ("," if n else "") + json.dumps(item, ensure_ascii=False)
    yield "]}\n"


FORMATS = {
    "srt": "application/x-subrip; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
}


def export(session: Session, recording: Recording, fmt: str, checker: Checker | None = None) -> Iterator[str]:
    if fmt not in FORMATS:
        raise InvalidInput(f"Unknown transcript format {fmt!r}: use srt, vtt, txt or json.")
    segs = segments(session, recording.id)
    if fmt == "srt":
        return to_srt(segs)
    if fmt == "vtt":
        return to_vtt(segs)
    if fmt == "txt":
        return to_text(segs)
    return to_json(recording, segs, checker)


def _cues(segs: Iterable[ExportSegment]) -> Iterator[tuple[float, float, list[str]]]:
    """Caption cues: a segment's words split into cues of at most two short lines and ``CUE_SECONDS``."""
    for seg in segs:
        words = [w for w in seg.words if w.text]
        cue: list[ExportWord] = []
        for w in words:
            if cue and (len(" ".join(x.text for x in cue)) + 1 + len(w.text) > CUE_CHARS
                        or w.end - cue[0].start > CUE_SECONDS):
                yield cue[0].start, cue[-1].end, _lines(cue)
                cue = []
            cue.append(w)
        if cue:
            yield cue[0].start, cue[-1].end, _lines(cue)


def _lines(words: list[ExportWord]) -> list[str]:
    text = " ".join(w.text for w in words)
    if len(text) <= LINE_CHARS:
        return [text]
    best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(w.text for w in words[:i])) - len(text) / 2))
    return [" ".join(w.text for w in words[:best]), " ".join(w.text for w in words[best:])]


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, int(round(seconds * 1000)))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"

"""One recognition pass over an audio array, shared by both backends: VAD spans, then the guard.

A backend supplies ``decode(audio, offset) -> [Segment]``: Whisper on one stretch of contiguous audio
with no VAD of its own, words already joined (``clipper.speech.words``). Here the speech spans are
decoded one by one (``clipper.speech.spans``), and every segment is checked: a word longer than
``max_word`` seconds or a pause inside a segment longer than ``max_gap`` marks it suspect (words may
have vanished there, whatever the cause), and its audio is decoded again on its own — a fresh window
with no VAD and no context — and the reading with more words is kept. ``rechecks`` counts how often.
Segments with no word in them (punctuation or music notes alone: Whisper on music) are dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from clipper.speech.audio import SAMPLE_RATE
from clipper.speech.spans import Span, speech_spans
from clipper.speech.words import snap_to_speech, spoken, suspect
from clipper.transcript import Segment

log = logging.getLogger(__name__)

Decode = Callable[[np.ndarray, float], list[Segment]]
MAX_WORD_SECONDS = 2.0
MAX_GAP_SECONDS = 3.0
MARGIN = 0.3  # audio kept either side of a suspect segment when decoding it again


@dataclass(frozen=True)
class Recognised:
    segments: tuple[Segment, ...]
    rechecks: int


def recognise(decode: Decode, audio: np.ndarray, *, offset: float = 0.0, vad: bool = True,
              max_word: float = MAX_WORD_SECONDS, max_gap: float = MAX_GAP_SECONDS,
              on_progress: Callable[[float], None] | None = None,
              spans: list[Span] | None = None) -> Recognised:
    """Segments of ``audio`` (times ``offset`` seconds on); ``spans`` when the caller has found them."""
    duration = len(audio) / SAMPLE_RATE
    if spans is None:
        spans = speech_spans(audio) if vad else [Span(0.0, duration)]
    out: list[Segment] = []
    rechecks = 0
    for span in spans:
        a, b = _samples(span.start, duration), _samples(span.end, duration)
        if b - a < SAMPLE_RATE // 10:
            continue
        speech = [(offset + x, offset + y) for x, y in span.speech]
        for seg in decode(audio[a:b], offset + a / SAMPLE_RATE):
            if suspect(seg, max_word=max_word, max_gap=max_gap):
                rechecks += 1
                found = _again(decode, audio, seg, offset=offset, duration=duration)
            else:
                found = [seg]
            out += [snap_to_speech(s, speech) for s in found if spoken(s)]
        if on_progress and duration:
            on_progress(min(1.0, span.end / duration))
    if on_progress:
        on_progress(1.0)
    return Recognised(tuple(sorted(out, key=lambda s: s.start)), rechecks)


def _again(decode: Decode, audio: np.ndarray, seg: Segment, *, offset: float, duration: float) -> list[Segment]:
    """``seg`` decoded again from its own audio; the reading with more words wins."""
    start, end = seg.start - offset - MARGIN, seg.end - offset + MARGIN
    a, b = _samples(max(0.0, start), duration), _samples(min(duration, end), duration)
    again = [s for s in decode(audio[a:b], offset + a / SAMPLE_RATE) if s.words]
    found = sum(len(s.words) for s in again)
    log.info("suspect segment %.1f-%.1f s (%d words) decoded again: %d words", seg.start, seg.end,
             len(seg.words), found)
    return again if found > len(seg.words) else [seg]


def _samples(seconds: float, duration: float) -> int:
    return int(round(min(max(seconds, 0.0), duration) * SAMPLE_RATE))

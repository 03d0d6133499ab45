"""Transcribing long recordings a window at a time, so memory stays flat in the recording's length.

The PCM file is read one window (``chunk_seconds``) at a time, and the window is cut at silence: VAD
finds the speech spans in it (``clipper.speech.spans``), and the last span that runs to (or within
``JOIN_GAP`` of) the window's end is left for the next window, which starts where that span starts —
on the same VAD frame grid as the whole file, so it groups the rest as one whole-file pass would. No
word end time near a window's end is trusted: no word is cut by a window, so none is lost or doubled.
Only speech with no pause for longer than a window falls back to keeping the segments that end
``GUARD`` seconds before the window's end (and hold no suspect word), the next window starting at the
last kept word's end.

Each finished window is yielded as a ``Chunk`` for the caller to store (and checkpoint) before the
next one is decoded; a rerun passes the checkpoint as ``start`` and carries on from there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache

from clipper.errors import TranscriptionError
from clipper.speech.audio import pcm_duration, read_pcm
from clipper.speech.options import Backend
from clipper.speech.spans import JOIN_GAP, LEAD, Span, on_frame, speech_spans
from clipper.speech.words import suspect
from clipper.transcript import Segment

MIN_CHUNK_SECONDS = 60.0  # longer than Whisper's 30 s window plus the guard, so every window moves on
GUARD = 2.0


@dataclass(frozen=True)
class Chunk:
    index: int
    start: float  # seconds into the recording
    end: float  # everything before this is final; the next chunk starts here
    segments: tuple[Segment, ...]
    rechecks: int = 0  # suspect segments decoded again (the guard fired)


class TranscriptionCancelled(TranscriptionError):
    """Someone asked to stop; what was transcribed so far is kept."""


def transcribe_chunks(backend: Backend, pcm_path: str, *, offset: float = 0.0, first_index: int = 0,
                      chunk_seconds: float = 600.0, total: float | None = None,
                      on_progress: Callable[[float], None] | None = None) -> Iterator[Chunk]:
    """Chunks of ``pcm_path``, whose first sample is ``offset`` seconds into a recording of ``total`` seconds.

    ``on_progress(fraction of the whole recording)`` is called as segments are recognised; it may raise
    (``TranscriptionCancelled``) to stop between segments.
    """
    chunk_seconds = max(MIN_CHUNK_SECONDS, chunk_seconds)
    length = pcm_duration(pcm_path)
    total = total or offset + length
    pos, index = 0.0, first_index
    reached = [0.0]  # a window re-reads the end of the one before: progress must not go back with it
    while pos < length - 0.05:
        window = min(chunk_seconds, length - pos)
        last = pos + window >= length - 0.05
        audio = read_pcm(pcm_path, pos, window)

        def progress(fraction: float, pos: float = pos, window: float = window) -> None:
            if on_progress and total:
                reached[0] = max(reached[0], min(1.0, (offset + pos + fraction * window) / total))
                on_progress(reached[0])

        lead = read_pcm(pcm_path, max(0.0, pos - LEAD), min(pos, LEAD)) if pos > 0 else None
        spans = speech_spans(audio, lead) if backend.options.vad else None
        del lead
        cut = window if last or spans is None else _cut(spans, window)
        if cut is not None and cut < window:
            spans = [s for s in spans or [] if s.end <= cut]
        result = backend.transcribe_array(audio, progress, offset=offset + pos, spans=spans)
        del audio
        release_freed_memory()
        segments = result.segments
        if last:
            end = length
        elif cut is not None:
            end = pos + cut
        else:
            end, segments = _fallback(segments, offset + pos + window, pos, offset)
        yield Chunk(index=index, start=round(offset + pos, 3), end=round(offset + end, 3), segments=segments,
                    rechecks=result.rechecks)
        pos, index = end, index + 1


def _cut(spans: list[Span], window: float) -> float | None:
    """Where to end a window of ``window`` seconds: in silence, before the span that may run on into the
    next window (``None`` when speech runs through it all)."""
    if not spans or spans[-1].end < window - JOIN_GAP:
        return on_frame(window)  # silence at the end: nothing can run on
    if len(spans) == 1 or spans[-1].start < 1.0:
        return None
    return on_frame(spans[-1].start)


def _fallback(segments: tuple[Segment, ...], window_end: float, pos: float,
              offset: float) -> tuple[float, tuple[Segment, ...]]:
    cut = window_end - GUARD
    kept: list[Segment] = []
    for s in segments:  # keep up to the first segment that ends late or may have lost words
        if not s.words or s.words[-1].end > cut or suspect(s, max_word=GUARD, max_gap=GUARD):
            break
        kept.append(s)
    if kept:
        return kept[-1].words[-1].end - offset, tuple(kept)
    if segments:  # speech runs into the window's end: restart where it began
        return max(pos + 1.0, segments[0].start - offset), ()
    return window_end - offset, ()


def release_freed_memory() -> None:
    """Give the memory the last window freed back to the OS.

    glibc keeps freed blocks for reuse, and the next window's differently sized buffers (audio, features,
    decoder state) land beside them rather than in them: measured, the peak grew by a third from the first
    window to the second and then stayed. Trimming after each window keeps a long recording's peak at about
    one window's. A no-op where there is no glibc.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim():  # type: ignore[no-untyped-def]
    name = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None

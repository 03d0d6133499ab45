"""Transcribing long recordings a window at a time, so memory stays flat in the recording's length.

The PCM file is read one window (``chunk_seconds``) at a time. Whisper's last segment in a window may
be cut off mid-sentence, so only segments that end ``GUARD`` seconds before the window's end are kept,
and the next window starts where the last kept word ended: no word is recognised twice or skipped.
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
from clipper.transcript import Segment

MIN_CHUNK_SECONDS = 60.0  # longer than Whisper's 30 s window plus the guard, so every window moves on
GUARD = 2.0


@dataclass(frozen=True)
class Chunk:
    index: int
    start: float  # seconds into the recording
    end: float  # everything before this is final; the next chunk starts here
    segments: tuple[Segment, ...]


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

        result = backend.transcribe_array(audio, progress, offset=offset + pos)
        del audio
        release_freed_memory()
        segments = result.segments
        if last:
            end = length
        else:
            cut = offset + pos + window - GUARD
            kept = tuple(s for s in segments if s.words and s.words[-1].end <= cut)
            if kept:
                end = kept[-1].words[-1].end - offset
            elif segments:  # speech runs into the window's end: restart where it began
                end = max(pos + 1.0, segments[0].start - offset)
            else:  # silence or music: nothing to keep
                end = pos + window
            segments = kept
        yield Chunk(index=index, start=round(offset + pos, 3), end=round(offset + end, 3), segments=segments)
        pos, index = end, index + 1


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

"""Speaker turns for a transcribed chunk, with the recording's voices kept in the database between chunks
(so "Speaker 1" in the first chunk is "Speaker 1" in the last, and a resumed job carries on with them)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlalchemy.orm import Session

from clipper.speakers import known_voices, save_voices
from clipper.speech.audio import read_pcm
from clipper.speech.chunks import Chunk
from clipper.speech.speakers import diarize


def with_speakers(session: Session, recording_id: int, pcm: str | Path, offset: float,
                  chunk: Chunk) -> tuple[dict[str, str], Chunk]:
    """``chunk`` with a speaker on every segment, and label -> name for the voices already named.

    ``pcm`` starts ``offset`` seconds into the recording. Only the chunk's own audio is read."""
    if not chunk.segments:
        return {}, chunk
    audio = read_pcm(pcm, chunk.start - offset, chunk.end - chunk.start)
    segments, voices = diarize(audio, chunk.segments, chunk.start, known_voices(session, recording_id))
    names = save_voices(session, recording_id, voices)
    return names, replace(chunk, segments=segments)

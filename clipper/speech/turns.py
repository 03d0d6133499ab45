"""Speaker turns for a transcribed chunk, with the recording's voices kept in the database between chunks
(so "Speaker 1" in the first chunk is "Speaker 1" in the last, and a resumed job carries on with them)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from clipper.speakers import known_voices, save_voices
from clipper.speech.audio import SAMPLE_RATE, STEREO_RATE, read_pcm, read_stereo
from clipper.speech.chunks import Chunk
from clipper.speech.speakers import Voiceprint, channel_speakers, diarize
from clipper.transcript import Segment


def with_speakers(session: Session, recording_id: int, pcm: str | Path, offset: float, chunk: Chunk,
                  stereo: str | Path | None = None) -> tuple[dict[str, str], Chunk]:
    """``chunk`` with a speaker on every segment, and label -> name for the voices already named.

    ``pcm`` (and ``stereo``, its two channels from ``decode_audio(channels=2)``) start ``offset`` seconds
    into the recording. Only the chunk's own audio is read. When the channels carry different people,
    the channel decides; otherwise the voices do."""
    if not chunk.segments:
        return {}, chunk
    audio = read_pcm(pcm, chunk.start - offset, chunk.end - chunk.start)
    known = known_voices(session, recording_id)
    by_channel = None
    if stereo is not None:
        two = read_stereo(stereo, chunk.start - offset, chunk.end - chunk.start)
        by_channel = channel_speakers(two, chunk.segments, chunk.start, STEREO_RATE)
    if by_channel is not None:
        segments, voices = by_channel, _channel_voices(audio, by_channel, chunk.start, known)
    else:
        segments, voices = diarize(audio, chunk.segments, chunk.start, known)
    names = save_voices(session, recording_id, voices)
    return names, replace(chunk, segments=segments)


def _channel_voices(audio: np.ndarray, segments: tuple[Segment, ...], offset: float,
                    known: list[Voiceprint]) -> list[Voiceprint]:
    """A voiceprint for each channel's speaker (so it can be named and enrolled), kept with the known."""
    from clipper.speech.voices import embed_many

    voices = {v.label: v for v in known if v.label}
    for label in sorted({s.speaker for s in segments}):
        mine = [s for s in segments if s.speaker == label]
        clip = np.concatenate([audio[int((s.start - offset) * SAMPLE_RATE):int((s.end - offset) * SAMPLE_RATE)]
                               for s in mine])
        seconds = sum(s.end - s.start for s in mine)
        emb = tuple(float(x) for x in embed_many([clip])[0])
        old = voices.get(label)
        voices[label] = Voiceprint(label, emb if old is None else old.embedding, seconds + (old.seconds if old else 0),
                                   old.name if old else "", old.person_id if old else None)
    return list(voices.values())

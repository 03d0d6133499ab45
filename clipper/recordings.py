"""Recording records: creating them, moving them through their states, storing transcripts."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from clipper.errors import InvalidInput, NotFound
from clipper.models import Recording, Segment, Word
from clipper.transcript import Transcript

SOURCES = ("upload", "url", "live")


def create_recording(session: Session, *, title: str, source: str = "upload", source_url: str = "",
                     channel: str = "", created_by_id: int | None = None) -> Recording:
    if source not in SOURCES:
        raise InvalidInput(f"Unknown source {source!r}: use upload, url or live.")
    title = (title or "").strip()
    if len(title) > 500:
        raise InvalidInput("The title is too long: keep it under 500 characters.")
    recording = Recording(title=title or "Untitled recording", source=source, source_url=source_url,
                          channel=channel.strip()[:200], status="queued", created_by_id=created_by_id)
    session.add(recording)
    session.flush()
    return recording


def get_recording(session: Session, recording_id: int) -> Recording:
    recording = session.get(Recording, recording_id)
    if recording is None:
        raise NotFound(f"Recording {recording_id} does not exist.")
    return recording


def original_key(recording_id: int, ext: str) -> str:
    return f"recordings/{recording_id}/original.{ext}"


def upload_pieces_prefix(upload_id: str) -> str:
    """Where the pieces of a resumable upload wait (one per request), until ingest joins them."""
    return f"uploads/{upload_id}/"


def upload_piece_key(upload_id: str, offset: int) -> str:
    return f"{upload_pieces_prefix(upload_id)}{offset:015d}"  # zero-padded: keys sort in byte order


def upload_key(recording_id: int) -> str:
    """Where an upload waits, unprobed and private, until the ingest job has checked it."""
    return f"recordings/{recording_id}/upload"


def save_transcript(session: Session, recording: Recording, transcript: Transcript) -> int:
    """Replace the recording's segments and words with ``transcript``'s; returns the word count."""
    session.execute(delete(Word).where(Word.recording_id == recording.id))
    session.execute(delete(Segment).where(Segment.recording_id == recording.id))
    session.flush()
    count = 0
    for i, seg in enumerate(transcript.segments):
        segment = Segment(recording_id=recording.id, idx=i, start=seg.start, end=seg.end, text=seg.text,
                          speaker=seg.speaker)
        session.add(segment)
        session.flush()
        session.add_all(
            Word(recording_id=recording.id, segment_id=segment.id, idx=count + j, start=w.start, end=w.end,
                 text=w.text, probability=w.probability)
            for j, w in enumerate(seg.words)
        )
        count += len(seg.words)
    recording.language = transcript.language
    return count

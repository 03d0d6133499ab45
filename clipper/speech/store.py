"""Storing a transcription chunk by chunk on its recording (with the checkpoint a rerun resumes from),
and a volunteer's fix of one word."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clipper.errors import InvalidInput, NotFound
from clipper.models import Recording, Segment, Word
from clipper.plaintext import check_plain
from clipper.search import reindex_segment
from clipper.speech.chunks import Chunk


def reset_transcript(session: Session, recording: Recording) -> None:
    """Forget the recording's words and checkpoint, to transcribe it again from the start."""
    session.execute(delete(Word).where(Word.recording_id == recording.id))
    session.execute(delete(Segment).where(Segment.recording_id == recording.id))
    recording.transcribed_until, recording.transcribed_chunks = 0.0, 0
    recording.speech_rechecks = 0


def append_chunk(session: Session, recording: Recording, chunk: Chunk, names: dict[str, str] | None = None) -> int:
    """Add ``chunk``'s segments and words after those stored, and move the checkpoint; returns words added.

    A segment's ``speaker`` is the voice's label ("Speaker 2"); ``names`` gives the names volunteers or
    enrolment have given labels in this recording, stored as the segment's shown (and searched) speaker.

    The caller commits, so words and checkpoint land together: a chunk is stored whole or not at all.
    """
    next_segment = session.scalar(select(func.coalesce(func.max(Segment.idx) + 1, 0))
                                  .where(Segment.recording_id == recording.id))
    next_word = session.scalar(select(func.coalesce(func.max(Word.idx) + 1, 0))
                               .where(Word.recording_id == recording.id))
    assert next_segment is not None and next_word is not None  # coalesce(..., 0) is never NULL
    names = names or {}
    added = 0
    for i, seg in enumerate(chunk.segments):
        segment = Segment(recording_id=recording.id, idx=next_segment + i, start=seg.start, end=seg.end,
                          text=seg.text, speaker=names.get(seg.speaker, seg.speaker), speaker_label=seg.speaker)
        session.add(segment)
        session.flush()
        session.add_all(
            Word(recording_id=recording.id, segment_id=segment.id, idx=next_word + added + j, start=w.start,
                 end=w.end, text=w.text[:200], probability=w.probability,
                 pieces=[list(p) for p in w.pieces] or None)
            for j, w in enumerate(seg.words)
        )
        added += len(seg.words)
    recording.transcribed_until = chunk.end
    recording.speech_rechecks = (recording.speech_rechecks or 0) + chunk.rechecks
    recording.transcribed_chunks = chunk.index + 1
    return added


def word_fixes(session: Session, recording_id: int) -> int:
    """How many of the recording's words a volunteer has fixed (a fresh transcription would drop them)."""
    return session.scalar(select(func.count()).select_from(Word).where(
        Word.recording_id == recording_id, Word.edited_text.is_not(None))) or 0


def edit_word(session: Session, recording_id: int, idx: int, text: str | None) -> Word:
    """Set word ``idx``'s edited text (its timing stays); ``None`` or the recognised text undoes the edit.

    An empty string hides the word from captions and exports (a false start, a filler).
    """
    word = session.scalar(select(Word).where(Word.recording_id == recording_id, Word.idx == idx))
    if word is None:
        raise NotFound(f"Recording {recording_id} has no word number {idx}.")
    if text is not None:
        if not isinstance(text, str):
            raise InvalidInput("Send the word's new text as a string (or null to undo the edit).")
        check_plain(text, "word")
        text = " ".join(text.split())
        if len(text) > 200:
            raise InvalidInput("That is too long for one word: keep it under 200 characters.")
    word.edited_text = None if text is None or text == word.text else text
    session.flush()
    if word.segment is not None:
        reindex_segment(session, word.segment)  # search finds the words as they now read
    return word

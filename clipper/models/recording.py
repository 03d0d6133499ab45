"""Recordings and their transcripts (segments and timed words)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clipper.models.base import Base, Timestamps

# live: still being recorded; its transcript grows as segments are stored.
RECORDING_STATUSES = ("queued", "ingesting", "transcribing", "ready", "failed", "cancelled", "live")


class Recording(Timestamps, Base):
    __tablename__ = "recordings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(500), default="")
    source: Mapped[str] = mapped_column(String(20), default="upload")  # upload, url, live
    source_url: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(200), default="")
    programme: Mapped[str] = mapped_column(String(200), default="")
    aired_at: Mapped[datetime | None] = mapped_column(default=None)
    duration: Mapped[float] = mapped_column(default=0.0)
    status: Mapped[str] = mapped_column(String(20), default="queued", index=True)
    progress: Mapped[float] = mapped_column(default=0.0)
    error: Mapped[str] = mapped_column(Text, default="")
    original_key: Mapped[str] = mapped_column(String(500), default="")
    proxy_key: Mapped[str] = mapped_column(String(500), default="")
    audio_key: Mapped[str] = mapped_column(String(500), default="")
    peaks_key: Mapped[str] = mapped_column(String(500), default="")
    poster_key: Mapped[str] = mapped_column(String(500), default="")
    # The browser proxy is made beside transcription: its own status ("", queued, making, ready, failed)
    # and error, so a failed proxy never makes the recording itself failed.
    proxy_status: Mapped[str] = mapped_column(String(20), default="")
    proxy_error: Mapped[str] = mapped_column(Text, default="")
    probe: Mapped[dict[str, Any]] = mapped_column(default=dict)
    language: Mapped[str] = mapped_column(String(20), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    # Transcription checkpoint: audio before ``transcribed_until`` (seconds) is stored as segments and
    # words, in ``transcribed_chunks`` chunks; a rerun after a worker died continues from there.
    transcribed_until: Mapped[float] = mapped_column(default=0.0)
    transcribed_chunks: Mapped[int] = mapped_column(default=0)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    # Segments the speech guard found suspect (a stretched word, a gap) and decoded again.
    speech_rechecks: Mapped[int] = mapped_column(default=0)

    segments: Mapped[list[Segment]] = relationship(
        back_populates="recording", cascade="all, delete-orphan", order_by="Segment.idx"
    )

    def fail(self, message: str) -> None:
        self.status = "failed"
        self.error = message


class Segment(Base):
    __tablename__ = "segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    idx: Mapped[int] = mapped_column()
    start: Mapped[float] = mapped_column()
    end: Mapped[float] = mapped_column()
    text: Mapped[str] = mapped_column(Text, default="")
    speaker: Mapped[str] = mapped_column(String(200), default="")  # the name shown and searched
    speaker_label: Mapped[str] = mapped_column(String(50), default="")  # the voice: "Speaker 1" (diarization)

    recording: Mapped[Recording] = relationship(back_populates="segments")
    words: Mapped[list[Word]] = relationship(
        back_populates="segment", cascade="all, delete-orphan", order_by="Word.idx"
    )

    # Full-text index over ``text`` (migration 0002, queried by clipper.search): on SQLite the FTS5 table
    # ``segments_fts`` kept in step by triggers; on PostgreSQL the generated ``search_vector`` column with
    # a GIN index. Neither is mapped here: they are the database's to maintain, and writers need do nothing.
    __table_args__ = (Index("ix_segments_recording_idx", "recording_id", "idx", unique=True),)


class Word(Base):
    __tablename__ = "words"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column()  # order within the whole recording
    start: Mapped[float] = mapped_column()
    end: Mapped[float] = mapped_column()
    text: Mapped[str] = mapped_column(String(200))  # as recognised
    edited_text: Mapped[str | None] = mapped_column(String(200), default=None)  # a volunteer's fix
    probability: Mapped[float] = mapped_column(default=1.0)
    # Whisper's pieces of a joined word ("o" + "'clock"): [[start, end, text], ...]; NULL for one piece.
    pieces: Mapped[list[Any] | None] = mapped_column(default=None)

    segment: Mapped[Segment] = relationship(back_populates="words")

    __table_args__ = (Index("ix_words_recording_start", "recording_id", "start"),)

    @property
    def display(self) -> str:
        return self.edited_text if self.edited_text is not None else self.text

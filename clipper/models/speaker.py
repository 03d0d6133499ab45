"""Voices: the speakers found in a recording (and the name a volunteer gave each), and enrolled voices."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from clipper.models.base import Base, utcnow


class RecordingSpeaker(Base):
    """One voice in one recording: "Speaker 1", its name once someone gives it, its mean embedding."""

    __tablename__ = "recording_speakers"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(200), default="")
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"), default=None)
    seconds: Mapped[float] = mapped_column(default=0.0)  # how long this voice speaks
    embedding: Mapped[list[Any]] = mapped_column(default=list)

    __table_args__ = (Index("ix_recording_speakers_recording_label", "recording_id", "label", unique=True),)

    @property
    def display(self) -> str:
        return self.name or self.label


class Voice(Base):
    """A known person's voice (an embedding), recognised in later recordings."""

    __tablename__ = "voices"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id", ondelete="SET NULL"), default=None)
    embedding: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

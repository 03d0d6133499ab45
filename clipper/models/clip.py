"""Clips marked on recordings, and their renders."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clipper.models.base import Base, Timestamps
from clipper.models.recording import Recording

CLIP_STATUSES = ("draft", "submitted", "approved", "rejected", "published", "withdrawn")
RENDER_STATUSES = ("queued", "preview", "rendering", "done", "failed")  # preview: a rough cut is at the link
PRESETS = ("landscape", "square", "vertical")


class Clip(Timestamps, Base):
    __tablename__ = "clips"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    start: Mapped[float] = mapped_column()
    end: Mapped[float] = mapped_column()
    title: Mapped[str] = mapped_column(String(300), default="")
    speaker: Mapped[str] = mapped_column(String(200), default="")
    speaker_role: Mapped[str] = mapped_column(String(200), default="")  # shown on the name strap
    tags: Mapped[list[Any]] = mapped_column(default=list)
    post_copy: Mapped[str] = mapped_column(Text, default="")
    # [{"start", "end", "text"}] — the words in [start, end], with a volunteer's fixes applied.
    caption_words: Mapped[list[Any]] = mapped_column(default=list)
    presets: Mapped[list[Any]] = mapped_column(default=lambda: list(PRESETS))
    crop_x: Mapped[float | None] = mapped_column(default=None)  # 0..1; None: blurred background
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    review_note: Mapped[str] = mapped_column(Text, default="")  # why a social lead rejected it

    recording: Mapped[Recording] = relationship()
    renders: Mapped[list[Render]] = relationship(back_populates="clip", cascade="all, delete-orphan")

    @property
    def duration(self) -> float:
        return self.end - self.start


class Render(Timestamps, Base):
    __tablename__ = "renders"

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"))
    preset: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[float] = mapped_column(default=0.0)
    storage_key: Mapped[str] = mapped_column(String(500), default="")
    public_url: Mapped[str] = mapped_column(Text, default="")
    size: Mapped[int] = mapped_column(default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    duration: Mapped[float] = mapped_column(default=0.0)
    srt_key: Mapped[str] = mapped_column(String(500), default="")
    vtt_key: Mapped[str] = mapped_column(String(500), default="")
    poster_key: Mapped[str] = mapped_column(String(500), default="")
    error: Mapped[str] = mapped_column(Text, default="")
    finished_at: Mapped[datetime | None] = mapped_column(default=None)  # the latest finish (a re-render moves it)
    first_finished_at: Mapped[datetime | None] = mapped_column(default=None)  # the first: when it was ready to post

    clip: Mapped[Clip] = relationship(back_populates="renders")

    __table_args__ = (UniqueConstraint("clip_id", "preset", name="uq_renders_clip_preset"),)

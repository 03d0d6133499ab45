"""The public side of a clip: what supporters see once it is published, and privacy-safe counts.

A ``Publication`` is a snapshot taken when a clip's renders are done (and refreshed when they are
re-made): public pages read only these rows, never the desk's clips, so a draft edit or a half-done
re-render never shows in the gallery. ``PublicCount`` holds bare numbers per clip, kind and variant:
no cookie, address or user agent is ever stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clipper.models.base import Base, Timestamps, utcnow

PUBLICATION_STATUSES = ("published", "withdrawn")
COUNT_KINDS = ("download", "share")


class Publication(Timestamps, Base):
    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), unique=True)
    slug: Mapped[str] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="published", index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    speaker: Mapped[str] = mapped_column(String(200), default="", index=True)
    tags: Mapped[list[Any]] = mapped_column(default=list)
    tags_text: Mapped[str] = mapped_column(Text, default="")  # "|tag one|tag two|": a LIKE filter on any database
    post_text: Mapped[str] = mapped_column(Text, default="")  # post copy, with the imprint when it is required
    caption_text: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="")  # lower-cased title and captions
    duration: Mapped[float] = mapped_column(default=0.0)
    # [{"preset", "key", "size", "width", "height", "sha256"}] — the finished renders, main one first.
    variants: Mapped[list[Any]] = mapped_column(default=list)
    vtt_key: Mapped[str] = mapped_column(String(500), default="")
    share_key: Mapped[str] = mapped_column(String(500), default="")  # small MP4 for og:video and Web Share
    share_size: Mapped[int] = mapped_column(default=0)
    share_width: Mapped[int] = mapped_column(default=0)
    share_height: Mapped[int] = mapped_column(default=0)
    image_key: Mapped[str] = mapped_column(String(500), default="")  # JPEG poster under 300 KB (og:image)
    image_size: Mapped[int] = mapped_column(default=0)
    image_width: Mapped[int] = mapped_column(default=0)
    image_height: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    withdrawn_at: Mapped[datetime | None] = mapped_column(default=None)

    def variant(self, preset: str) -> dict[str, Any] | None:
        return next((v for v in self.variants if v["preset"] == preset), None)

    @property
    def main(self) -> dict[str, Any]:
        """The variant that plays on the page: vertical when there is one (phones first)."""
        return self.variant("vertical") or self.variants[0]


class PublicCount(Base):
    __tablename__ = "public_counts"

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # download, share
    variant: Mapped[str] = mapped_column(String(20))  # a preset for downloads; the way it was shared for shares
    count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("clip_id", "kind", "variant", name="uq_public_counts_clip_kind_variant"),)

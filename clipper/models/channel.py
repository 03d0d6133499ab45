"""Social channels and the posts scheduled on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from clipper.models.base import Base, Timestamps

POST_STATUSES = ("scheduled", "publishing", "published", "failed", "cancelled")


class Channel(Timestamps, Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # webhook, mastodon, bluesky, telegram
    name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(Text, default="")  # encrypted at rest


class Post(Timestamps, Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    render_id: Mapped[int | None] = mapped_column(ForeignKey("renders.id", ondelete="SET NULL"), default=None)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    scheduled_at: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    external_id: Mapped[str] = mapped_column(String(300), default="")
    external_url: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")

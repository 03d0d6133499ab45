"""Social channels (the campaign's accounts) and the posts scheduled on them.

A ``Post`` is one clip on one channel at one time, with an explicit state::

    scheduled -> sending -> sent | failed | unconfirmed        (and scheduled -> cancelled)

``sending`` is written before the request leaves; a post found ``sending`` after its lease ran out
(the worker died, Redis lost the job) is checked with the platform before anything is sent again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clipper.models.base import Base, Timestamps

CHANNEL_KINDS = ("mastodon", "bluesky", "telegram", "webhook")
POST_STATUSES = ("scheduled", "sending", "sent", "failed", "unconfirmed", "cancelled")


class Channel(Timestamps, Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # webhook, mastodon, bluesky, telegram
    name: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[str] = mapped_column(Text, default="")  # Fernet token (clipper/credentials.py)
    config: Mapped[dict[str, Any]] = mapped_column(default=dict)  # not secret: instance URL, handle, chat id
    active: Mapped[bool] = mapped_column(default=True)
    account_name: Mapped[str] = mapped_column(String(300), default="")  # what "test connection" found
    account_url: Mapped[str] = mapped_column(Text, default="")  # where a lead checks an unconfirmed post
    limits: Mapped[dict[str, Any]] = mapped_column(default=dict)  # max_chars, max_video_bytes, max_video_seconds
    checked_at: Mapped[datetime | None] = mapped_column(default=None)
    check_error: Mapped[str] = mapped_column(Text, default="")


class Post(Timestamps, Base):
    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True)
    clip_id: Mapped[int] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    render_id: Mapped[int | None] = mapped_column(ForeignKey("renders.id", ondelete="SET NULL"), default=None)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    preset: Mapped[str] = mapped_column(String(20), default="vertical")
    text: Mapped[str] = mapped_column(Text, default="")
    alt_text: Mapped[str] = mapped_column(Text, default="")
    scheduled_at: Mapped[datetime] = mapped_column()  # UTC, what the lead chose
    due_at: Mapped[datetime | None] = mapped_column(default=None, index=True)  # UTC, next attempt (retries move it)
    status: Mapped[str] = mapped_column(String(20), default="scheduled", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    idempotency_key: Mapped[str] = mapped_column(String(64), default="", index=True)  # also the Bluesky rkey
    first_sent_at: Mapped[datetime | None] = mapped_column(default=None)  # the first request that may have landed
    lease_until: Mapped[datetime | None] = mapped_column(default=None)  # a "sending" post is in doubt after this
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    external_id: Mapped[str] = mapped_column(String(300), default="")
    external_url: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)

    channel: Mapped[Channel] = relationship()

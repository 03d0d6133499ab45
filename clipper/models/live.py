"""Live sources (a broadcast's HLS link a recorder follows) and the segments a live recording is made of."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from clipper.models.base import Base, Timestamps

# idle: not recording; recording; retrying: the stream stalled or dropped and the recorder is restarting;
# failed: it gave up (the error says why); ended: the stream said it ended.
SOURCE_STATUSES = ("idle", "recording", "retrying", "failed", "ended")
SEGMENT_STATUSES = ("stored", "transcribed", "failed")


class LiveSource(Timestamps, Base):
    __tablename__ = "live_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(200), default="")
    segment_seconds: Mapped[float] = mapped_column(default=30.0)
    active: Mapped[bool] = mapped_column(default=False)  # a recorder should be running for it
    status: Mapped[str] = mapped_column(String(20), default="idle")
    error: Mapped[str] = mapped_column(Text, default="")
    recording_id: Mapped[int | None] = mapped_column(ForeignKey("recordings.id", ondelete="SET NULL"), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    # Weekly windows it records in by itself ("Mon-Fri 12:00-13:00", the team's time zone; clipper.live.schedule),
    # and the start (UTC) of the window it was last started for.
    schedule: Mapped[str] = mapped_column(Text, default="", server_default="")
    schedule_window: Mapped[datetime | None] = mapped_column(default=None)


class LiveSegment(Base):
    __tablename__ = "live_segments"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column()
    start: Mapped[float] = mapped_column()  # seconds into the recording, gaps included
    duration: Mapped[float] = mapped_column()
    gap_before: Mapped[float] = mapped_column(default=0.0)  # air the recorder missed just before it
    aired_at: Mapped[datetime] = mapped_column()  # wall-clock time of its first frame
    storage_key: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="stored")
    error: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("recording_id", "idx", name="uq_live_segments_recording_idx"),)

    @property
    def end(self) -> float:
        return self.start + self.duration


class Alert(Timestamps, Base):
    """Words the team watches for: when a live transcript says them, someone is told within seconds."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    query: Mapped[str] = mapped_column(Text)  # search syntax: words, "exact phrases", prefixes*; may be empty
    # with a speaker: only what that speaker says (their name, or a label like "Speaker 2"); alone: their turns
    speaker: Mapped[str] = mapped_column(String(200), default="", server_default="")
    webhook_url: Mapped[str] = mapped_column(Text, default="")  # empty: the desk's notification list only
    # or a Telegram chat of the team's, told by the bot of a connected Telegram channel
    telegram_channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="SET NULL"),
                                                           default=None)
    telegram_chat: Mapped[str] = mapped_column(String(200), default="", server_default="")
    active: Mapped[bool] = mapped_column(default=True)

    @property
    def sends(self) -> bool:
        """Told somewhere beyond the desk's list (a webhook or a Telegram chat)."""
        return bool(self.webhook_url or self.telegram_channel_id)


class AlertHit(Base):
    """One match of an alert: at most one per alert and transcript segment, however often a job reruns."""

    __tablename__ = "alert_hits"

    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    recording_id: Mapped[int] = mapped_column(ForeignKey("recordings.id", ondelete="CASCADE"))
    segment_id: Mapped[int] = mapped_column(ForeignKey("segments.id", ondelete="CASCADE"))
    clip_id: Mapped[int | None] = mapped_column(ForeignKey("clips.id", ondelete="SET NULL"), default=None)
    moment: Mapped[float] = mapped_column()
    sentence: Mapped[str] = mapped_column(Text, default="")
    # desk, queued, sent, failed; unconfirmed: the message left and no answer came (it may have arrived)
    delivery: Mapped[str] = mapped_column(String(20), default="desk")
    error: Mapped[str] = mapped_column(Text, default="")
    stored_at: Mapped[datetime] = mapped_column()  # when the matching words were stored
    created_at: Mapped[datetime] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (UniqueConstraint("alert_id", "segment_id", name="uq_alert_hits_alert_segment"),)

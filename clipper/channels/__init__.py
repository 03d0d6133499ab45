"""Posting a clip to the campaign's accounts: one small interface, one module per platform.

Every adapter answers three questions:

- ``check()``: a harmless authenticated call; who are we there, and what are the platform's limits.
- ``post(item)``: send the post. Errors say what may be done next: ``Transient`` (nothing was created:
  try again later), ``Permanent`` (a clear message for the social lead; trying again won't help), and
  ``InDoubt`` (the request that creates the post left, and we don't know whether it landed).
- ``find_existing(item)``: after an ``InDoubt``, did the post land? Returns it, or ``None`` when the
  platform says definitively that it is not there, or raises ``CannotCheck`` when the API can't tell.

``open_channel`` builds the adapter for a channel row's kind; secrets are decrypted only for that call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from clipper.errors import ClipperError, InvalidInput
from clipper.urls import AddressPolicy


class PostError(ClipperError):
    """Base of what an adapter raises; ``message`` is written for a social lead."""


class Transient(PostError):
    """Nothing was created; try again at ``retry_after`` seconds (or the caller's backoff)."""

    def __init__(self, message: str, *, retry_after: float | None = None, detail: str = "") -> None:
        super().__init__(message, detail=detail)
        self.retry_after = retry_after


class Permanent(PostError):
    """Trying again will not help: a revoked token, text or video over a limit, a job the platform failed."""


class InDoubt(PostError):
    """The request creating the post left and no answer came back (dropped connection, timeout)."""


class CannotCheck(PostError):
    """The platform offers no way to tell whether an earlier request created the post."""


@dataclass(frozen=True)
class Limits:
    max_chars: int
    max_video_bytes: int
    max_video_seconds: float = 0.0  # 0: the platform names none
    count: str = "characters"  # or "graphemes" (Bluesky)

    def as_dict(self) -> dict[str, Any]:
        return {"max_chars": self.max_chars, "max_video_bytes": self.max_video_bytes,
                "max_video_seconds": self.max_video_seconds, "count": self.count}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], default: Limits) -> Limits:
        return cls(int(data.get("max_chars") or default.max_chars),
                   int(data.get("max_video_bytes") or default.max_video_bytes),
                   float(data.get("max_video_seconds") or default.max_video_seconds),
                   str(data.get("count") or default.count))


@dataclass(frozen=True)
class Account:
    """What ``check()`` found."""

    name: str
    url: str
    limits: Limits
    detail: str = ""


@dataclass(frozen=True)
class Video:
    path: Path
    size: int
    duration: float
    width: int
    height: int
    mime: str = "video/mp4"


@dataclass(frozen=True)
class Outgoing:
    """One post as the adapter sees it."""

    post_id: int
    key: str  # idempotency key; for Bluesky also the record key (a TID)
    text: str
    alt_text: str
    video: Video | None
    first_sent_at: datetime | None = None  # when an earlier attempt's request may have landed
    links: Mapping[str, Any] = field(default_factory=dict)  # webhook: share page, variant URLs
    title: str = ""


@dataclass(frozen=True)
class Sent:
    external_id: str
    url: str


class Channel(Protocol):
    kind: str
    limits: Limits

    def check(self) -> Account: ...

    def post(self, item: Outgoing) -> Sent: ...

    def find_existing(self, item: Outgoing) -> Sent | None: ...


class SessionCache(Protocol):
    """Where an adapter may keep a login between jobs (Bluesky limits new sessions to 30 per 5 minutes)."""

    def get(self) -> str | None: ...

    def set(self, value: str, ttl: int) -> None: ...

    def clear(self) -> None: ...


@dataclass(frozen=True)
class Connection:
    """What every adapter needs besides its own settings: the URL guard, a request timeout and, optionally,
    a cache for logins."""

    policy: AddressPolicy = AddressPolicy()
    timeout: float = 60.0
    user_agent: str = "Clipper (campaign clip scheduler)"
    sessions: SessionCache | None = None


def open_channel(kind: str, config: Mapping[str, Any], secrets: Mapping[str, str], conn: Connection,
                 limits: Mapping[str, Any] | None = None) -> Channel:
    from clipper.channels import bluesky, mastodon, telegram, webhook

    modules = {"mastodon": mastodon, "bluesky": bluesky, "telegram": telegram, "webhook": webhook}
    if kind not in modules:
        raise InvalidInput(f"Unknown channel kind {kind!r}: choose one of {', '.join(modules)}.")
    return modules[kind].connect(config, secrets, conn, limits or {})  # type: ignore[no-any-return]


def default_limits(kind: str) -> Limits:
    from clipper.channels import bluesky, mastodon, telegram, webhook

    return {"mastodon": mastodon, "bluesky": bluesky, "telegram": telegram, "webhook": webhook}[kind].LIMITS


def check_video(video: Video, limits: Limits, platform: str) -> None:
    """Refuse, before any upload, a video over the platform's size or duration limit, naming the limit."""
    if limits.max_video_bytes and video.size > limits.max_video_bytes:
        raise Permanent(f"The video is {_mb(video.size)}; {platform} takes at most {_mb(limits.max_video_bytes)}. "
                        "Choose a shorter clip or another variant.")
    if limits.max_video_seconds and video.duration > limits.max_video_seconds + 0.05:
        raise Permanent(f"The video is {video.duration:.0f} s long; {platform} takes at most "
                        f"{limits.max_video_seconds:.0f} s. Choose a shorter clip.")


def _mb(n: int) -> str:
    return f"{n / 1000:.0f} KB" if n < 1_000_000 else f"{n / 1_000_000:.1f} MB"

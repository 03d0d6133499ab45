"""The air-to-clip timer: for each clip of a live recording, when its words were on air and when it was
marked, approved, rendered and posted; and per stage, how long that took (p50, p95) over a window.

Every moment is read from where it is already recorded, never copied:

- **on air**: the wall-clock time of the clip's first caption word (the clip's in point when it has no
  words), from the live segment it falls in: ``segment.aired_at + (t - segment.start)``. Segment starts
  count the gaps the recorder missed, so a moment after a gap is still right.
- **marked**: the clip's ``created_at`` (for a clip an alert marked, when the alert fired).
- **approved**: the first ``clip.approved`` event. A clip is approved once (an approved clip can no longer
  be edited or sent back), so the first approval is the approval of the version that was rendered.
- **rendered**: when the vertical render was first finished, else the first finished render of any
  size (``Render.first_finished_at``: a re-render after a caption fix does not move it).
- **posted**: the first post to a channel that was sent (``Post.sent_at``; for a post a lead confirmed by
  hand, when they did). Posting at a scheduled time counts: it is when supporters saw it.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clipper.errors import InvalidInput
from clipper.models import Clip, Event, LiveSegment, Post, Recording, Render

MOMENTS = ("aired_at", "marked_at", "approved_at", "rendered_at", "posted_at")
WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7)}
WINDOW_LABELS = {"day": "Last 24 hours", "week": "Last 7 days"}
RECENT = 50  # clips listed with their times


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    start: str  # a name in MOMENTS
    end: str


STAGES = (
    Stage("air_to_marked", "On air → marked", "aired_at", "marked_at"),
    Stage("marked_to_approved", "Marked → approved", "marked_at", "approved_at"),
    Stage("approved_to_rendered", "Approved → rendered", "approved_at", "rendered_at"),
    Stage("rendered_to_posted", "Rendered → posted", "rendered_at", "posted_at"),
    Stage("air_to_rendered", "On air → rendered", "aired_at", "rendered_at"),
    Stage("air_to_posted", "On air → posted (end to end)", "aired_at", "posted_at"),
)


@dataclass(frozen=True)
class ClipMoments:
    clip_id: int
    recording_id: int
    title: str
    aired_at: datetime | None
    marked_at: datetime
    approved_at: datetime | None
    rendered_at: datetime | None
    posted_at: datetime | None

    def seconds(self, stage: Stage) -> float | None:
        """How long ``stage`` took, or None until the clip has reached its end (or its start is unknown)."""
        start, end = getattr(self, stage.start), getattr(self, stage.end)
        if start is None or end is None:
            return None
        return (end - start).total_seconds()


@dataclass(frozen=True)
class StageFigures:
    stage: Stage
    count: int  # clips that reached the stage's end (with its start known)
    p50: float | None  # seconds
    p95: float | None


@dataclass(frozen=True)
class TimerReport:
    window: str
    since: datetime
    until: datetime
    stages: tuple[StageFigures, ...]
    clips: tuple[ClipMoments, ...]  # newest marked first


def window_span(window: str) -> timedelta:
    if window not in WINDOWS:
        raise InvalidInput(f"Choose the window 'day' (the last 24 hours) or 'week' (the last 7 days), not {window!r}.")
    return WINDOWS[window]


def report(session: Session, window: str, now: datetime) -> TimerReport:
    """The timer for clips of live recordings marked in the ``window`` before ``now`` (naive UTC)."""
    since = now - window_span(window)
    clips = clip_moments(session, since, now)
    return TimerReport(window=window, since=since, until=now, stages=figures(clips), clips=tuple(clips))


def figures(clips: Sequence[ClipMoments]) -> tuple[StageFigures, ...]:
    out = []
    for stage in STAGES:
        values = [s for s in (c.seconds(stage) for c in clips) if s is not None]
        out.append(StageFigures(stage, len(values), percentile(values, 0.50), percentile(values, 0.95)))
    return tuple(out)


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q`` quantile with linear interpolation between the closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return None
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def clip_moments(session: Session, since: datetime, until: datetime) -> list[ClipMoments]:
    """Each clip of a live recording marked in [since, until], newest first, with its moments."""
    clips = session.execute(
        select(Clip.id, Clip.recording_id, Clip.title, Clip.start, Clip.caption_words, Clip.created_at)
        .join(Recording, Recording.id == Clip.recording_id)
        .where(Recording.source == "live", Clip.created_at >= since, Clip.created_at <= until)
        .order_by(Clip.created_at.desc(), Clip.id.desc())).all()
    ids = [c.id for c in clips]
    air = _air_clocks(session, {c.recording_id for c in clips})
    approved = _approvals(session, ids)
    rendered = _renders(session, ids)
    posted = _posts(session, ids)
    return [ClipMoments(clip_id=c.id, recording_id=c.recording_id, title=c.title,
                        aired_at=air[c.recording_id].at(_first_word(c.caption_words, c.start)),
                        marked_at=c.created_at, approved_at=approved.get(c.id), rendered_at=rendered.get(c.id),
                        posted_at=posted.get(c.id))
            for c in clips]


def _first_word(words: object, start: float) -> float:
    if isinstance(words, list) and words and isinstance(words[0], dict) and "start" in words[0]:
        return float(words[0]["start"])
    return start


class _AirClock:
    """A live recording's seconds -> the wall-clock time they were on air, from its segments."""

    def __init__(self, segments: Sequence[tuple[float, datetime]]) -> None:
        self.starts = [s for s, _ in segments]
        self.aired = [a for _, a in segments]

    def at(self, seconds: float) -> datetime | None:
        if not self.starts:
            return None
        i = max(0, bisect.bisect_right(self.starts, seconds) - 1)  # the segment it falls in (or the first)
        return self.aired[i] + timedelta(seconds=seconds - self.starts[i])


def _air_clocks(session: Session, recording_ids: set[int]) -> dict[int, _AirClock]:
    rows: dict[int, list[tuple[float, datetime]]] = {rid: [] for rid in recording_ids}
    if recording_ids:
        for rid, start, aired in session.execute(
                select(LiveSegment.recording_id, LiveSegment.start, LiveSegment.aired_at)
                .where(LiveSegment.recording_id.in_(recording_ids)).order_by(LiveSegment.recording_id,
                                                                             LiveSegment.start)):
            rows[rid].append((start, aired))
    return {rid: _AirClock(segments) for rid, segments in rows.items()}


def _approvals(session: Session, clip_ids: list[int]) -> dict[int, datetime]:
    if not clip_ids:
        return {}
    rows = session.execute(
        select(Event.target_id, func.min(Event.at))
        .where(Event.action == "clip.approved", Event.target_type == "clip", Event.target_id.in_(clip_ids))
        .group_by(Event.target_id))
    return {clip_id: at for clip_id, at in rows if clip_id is not None}


def _renders(session: Session, clip_ids: list[int]) -> dict[int, datetime]:
    """The vertical render's first finish, else the earliest first finish of any size."""
    if not clip_ids:
        return {}
    found: dict[int, tuple[bool, datetime]] = {}
    for clip_id, preset, at in session.execute(
            select(Render.clip_id, Render.preset, Render.first_finished_at)
            .where(Render.clip_id.in_(clip_ids))):
        if at is None:
            continue
        key = (preset != "vertical", at)  # vertical first, then the earliest
        if clip_id not in found or key < found[clip_id]:
            found[clip_id] = key
    return {clip_id: at for clip_id, (_, at) in found.items()}


def _posts(session: Session, clip_ids: list[int]) -> dict[int, datetime]:
    if not clip_ids:
        return {}
    rows = session.execute(
        select(Post.clip_id, func.min(Post.sent_at))
        .where(Post.clip_id.in_(clip_ids), Post.status == "sent", Post.sent_at.is_not(None))
        .group_by(Post.clip_id))
    return {clip_id: at for clip_id, at in rows if at is not None}


def human(seconds: float | None) -> str:
    """42 s, 3 min 10 s, 2 h 5 min, 1 d 4 h; "–" when there is nothing to show."""
    if seconds is None:
        return "–"
    sign, total = ("−" if seconds < 0 else ""), abs(seconds)
    if total < 10:
        return f"{sign}{total:.1f} s".replace(".0 s", " s")
    total = int(total + 0.5)  # half up: 52.5 s is "53 s"
    if total < 60:
        return f"{sign}{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{sign}{minutes} min {secs} s" if secs else f"{sign}{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{sign}{hours} h {minutes} min" if minutes else f"{sign}{hours} h"
    days, hours = divmod(hours, 24)
    return f"{sign}{days} d {hours} h" if hours else f"{sign}{days} d"

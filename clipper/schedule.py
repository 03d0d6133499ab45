"""Times for posts: the team enters local times (``CLIPPER_TIMEZONE``); the database holds naive UTC.

A wall-clock time is turned into UTC with that date's offset, so 09:00 Europe/London on the day the
clocks go forward is 08:00 UTC and on the day before 09:00 UTC. A time that does not exist on the day
(the hour skipped in spring) is refused with a message; one that happens twice (the hour repeated in
autumn) is the first of the two, and the page shows the offset so the lead sees which.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from clipper.errors import InvalidInput

FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {name!r} (CLIPPER_TIMEZONE).") from None


def parse_local(text: str, tz_name: str) -> datetime:
    """``2026-03-29T09:00`` in the team's zone → naive UTC."""
    text = (text or "").strip()
    for fmt in FORMATS:
        try:
            naive = datetime.strptime(text, fmt)
            break
        except ValueError:
            continue
    else:
        raise InvalidInput("Choose a date and time to post at (like 2026-03-29 09:00).")
    return local_to_utc(naive, tz_name)


def local_to_utc(naive_local: datetime, tz_name: str) -> datetime:
    tz = zone(tz_name)
    aware = naive_local.replace(tzinfo=tz, fold=0)
    back = aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive_local:  # the wall clock skipped this time (clocks went forward)
        raise InvalidInput(f"{naive_local:%H:%M} does not exist on {naive_local:%d %b %Y} in {tz_name}: the clocks "
                           "go forward that night. Choose another time.")
    return aware.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(value: datetime, tz_name: str) -> datetime:
    """Naive UTC → aware local time."""
    return value.replace(tzinfo=UTC).astimezone(zone(tz_name))


def as_aware_utc(value: datetime) -> datetime:
    """What RQ's scheduler must be given: RQ reads a naive time as the *server's* local time."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_future(when_utc: datetime, now_utc: datetime, tz_name: str, *, grace: timedelta = timedelta(seconds=30)) -> None:
    if when_utc < now_utc - grace:
        shown = utc_to_local(when_utc, tz_name)
        raise InvalidInput(f"{shown:%d %b %Y %H:%M} has already passed. Choose a time in the future, or post now.")


@dataclass(frozen=True)
class Span:
    """The days a calendar view shows, as local dates, and its UTC bounds."""

    view: str
    first: date
    days: tuple[date, ...]
    start_utc: datetime
    end_utc: datetime
    previous: date
    next: date


def span(view: str, around: date, tz_name: str) -> Span:
    if view == "month":
        first = around.replace(day=1)
        grid_start = first - timedelta(days=first.weekday())
        following = (first + timedelta(days=32)).replace(day=1)
        count = ((following - grid_start).days + 6) // 7 * 7
        days = tuple(grid_start + timedelta(days=i) for i in range(count))
        previous, nxt = (first - timedelta(days=1)).replace(day=1), following
    else:
        view = "week"
        first = around - timedelta(days=around.weekday())
        days = tuple(first + timedelta(days=i) for i in range(7))
        previous, nxt = first - timedelta(days=7), first + timedelta(days=7)
    start = local_to_utc(datetime.combine(days[0], datetime.min.time()), tz_name)
    end = local_to_utc(datetime.combine(days[-1] + timedelta(days=1), datetime.min.time()), tz_name)
    return Span(view, first, days, start, end, previous, nxt)

"""When a live source records by itself: weekly windows in the team's time zone.

A schedule is windows separated by ``;`` or new lines, each days then a time range:
``Mon-Fri 12:00-13:00``, ``Wed 11:30-12:30``, ``Sat,Sun 18:00-18:45``, ``daily 06:00-09:00``. A window
whose end is before its start runs past midnight (``Fri 23:30-00:30``). Times are wall-clock in the
team's zone, so a programme at 12:00 is recorded at 12:00 on both sides of a clock change.

``apply`` is called by the recorders' loop every few seconds: it starts a source when one of its windows
opens and stops it when the window closes. A source someone stops by hand inside a window stays stopped
until its next window; one started by hand outside its windows is not stopped by the schedule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from clipper import events
from clipper.errors import InvalidInput
from clipper.models import LiveSource

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EXAMPLE = "Mon-Fri 12:00-13:00; Sun 10:00-11:30"
_WINDOW = re.compile(r"^(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class Window:
    days: frozenset[int]  # 0 = Monday, as date.weekday()
    start: time
    end: time

    def opens_on(self, day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The window's start and end (aware, in ``zone``) when it opens on ``day``."""
        end_day = day if self.end > self.start else day + timedelta(days=1)
        return datetime.combine(day, self.start, tzinfo=zone), datetime.combine(end_day, self.end, tzinfo=zone)


def parse(text: str) -> tuple[Window, ...]:
    """The windows of a schedule (empty text: none); a clear error naming the part that is wrong."""
    windows = []
    for part in (p.strip() for p in re.split(r"[;\n]", text or "")):
        if not part:
            continue
        found = _WINDOW.match(part)
        if not found:
            raise InvalidInput(f"“{part[:60]}” is not a schedule window: write days and times, e.g. {EXAMPLE}.")
        start, end = _time(found["start"], part), _time(found["end"], part)
        if start == end:
            raise InvalidInput(f"“{part[:60]}” starts and ends at the same time.")
        windows.append(Window(_days(found["days"], part), start, end))
    return tuple(windows)


def normalise(text: str) -> str:
    """The schedule as it is stored and shown ("Mon-Fri 12:00-13:00; …"), after checking it."""
    parse(text)
    return "; ".join(p.strip() for p in re.split(r"[;\n]", text or "") if p.strip())


def window_at(windows: tuple[Window, ...], now: datetime, zone: str) -> datetime | None:
    """The start (UTC, naive) of the window ``now`` (naive UTC) is in, or None."""
    tz = ZoneInfo(zone)
    local = now.replace(tzinfo=UTC).astimezone(tz)
    for day in (local.date(), local.date() - timedelta(days=1)):  # today's, and yesterday's past midnight
        for w in windows:
            if day.weekday() not in w.days:
                continue
            start, end = w.opens_on(day, tz)
            if start.astimezone(UTC) <= local.astimezone(UTC) < end.astimezone(UTC):
                return start.astimezone(UTC).replace(tzinfo=None)
    return None


def apply(session: Session, now: datetime, zone: str) -> list[tuple[int, str]]:
    """Start and stop scheduled sources for ``now`` (naive UTC); returns (source id, "start"/"stop"). The
    caller commits."""
    changed = []
    for source in session.scalars(select(LiveSource).where(LiveSource.schedule != "")):
        opened = window_at(parse(source.schedule), now, zone)
        if opened is not None and source.schedule_window != opened:
            source.schedule_window = opened
            if not source.active:
                source.active, source.status, source.error = True, "recording", ""
                events.record(session, "live_source.start", source, by="schedule")
                changed.append((source.id, "start"))
        elif opened is None and source.schedule_window is not None:
            source.schedule_window = None
            if source.active:
                source.active = False
                events.record(session, "live_source.stop", source, by="schedule")
                changed.append((source.id, "stop"))
    return changed


def _time(text: str, part: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours > 23 or minutes > 59:
        raise InvalidInput(f"“{part[:60]}”: {text} is not a time of day (00:00 to 23:59).")
    return time(hours, minutes)


def _days(text: str, part: str) -> frozenset[int]:
    words = text.strip().lower()
    if words in ("daily", "every day"):
        return frozenset(range(7))
    days: set[int] = set()
    for item in (x.strip() for x in words.split(",")):
        ends = [e.strip()[:3] for e in item.split("-")]
        if not all(e in DAYS for e in ends) or len(ends) > 2:
            raise InvalidInput(f"“{part[:60]}”: say the days as Mon, Tue … Sun, a range (Mon-Fri) or “daily”.")
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        days.update((first + i) % 7 for i in range((last - first) % 7 + 1))
    return frozenset(days)

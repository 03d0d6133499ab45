"""Live sources the team follows: adding one (its link checked like any link Clipper fetches: a stream's
HLS playlist, or a page yt-dlp finds the stream on when the recorder starts), and turning its recorder on
and off (a recorder process acts on ``active``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from clipper.errors import InvalidInput, NotFound
from clipper.live import schedule as live_schedule
from clipper.models import LiveSource
from clipper.urls import AddressPolicy, check_url

MIN_SEGMENT, MAX_SEGMENT = 6.0, 120.0


def create_source(session: Session, *, name: object, url: object, channel: object = "",
                  segment_seconds: object = 30.0, policy: AddressPolicy, created_by_id: int | None = None,
                  schedule: object = "") -> LiveSource:
    name_text = str(name or "").strip()
    if not name_text or len(name_text) > 200 or "\x00" in name_text:
        raise InvalidInput("Give the live source a name of up to 200 characters (the programme or channel).")
    link = check_url(str(url or ""), policy)  # a playlist (.m3u8), or a page yt-dlp finds the stream on
    try:
        seconds = float(segment_seconds)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput("The segment length must be a number of seconds.") from None
    if isinstance(segment_seconds, bool) or not MIN_SEGMENT <= seconds <= MAX_SEGMENT:
        raise InvalidInput(f"Segments are {MIN_SEGMENT:.0f} to {MAX_SEGMENT:.0f} seconds long.")
    source = LiveSource(name=name_text, url=link, channel=str(channel or "").strip()[:200], segment_seconds=seconds,
                        created_by_id=created_by_id, schedule=_schedule(schedule))
    session.add(source)
    session.flush()
    return source


def get_source(session: Session, source_id: int) -> LiveSource:
    source = session.get(LiveSource, source_id)
    if source is None:
        raise NotFound(f"There is no live source {source_id}.")
    return source


def set_active(source: LiveSource, active: bool) -> None:
    if active and source.active:
        raise InvalidInput("This source is already recording.")
    source.active = active
    if active:
        source.status, source.error = "recording", ""


def set_schedule(source: LiveSource, schedule: object) -> None:
    """A new schedule (empty: none); it takes effect at the recorders' next look, within seconds."""
    source.schedule, source.schedule_window = _schedule(schedule), None


def _schedule(value: object) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"The schedule must be text, e.g. {live_schedule.EXAMPLE}.")
    text = live_schedule.normalise(value or "")
    if len(text) > 1000:
        raise InvalidInput("Keep the schedule under 1,000 characters.")
    return text

"""The recorder process for one live source (``clipper record SOURCE``): follows the stream, stores each
finished segment in object storage, appends it to the live recording and queues its transcription.

It supervises itself: a stalled or unreachable stream is retried with a short back-off (the air it
missed is recorded as a gap), and after ``GIVE_UP_SECONDS`` in which every attempt failed it stops
with a clear status on the source. Clearing the source's ``active`` flag (Stop in the UI) stops it cleanly.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from clipper.errors import ClipperError
from clipper.live import pages, schedule
from clipper.live.recorder import DiskFull, Recorder, RecorderOptions, SegmentFile, StreamStalled
from clipper.models import LiveSegment, LiveSource, Recording, utcnow
from clipper.netguard import Guard, GuardedYoutubeDL
from clipper.probe import Limits, probe
from clipper.urls import AddressPolicy, check_url
from workers import queues
from workers.context import Context

log = logging.getLogger(__name__)
GIVE_UP_SECONDS = 120.0  # a stream down this long (every retry failing) is not coming back by itself
BACKOFF = (1.0, 2.0, 4.0, 5.0)  # short: every second waited is air not recorded


def record(ctx: Context, source_id: int, *, should_stop: Callable[[], bool] | None = None,
           sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> str:
    """Record ``source_id`` until its stream ends, it is stopped, or it fails for good; returns the status."""
    stop = should_stop or (lambda: not _active(ctx, source_id))
    recording_id = _live_recording(ctx, source_id)
    failures, failing_since, ended = 0, 0.0, False
    while not stop():
        before = _segment_count(ctx, recording_id)
        try:
            outcome = _run_once(ctx, source_id, recording_id, stop)
            ended = outcome == "ended"
            break
        except ClipperError as exc:
            if _segment_count(ctx, recording_id) > before or not failures:
                failures, failing_since = 0, clock()  # it recorded something since the last failure
            failures += 1
            if clock() - failing_since >= GIVE_UP_SECONDS or _permanent(exc):
                advice = "" if isinstance(exc, DiskFull) else " Check the stream's link, then start it again."
                _set(ctx, source_id, "failed", f"Recording stopped: {exc.message}{advice}", active=False)
                break
            _set(ctx, source_id, "retrying", f"{exc.message} Trying again.")
            log.warning("live source %s: %s (attempt %d)", source_id, exc.message, failures)
            sleep(BACKOFF[min(failures - 1, len(BACKOFF) - 1)])
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        if source is not None and source.status != "failed":
            source.status, source.error, source.active = ("ended" if ended else "idle"), "", False
        session.commit()
        status = source.status if source else "gone"
    queues.enqueue_live_finish(ctx.redis, recording_id)  # the tail of the transcript, and the original
    return status


def _run_once(ctx: Context, source_id: int, recording_id: int, stop: Callable[[], bool]) -> str:
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        assert source is not None
        url, seconds = source.url, source.segment_seconds
        last = session.scalars(select(LiveSegment).where(LiveSegment.recording_id == recording_id)
                               .order_by(LiveSegment.idx.desc()).limit(1)).first()
        start_index, start_offset = (last.idx + 1, last.end) if last else (0, 0.0)
        # Air missed while the recorder was down (wall clock since the last segment's end).
        gap = max(0.0, (utcnow() - last.aired_at).total_seconds() - last.duration) if last else 0.0
        source.status, source.error = "recording", ""
        session.commit()
    policy = AddressPolicy(ctx.settings.url_allowed_hosts)
    guard = Guard(policy)
    work = ctx.workdir(f"record-{source_id}")
    with GuardedYoutubeDL({"quiet": True, "no_warnings": True, "noplaylist": True, "cachedir": False,
                           "proxy": ""}, guard=guard) as ydl:

        def fetch(link: str) -> bytes:
            check_url(link, policy)  # every playlist and piece host, not only the first link
            try:
                with ydl.urlopen(link) as response:
                    return bytes(response.read())
            except ClipperError:
                raise
            except Exception as exc:  # network errors: the supervisor above retries
                raise StreamUnavailable(guard.stopped.message if guard.stopped else _reason(exc)) from None

        if not pages.is_manifest(url):  # a page around the stream: yt-dlp names its playlist
            try:
                url = pages.stream_of_page(ydl, url)
            except pages.NoStreamOnPage:
                if guard.stopped:  # yt-dlp hides why a link failed: the address rules refused one
                    raise guard.stopped from None
                raise
            check_url(url, policy)
        recorder = Recorder(url, Path(work), fetch, lambda seg: _store(ctx, recording_id, seg),
                            RecorderOptions(segment_seconds=seconds, stall_seconds=max(3 * seconds, 20.0),
                                            min_free_bytes=ctx.settings.live_min_free_mb * 1024**2),
                            start_index=start_index, start_offset=start_offset, gap_before=gap)
        return recorder.run(stop)


class StreamUnavailable(ClipperError):
    status = 502


def _permanent(exc: ClipperError) -> bool:
    """A link the address rules refuse, or that is no playlist, will not get better by waiting."""
    return not isinstance(exc, StreamUnavailable | StreamStalled)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return f"The stream could not be read ({text[:200]})."


def _store(ctx: Context, recording_id: int, seg: SegmentFile) -> None:
    """Keep a finished segment: checked to be media first; one that is not is a recorded hole, never stored."""
    key, error, info = f"recordings/{recording_id}/live/{seg.index:06d}{seg.path.suffix}", "", None
    try:
        info = probe(seg.path, Limits(max_duration=seg.duration + 60, max_width=ctx.settings.max_width,
                                      max_height=ctx.settings.max_height, max_streams=ctx.settings.max_streams))
        ctx.store.put_file(key, seg.path, content_type="video/mp4" if seg.path.suffix == ".mp4" else "video/mp2t")
    except ClipperError as exc:
        if not exc.expected:
            raise
        key, error = "", f"This part of the stream was not media we can read: {exc.message}"[:2000]
        log.warning("live recording %s: segment %s set aside: %s", recording_id, seg.index, exc.message)
    finally:
        seg.path.unlink(missing_ok=True)
    with ctx.sessions() as session:
        session.add(LiveSegment(recording_id=recording_id, idx=seg.index, start=seg.start, duration=seg.duration,
                                gap_before=seg.gap_before, aired_at=seg.aired_at.replace(tzinfo=None),
                                storage_key=key, status="failed" if error else "stored", error=error))
        recording = session.get(Recording, recording_id)
        assert recording is not None
        recording.duration = seg.start + seg.duration
        if info is not None and not recording.probe:
            recording.probe = info.to_dict()  # the desk knows from the first segment if there is a picture
        session.commit()
    if not error:
        queues.enqueue_live_transcription(ctx.redis, recording_id, seg.index)


def _live_recording(ctx: Context, source_id: int) -> int:
    """The source's live recording: the one it is recording, or a new one."""
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        if source is None:
            raise SystemExit(f"There is no live source {source_id}.")
        current = session.get(Recording, source.recording_id) if source.recording_id else None
        if current is None or current.status != "live":
            now = datetime.now(UTC).replace(tzinfo=None)
            current = Recording(title=f"{source.name or 'Live'} — {now:%Y-%m-%d %H:%M}", source="live",
                                source_url=source.url, channel=source.channel, aired_at=now, status="live",
                                created_by_id=source.created_by_id)
            session.add(current)
            session.flush()
            source.recording_id = current.id
        source.active = True
        session.commit()
        return current.id


def _segment_count(ctx: Context, recording_id: int) -> int:
    with ctx.sessions() as session:
        return int(session.scalar(select(func.count(LiveSegment.id)).where(LiveSegment.recording_id == recording_id))
                   or 0)


def _active(ctx: Context, source_id: int) -> bool:
    with ctx.sessions() as session:
        return bool(session.scalar(select(LiveSource.active).where(LiveSource.id == source_id)))


def _set(ctx: Context, source_id: int, status: str, error: str, *, active: bool | None = None) -> None:
    with ctx.sessions() as session:
        source = session.get(LiveSource, source_id)
        if source is not None:
            source.status, source.error = status, error[:2000]
            if active is not None:
                source.active = active
            session.commit()


def run_recorders(ctx: Context, *, stop: Callable[[], bool], every: float = 3.0) -> None:
    """Keep one recorder thread per active live source (``clipper recorders``; ``clipper up`` runs it),
    starting and stopping scheduled sources as their windows open and close."""
    import threading

    running: dict[int, threading.Thread] = {}
    while not stop():
        with ctx.sessions() as session:
            for source_id, action in schedule.apply(session, utcnow(), ctx.settings.timezone):
                log.info("live source %s: %s by its schedule", source_id, action)
            session.commit()
            active = session.scalars(select(LiveSource.id).where(LiveSource.active.is_(True))).all()
        for source_id in active:
            if source_id not in running or not running[source_id].is_alive():
                thread = threading.Thread(target=_record_logged, args=(ctx, source_id, stop), daemon=True,
                                          name=f"recorder-{source_id}")
                running[source_id] = thread
                thread.start()
        time.sleep(every)
    for thread in running.values():
        thread.join(timeout=30)


def _record_logged(ctx: Context, source_id: int, stop: Callable[[], bool]) -> None:
    try:
        status = record(ctx, source_id, should_stop=lambda: stop() or not _active(ctx, source_id))
        log.info("live source %s: %s", source_id, status)
    except Exception:  # one source's failure never stops the others
        log.exception("live source %s: recorder crashed", source_id)
        _set(ctx, source_id, "failed", "The recorder stopped on an internal error; an admin can see the log.",
             active=False)

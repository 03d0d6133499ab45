"""Re-queue work the database says is waiting but Redis has lost (a flushed or restarted Redis without
AOF, a failover, an operator's mistake).

The database is the record of truth: a recording that says "queued", "ingesting" or "transcribing", or
a render that says "queued" or "rendering" (or an approved clip with no render yet), must have a job. Every worker runs this during RQ's
maintenance (a Redis lock lets one of them do it per interval); jobs have deterministic ids, so
re-queueing work that is in fact waiting does nothing, and jobs resume from what they stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import select
from sqlalchemy.orm import Session

from clipper.models import Clip, Recording, Render, utcnow
from workers import queues

log = logging.getLogger(__name__)
LOCK = "clipper:reconciler"
# Work younger than this may still be on its way into the queue (the web app commits, then enqueues).
GRACE = timedelta(seconds=30)


@dataclass(frozen=True)
class Requeued:
    recordings: tuple[int, ...]
    clips: tuple[int, ...]


def reconcile(session: Session, conn: redis.Redis) -> Requeued:
    """Queue again every recording and clip whose record waits on a job Redis no longer has."""
    cutoff = utcnow() - GRACE
    recordings, clips = [], []
    waiting = session.scalars(select(Recording).where(
        Recording.status.in_(("queued", "ingesting", "transcribing")), Recording.updated_at < cutoff))
    for rec in waiting:
        stage: tuple[str, Callable[[redis.Redis, int], Job]] = (
            ("transcribe", queues.enqueue_transcribe) if rec.status == "transcribing" else ("ingest", queues.enqueue_ingest))
        if _lost(conn, f"{stage[0]}-recording-{rec.id}"):
            stage[1](conn, rec.id)
            recordings.append(rec.id)
    unfinished = session.scalars(select(Render.clip_id).where(Render.status.in_(("queued", "rendering")),
                                                             Render.updated_at < cutoff))
    # An approval queues the render job, which makes the render rows: approved with no rows yet is waiting too.
    unstarted = session.scalars(select(Clip.id).where(Clip.status == "approved", Clip.updated_at < cutoff,
                                                      ~Clip.renders.any()))
    for clip_id in sorted({*unfinished, *unstarted}):
        if _lost(conn, f"render-clip-{clip_id}"):
            queues.enqueue_render(conn, clip_id)
            clips.append(clip_id)
    if recordings or clips:
        log.warning("re-queued work Redis had lost: recordings %s, clips %s", recordings, clips)
    return Requeued(tuple(recordings), tuple(clips))


def _lost(conn: redis.Redis, job_id: str) -> bool:
    """Redis has no such job at all. A job it still has is waiting, running, or failed for good - and a
    failed one is the System page's to retry, never re-queued here in a loop."""
    try:
        Job.fetch(job_id, connection=conn)
    except NoSuchJobError:
        return True
    return False


def reconcile_once_per(session_factory: Callable[[], Session], conn: redis.Redis, seconds: int) -> Requeued | None:
    """Run ``reconcile`` unless another worker did within ``seconds``."""
    if not conn.set(LOCK, "1", nx=True, ex=max(1, seconds)):
        return None
    with session_factory() as session:
        return reconcile(session, conn)

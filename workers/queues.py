"""Queue names and what each job declares: timeout, retries, how long results are kept.

One place decides how every job is enqueued, with deterministic job ids (``render-clip-12``), so the
same work asked for twice while it is still waiting runs once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from workers import logs

INGEST, TRANSCRIBE, RENDER, PUBLISH = "ingest", "transcribe", "render", "publish"
QUEUES = (INGEST, TRANSCRIBE, RENDER, PUBLISH)


@dataclass(frozen=True)
class JobKind:
    queue: str
    func: str
    timeout: int
    retries: int = 0
    retry_interval: int = 30
    result_ttl: int = 7 * 24 * 3600
    failure_ttl: int = 30 * 24 * 3600


INGEST_RECORDING = JobKind(INGEST, "workers.jobs.ingest_recording", timeout=3 * 3600, retries=2)
TRANSCRIBE_RECORDING = JobKind(TRANSCRIBE, "workers.jobs.transcribe_recording", timeout=6 * 3600, retries=2)
RENDER_CLIP = JobKind(RENDER, "workers.jobs.render_clip", timeout=3600, retries=2)
# A rough preview (stream copy, seconds) the full render later replaces at the same link.
PREVIEW_CLIP = JobKind(RENDER, "workers.jobs.render.preview_clip", timeout=600, retries=1)
# A live recording: each stored segment queues a run that transcribes what is new (one at a time per
# recording); the last one, when the stream has ended, also makes the joined segments the original.
TRANSCRIBE_LIVE = JobKind(TRANSCRIBE, "workers.jobs.live.transcribe_live", timeout=3600, retries=2, retry_interval=10)
# A matched alert sent to its webhook (the payload carries the hit id, so a retried delivery can be deduped).
DELIVER_ALERT = JobKind(PUBLISH, "workers.jobs.alerts.deliver_alert", timeout=60, retries=3, retry_interval=5)
# The browser proxy runs beside transcription (ingest queue); it never changes the recording's status.
MAKE_PROXY = JobKind(INGEST, "workers.jobs.proxy.make_proxy", timeout=3 * 3600, retries=1)
# Posts: no RQ retries — the post's own state machine decides (clipper/posts.py), and one job id per
# post, scheduled at its time with RQ's scheduler (the sweep re-queues what Redis lost).
PUBLISH_POST = JobKind(PUBLISH, "workers.jobs.publish.publish_post", timeout=600)


def enqueue(conn: redis.Redis, kind: JobKind, job_id: str, *args: object, **kwargs: object) -> Job:
    """Enqueue ``kind`` unless a job with ``job_id`` is already waiting or running."""
    try:
        existing = Job.fetch(job_id, connection=conn)
        if existing.get_status(refresh=True) in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED,
                                                 JobStatus.SCHEDULED):
            return existing
    except NoSuchJobError:
        pass
    queue = Queue(kind.queue, connection=conn)
    retry = Retry(max=kind.retries, interval=kind.retry_interval) if kind.retries else None
    meta = {"request_id": logs.request_id.get()} if logs.request_id.get() else None  # followed into the worker's logs
    return queue.enqueue_call(
        kind.func, args=args, kwargs=kwargs, job_id=job_id, timeout=kind.timeout,
        result_ttl=kind.result_ttl, failure_ttl=kind.failure_ttl, retry=retry, meta=meta,
    )


def enqueue_ingest(conn: redis.Redis, recording_id: int) -> Job:
    return enqueue(conn, INGEST_RECORDING, f"ingest-recording-{recording_id}", recording_id)


def enqueue_transcribe(conn: redis.Redis, recording_id: int) -> Job:
    return enqueue(conn, TRANSCRIBE_RECORDING, f"transcribe-recording-{recording_id}", recording_id)


def enqueue_proxy(conn: redis.Redis, recording_id: int) -> Job:
    return enqueue(conn, MAKE_PROXY, f"proxy-recording-{recording_id}", recording_id)


def enqueue_render(conn: redis.Redis, clip_id: int) -> Job:
    return enqueue(conn, RENDER_CLIP, f"render-clip-{clip_id}", clip_id)


def enqueue_live_transcription(conn: redis.Redis, recording_id: int, segment: int) -> Job:
    return enqueue(conn, TRANSCRIBE_LIVE, f"live-transcribe-{recording_id}-{segment}", recording_id)


def enqueue_live_finish(conn: redis.Redis, recording_id: int) -> Job:
    return enqueue(conn, TRANSCRIBE_LIVE, f"live-finish-{recording_id}", recording_id, final=True)


def enqueue_alert_delivery(conn: redis.Redis, hit_id: int) -> Job:
    return enqueue(conn, DELIVER_ALERT, f"alert-hit-{hit_id}", hit_id)


def enqueue_preview(conn: redis.Redis, clip_id: int) -> Job:
    return enqueue(conn, PREVIEW_CLIP, f"preview-clip-{clip_id}", clip_id)


def publish_job_id(post_id: int) -> str:
    return f"publish-post-{post_id}"


def enqueue_publish(conn: redis.Redis, post_id: int, at: datetime | None = None) -> Job:
    """Queue a post's job now, or at ``at`` (naive UTC or aware) with RQ's scheduler.

    Enqueueing again moves the one job (same id); a job that runs early or twice does nothing, because
    the post itself is claimed with a compare-and-set (clipper/posts.py)."""
    kind, job_id = PUBLISH_POST, publish_job_id(post_id)
    queue = Queue(kind.queue, connection=conn)
    options = {"job_id": job_id, "job_timeout": kind.timeout, "result_ttl": kind.result_ttl,
               "failure_ttl": kind.failure_ttl}
    when = at.replace(tzinfo=UTC) if at is not None and at.tzinfo is None else at
    if when is not None and when > datetime.now(UTC):
        return queue.enqueue_at(when, kind.func, post_id, **options)
    ScheduledJobRegistry(queue=queue).remove(job_id)
    return queue.enqueue(kind.func, post_id, **options)


def publish_waiting(conn: redis.Redis, post_id: int) -> bool:
    """Whether Redis still holds a job that will run this post (queued, scheduled or running)."""
    job_id = publish_job_id(post_id)
    queue = Queue(PUBLISH, connection=conn)
    if conn.zscore(ScheduledJobRegistry(queue=queue).key, job_id) is not None:
        return True
    try:
        status = Job.fetch(job_id, connection=conn).get_status(refresh=True)
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED)


def job_state(conn: redis.Redis, job_id: str) -> dict[str, object]:
    """The stable ``{id, status, error, progress}`` shape the API returns for a job."""
    try:
        job = Job.fetch(job_id, connection=conn)
    except NoSuchJobError:
        return {"id": job_id, "status": "unknown", "error": None, "progress": None}
    status = job.get_status(refresh=True)
    error = None
    if status == JobStatus.FAILED:
        result = job.latest_result()
        error = (result.exc_string or "").strip().splitlines()[-1] if result and result.exc_string else "failed"
    progress = job.meta.get("progress")
    if progress is None and status == JobStatus.STARTED:
        progress = 0.0  # running, nothing reported yet
    return {"id": job.id, "status": str(status.value if status else "unknown"), "error": error,
            "progress": progress}

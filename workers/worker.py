"""The worker entry point: ``clipper worker [QUEUE...]``."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from rq import Queue, SimpleWorker, Worker
from rq.job import Job

from clipper.settings import Settings
from workers import context, logs, metrics, reconciler
from workers.queues import PUBLISH, QUEUES
from workers.redis import connect

log = logging.getLogger(__name__)


class JobFigures:
    """Runs each job inside its log context (job and request ids) and records its figures in Redis."""

    def perform_job(self, job: Job, queue: Queue, *args: Any, **kwargs: Any) -> bool:
        conn = self.connection  # type: ignore[attr-defined]
        with logs.bound(request=str(job.meta.get("request_id") or ""), job=job.id):
            metrics.job_started(conn, queue.name)
            began = time.monotonic()
            ok: bool = super().perform_job(job, queue, *args, **kwargs)  # type: ignore[misc]
            seconds = time.monotonic() - began
            metrics.job_ended(conn, queue.name, ok, seconds)
            stage = metrics.MEDIA_STAGES.get(job.func_name)
            if ok and stage:
                metrics.media_speed(conn, stage, seconds, _media_seconds(job))
            return ok


def _media_seconds(job: Job) -> float:
    """The length of the clip or recording a job worked on (0 when it cannot be told)."""
    from clipper.models import Clip, Recording

    try:
        with context.current().sessions() as session:
            model = Clip if job.func_name.endswith("render_clip") else Recording
            row = session.get(model, int(job.args[0]))
            if row is None:
                return 0.0
            return float(row.end - row.start) if isinstance(row, Clip) else float(row.duration or 0.0)
    except Exception:  # figures must never fail a job that succeeded
        log.warning("could not read the media length of job %s", job.id, exc_info=True)
        return 0.0


class ClipperWorker(JobFigures, Worker):
    """RQ's forking worker, with our log context and job figures; its maintenance also re-queues lost work,
    and on workers serving ``publish``, posts that are due or scheduled but whose jobs Redis lost, and posts
    left ``sending`` by a worker that died (they are checked with the platform, not sent again)."""

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        try:
            reconciler.reconcile_once_per(context.current().sessions, self.connection, self.maintenance_interval)
        except Exception:  # the database may be restarting: try again next time, keep working meanwhile
            log.warning("could not look for lost work", exc_info=True)
        if PUBLISH in self.queue_names():
            from workers.jobs.publish import sweep_once_per

            try:
                sweep_once_per(self.maintenance_interval)
            except Exception:  # the worker must keep working; the next tick tries again
                log.warning("could not look for posts Redis lost", exc_info=True)


class ClipperSimpleWorker(JobFigures, SimpleWorker):
    """The same, running jobs in its own process (tests, ``--burst`` runs)."""


def run_worker(settings: Settings, redis_url: str, queue_names: Sequence[str] = (), *, burst: bool = False) -> bool:
    names = list(queue_names) or list(QUEUES)
    unknown = [n for n in names if n not in QUEUES]
    if unknown:
        raise SystemExit(f"Unknown queue {unknown[0]!r}: choose from {', '.join(QUEUES)}.")
    logs.configure(settings.log_format)
    context.configure(settings, redis_url)
    conn = connect(redis_url)
    queues = [Queue(n, connection=conn) for n in names]
    if PUBLISH in names:
        import workers.jobs.publish  # noqa: F401 - each job's work horse is forked: import once, here
    # Heartbeats every 10 s: a job whose worker died is "abandoned" 70 s after its last one, and the next
    # maintenance pass retries it (jobs declare retries). An idle worker only gets to maintenance when its
    # wait for work times out (worker_ttl - 15 s), so that wait is kept to worker_recovery_seconds.
    every = max(1, settings.worker_recovery_seconds)
    worker = ClipperWorker(queues, connection=conn, job_monitoring_interval=10, maintenance_interval=every,
                    worker_ttl=every + 15)
    return worker.work(burst=burst, with_scheduler=True)

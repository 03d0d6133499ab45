"""The worker entry point: ``clipper worker [QUEUE...]``."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from rq import Queue, Worker

from clipper.settings import Settings
from workers import context
from workers.queues import PUBLISH, QUEUES
from workers.redis import connect

log = logging.getLogger(__name__)


class ClipperWorker(Worker):
    """RQ's worker, plus the publish sweep on its maintenance tick (every worker_recovery_seconds): posts
    that are due but whose jobs Redis lost (a flush, a restore, downtime) are queued again."""

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        if PUBLISH in self.queue_names():
            from workers.jobs.publish import sweep

            try:
                sweep()
            except Exception:  # the worker must keep working; the next tick tries again
                log.exception("publish sweep failed")


def run_worker(settings: Settings, redis_url: str, queue_names: Sequence[str] = (), *, burst: bool = False) -> bool:
    names = list(queue_names) or list(QUEUES)
    unknown = [n for n in names if n not in QUEUES]
    if unknown:
        raise SystemExit(f"Unknown queue {unknown[0]!r}: choose from {', '.join(QUEUES)}.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
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

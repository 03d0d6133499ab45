"""The worker entry point: ``clipper worker [QUEUE...]``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any

from rq import Queue, SimpleWorker, Worker
from rq.job import Job
from rq.worker import WorkerStatus

from clipper.settings import Settings
from workers import context, logs, metrics, reconciler
from workers.queues import PUBLISH, QUEUES, TRANSCRIBE
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


class SpeechWorker(ClipperWorker):
    """A worker that runs transcription jobs in its own process, where the speech model stays loaded.

    RQ forks a work horse per job, and the horse loaded the model again every time (5–7 s for any file).
    Loading it before forking does not work: CTranslate2's thread pool does not survive ``fork`` (the
    child hangs on its first decode). So transcribe jobs run here, like RQ's ``SimpleWorker``, with a
    thread keeping the heartbeats going meanwhile (a worker that dies mid-job is still found by the
    maintenance pass); every other job is still forked.
    """

    def execute_job(self, job: Job, queue: Queue) -> None:  # type: ignore[override]
        if job.origin != TRANSCRIBE:
            return super().execute_job(job, queue)  # type: ignore[no-any-return]
        execution = self.prepare_execution(job)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(self.job_monitoring_interval):
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception:  # a lost heartbeat must not kill the job; the next one may get through
                    log.warning("heartbeat failed", exc_info=True)

        beater = threading.Thread(target=beat, name="heartbeat", daemon=True)
        beater.start()
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            beater.join()
        self.set_state(WorkerStatus.IDLE)
        return None


def preload_speech(settings: Settings) -> None:
    """Load the speech model (and VAD and voice encoder) once, before the first job."""
    import numpy as np

    from clipper.speech import load_backend
    from clipper.speech.spans import speech_regions
    from workers.jobs.transcribe import speech_options

    load_backend(speech_options(settings)).model()  # type: ignore[attr-defined]
    speech_regions(np.zeros(16000, dtype=np.float32))
    if settings.whisper_speakers:
        from clipper.speech.voices import embed_many

        embed_many([np.zeros(16000, dtype=np.float32)])


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
    if TRANSCRIBE in names:
        preload_speech(settings)
    worker = SpeechWorker(queues, connection=conn, job_monitoring_interval=10, maintenance_interval=every,
                          worker_ttl=every + 15)
    return worker.work(burst=burst, with_scheduler=True)

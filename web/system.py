"""The admin "System" page: queues, workers, job figures and RQ's failed jobs (retry or delete)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from rq import Queue, Worker
from rq.exceptions import NoSuchJobError
from rq.job import Job

from clipper import events
from clipper.errors import NotFound
from web.auth import role_required
from web.db import redis_conn, session
from workers import metrics
from workers.queues import QUEUES

bp = Blueprint("system", __name__, url_prefix="/admin/system")
FAILED_SHOWN = 50


@dataclass(frozen=True)
class QueueRow:
    name: str
    waiting: int
    oldest_seconds: float
    running: int
    failed: int
    finished_total: int
    failed_total: int
    mean_seconds: float


@dataclass(frozen=True)
class FailedJob:
    id: str
    queue: str
    what: str
    ended_at: str
    error: str


@bp.get("/")
@role_required("admin")
def page() -> Any:
    conn = redis_conn()
    finished, failed = metrics.counters(conn, "finished"), metrics.counters(conn, "failed")
    durations = metrics.histograms(conn, "duration")
    rows, failures = [], []
    for name in QUEUES:
        queue = Queue(name, connection=conn)
        first = queue.get_jobs(0, 0)
        enqueued = first[0].enqueued_at if first and first[0] and first[0].enqueued_at else None
        h = durations.get(name)
        rows.append(QueueRow(name, queue.count, time.time() - enqueued.timestamp() if enqueued else 0.0,
                             queue.started_job_registry.count, queue.failed_job_registry.count,
                             finished.get(name, 0), failed.get(name, 0), h.total / h.count if h and h.count else 0.0))
        registry = queue.failed_job_registry
        for job in Job.fetch_many(registry.get_job_ids(0, FAILED_SHOWN - 1), connection=conn):
            if job is not None:
                failures.append(_failed(job, name))
    workers = Worker.all(connection=conn)
    return render_template("admin/system.html", queues=rows, failures=failures, workers=workers)


def _failed(job: Job, queue: str) -> FailedJob:
    result = job.latest_result()
    lines = (result.exc_string or "").strip().splitlines() if result and result.exc_string else []
    ended = job.ended_at.strftime("%Y-%m-%d %H:%M:%S UTC") if job.ended_at else ""
    what = f"{job.func_name.rsplit('.', 1)[-1]}({', '.join(map(str, job.args))})"
    return FailedJob(job.id, queue, what, ended, lines[-1][:300] if lines else "")


def _failed_job(job_id: str) -> Job:
    try:
        job = Job.fetch(job_id, connection=redis_conn())
    except NoSuchJobError:
        raise NotFound("That job is no longer kept: it was retried, deleted or expired.") from None
    if job.origin not in QUEUES or job.id not in Queue(job.origin, connection=redis_conn()).failed_job_registry:
        raise NotFound("That job is not in the failed list.")
    return job


@bp.post("/jobs/<job_id>/retry")
@role_required("admin")
def retry(job_id: str) -> Any:
    job = _failed_job(job_id)
    job.requeue()
    events.record(session(), "job.retried", None, user_id=current_user.id, job=job.id)
    session().commit()
    flash(f"Job {job.id} is queued again.")
    return redirect(url_for("system.page"))


@bp.post("/jobs/<job_id>/delete")
@role_required("admin")
def delete(job_id: str) -> Any:
    job = _failed_job(job_id)
    job.delete()
    events.record(session(), "job.deleted", None, user_id=current_user.id, job=job_id)
    session().commit()
    flash(f"Job {job_id} is deleted.")
    return redirect(url_for("system.page"))

"""``/metrics`` in Prometheus's text format, and the request timing and ids behind it.

Queue lengths and ages, job counts and durations (recorded by every worker in Redis, see
``workers.metrics``), recordings and clips by status, render and transcription speed, and this web
process's request latencies. Readable by Prometheus with ``CLIPPER_METRICS_TOKEN``, by admins, and
from this machine.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from rq import Queue
from sqlalchemy import func, select

from clipper.models import Clip, Recording
from web.auth import public
from web.db import redis_conn, session, settings
from workers import logs, metrics
from workers.queues import QUEUES

bp = Blueprint("metrics", __name__)
access_log = logging.getLogger("clipper.web")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@bp.get("/metrics")
@public
def scrape() -> Any:
    if not _may_read():
        abort(403, description="Send CLIPPER_METRICS_TOKEN as a bearer token, or log in as an admin.")
    return Response(generate_latest(current_app.extensions["clipper.metrics"]), content_type=CONTENT_TYPE_LATEST)


def _may_read() -> bool:
    token = settings().metrics_token
    offered = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if token and hmac.compare_digest(offered.encode(), token.encode()):
        return True
    if current_user.is_authenticated and current_user.has_role("admin"):
        return True
    try:  # the direct peer, never a forwarded header: a proxy in front makes every request remote
        return ipaddress.ip_address(request.environ.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


class ClusterFigures(Collector):
    """Figures read from Redis and the database at each scrape: the same from every web host."""

    def collect(self) -> Iterator[Any]:
        conn = redis_conn()
        length = GaugeMetricFamily("clipper_queue_length", "Jobs waiting in a queue.", labels=["queue"])
        age = GaugeMetricFamily("clipper_queue_oldest_age_seconds", "How long the oldest waiting job has waited.",
                                labels=["queue"])
        running = GaugeMetricFamily("clipper_jobs_running", "Jobs running now.", labels=["queue"])
        failed_now = GaugeMetricFamily("clipper_jobs_failed_registry", "Failed jobs kept for retry or deletion.",
                                       labels=["queue"])
        now = time.time()
        for name in QUEUES:
            queue = Queue(name, connection=conn)
            length.add_metric([name], queue.count)
            first = queue.get_jobs(0, 0)
            enqueued = first[0].enqueued_at if first and first[0] and first[0].enqueued_at else None
            age.add_metric([name], max(0.0, now - enqueued.timestamp()) if enqueued else 0.0)
            running.add_metric([name], queue.started_job_registry.count)
            failed_now.add_metric([name], queue.failed_job_registry.count)
        yield from (length, age, running, failed_now)
        for name, help_text in (("started", "Jobs started."), ("finished", "Jobs that finished."),
                                ("failed", "Job runs that failed (each retry counts).")):
            family = CounterMetricFamily(f"clipper_jobs_{name}", help_text, labels=["queue"])
            counts = metrics.counters(conn, name)
            for queue_name in QUEUES:
                family.add_metric([queue_name], counts.get(queue_name, 0))
            yield family
        yield _histogram("clipper_job_duration_seconds", "How long jobs ran.", "queue", metrics.histograms(conn, "duration"))
        yield _histogram("clipper_realtime_factor", "Seconds of work per second of media (renders, transcription).",
                         "stage", metrics.histograms(conn, "rtf"))
        yield from _records()


def _histogram(name: str, help_text: str, label: str, found: dict[str, metrics.Histogram]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(name, help_text, labels=[label])
    for value, h in sorted(found.items()):
        buckets = [("+Inf" if bound == float("inf") else str(bound), count) for bound, count in h.buckets]
        family.add_metric([value], buckets, sum_value=h.total)
    return family


def _records() -> Iterator[GaugeMetricFamily]:
    for model, name in ((Recording, "recordings"), (Clip, "clips")):
        family = GaugeMetricFamily(f"clipper_{name}", f"{name.title()} by status.", labels=["status"])
        rows = session().execute(select(model.status, func.count()).group_by(model.status))
        for status, count in rows:
            family.add_metric([status], count)
        yield family
    session().rollback()  # a scrape never holds a transaction open


def record(app: Flask, method: str, endpoint: str, path: str, status: int, seconds: float) -> None:
    """Time and log one answered request (endpoints, not paths, label the histogram: bounded values)."""
    app.extensions["clipper.latency"].labels(method, endpoint, str(status)).observe(seconds)
    access_log.info("%s %s %s %.1f ms", method, path, status, seconds * 1000,
                    extra={"method": method, "path": path, "status": status, "duration_ms": round(seconds * 1000, 1)})


def init_app(app: Flask) -> None:
    """Per-app registry (tests build many apps), request timing and request ids."""
    registry = CollectorRegistry()
    registry.register(ClusterFigures())
    latency = Histogram("clipper_http_request_duration_seconds", "Time to answer HTTP requests (this process).",
                        ["method", "endpoint", "status"], registry=registry, buckets=LATENCY_BUCKETS)
    app.extensions["clipper.metrics"] = registry
    app.extensions["clipper.latency"] = latency

    @app.before_request
    def _start() -> None:
        g.request_started = time.perf_counter()
        g.request_id = logs.new_request_id(request.headers.get("X-Request-ID"))
        g.request_log = logs.request_id.set(g.request_id)

    @app.after_request
    def _finish(response: Response) -> Response:
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        record(app, request.method, request.endpoint or "unmatched", request.path, response.status_code, seconds)
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response

    @app.teardown_request
    def _forget(_: BaseException | None) -> None:
        token = g.pop("request_log", None)
        if token is not None:
            logs.request_id.reset(token)

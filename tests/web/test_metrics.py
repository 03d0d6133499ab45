"""/metrics (Prometheus), request ids carried into jobs and logs, and the admin System page."""

from __future__ import annotations

import dataclasses
import io
import json
import logging

from prometheus_client.parser import text_string_to_metric_families
from rq import Queue

from tests.conftest import make_user
from tests.web.forms import logged_in, post_form
from workers import logs, queues
from workers.redis import connect
from workers.worker import ClipperSimpleWorker


def _figures(client, **kwargs) -> dict[tuple[str, tuple], float]:
    response = client.get("/metrics", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type.startswith("text/plain")
    found = {}
    for family in text_string_to_metric_families(response.get_data(as_text=True)):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _fail_for_good(redis_url: str, recording_id: int) -> None:
    """An ingest job for a recording that does not exist, with no retries left: it ends in the failed list."""
    once = dataclasses.replace(queues.INGEST_RECORDING, retries=0)
    queues.enqueue(connect(redis_url), once, f"ingest-recording-{recording_id}", recording_id)
    _work(redis_url, "ingest")


def _work(redis_url: str, *names: str) -> None:
    conn = connect(redis_url)
    ClipperSimpleWorker([Queue(n, connection=conn) for n in names], connection=conn).work(burst=True)


def test_metrics_parse_and_move_as_jobs_run(client, auth, redis_url) -> None:
    before = _figures(client)
    assert before[("clipper_queue_length", (("queue", "ingest"),))] == 0
    assert before[("clipper_jobs_finished_total", (("queue", "ingest"),))] == 0

    resp = client.post("/api/v1/recordings", headers=auth, data={"title": "t", "file": (io.BytesIO(b""), "a.mp4")})
    assert resp.status_code == 202
    waiting = _figures(client)
    assert waiting[("clipper_queue_length", (("queue", "ingest"),))] == 1
    assert waiting[("clipper_recordings", (("status", "queued"),))] == 1

    _work(redis_url, "ingest")
    after = _figures(client)
    assert after[("clipper_queue_length", (("queue", "ingest"),))] == 0
    assert after[("clipper_jobs_started_total", (("queue", "ingest"),))] == 1
    assert after[("clipper_jobs_finished_total", (("queue", "ingest"),))] == 1
    assert after[("clipper_job_duration_seconds_count", (("queue", "ingest"),))] == 1
    assert after[("clipper_recordings", (("status", "failed"),))] == 1  # an empty file: a clear failure, not a crash
    assert after[("clipper_http_request_duration_seconds_count",
                  (("endpoint", "api.create_recording"), ("method", "POST"), ("status", "202")))] == 1


def test_a_failing_job_is_counted_and_kept(client, redis_url) -> None:
    _fail_for_good(redis_url, 999_999)
    figures = _figures(client)
    assert figures[("clipper_jobs_failed_total", (("queue", "ingest"),))] >= 1
    assert figures[("clipper_jobs_failed_registry", (("queue", "ingest"),))] == 1


def test_metrics_are_not_for_everyone(app, ctx) -> None:
    remote = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    client = app.test_client()
    assert client.get("/metrics", **remote).status_code == 403
    _, volunteer = make_user(ctx, "v@example.org", "volunteer")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {volunteer}"}, **remote).status_code == 403
    _, admin = make_user(ctx, "a@example.org", "admin")
    assert client.get("/metrics", headers={"Authorization": f"Bearer {admin}"}, **remote).status_code == 200


def test_metrics_token_lets_prometheus_in(tmp_path, sqlite_url, redis_url) -> None:
    from clipper.settings import Settings
    from web import create_app

    settings = Settings.from_env({"CLIPPER_METRICS_TOKEN": "scrape-me-please"}, data_dir=tmp_path / "d",
                                 database_url=sqlite_url, secret_key="s")
    client = create_app(settings, redis_url).test_client()
    remote = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}, **remote).status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-me-please"}, **remote).status_code == 200


def test_request_id_is_echoed_and_follows_the_job(client, auth, redis_url) -> None:
    resp = client.post("/api/v1/recordings", headers=auth | {"X-Request-ID": "edge-1234abcd"},
                       data={"title": "t", "file": (io.BytesIO(b""), "a.mp4")})
    assert resp.headers["X-Request-ID"] == "edge-1234abcd"
    forged = client.get("/healthz", headers={"X-Request-ID": "x\" level=error"})
    assert forged.headers["X-Request-ID"] != "x\" level=error" and len(forged.headers["X-Request-ID"]) == 32

    job = Queue("ingest", connection=connect(redis_url)).get_jobs()[0]
    assert job.meta["request_id"] == "edge-1234abcd"

    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(logs.JsonFormatter().format(record))

    handler = Capture()
    logging.getLogger().addHandler(handler)
    try:
        _work(redis_url, "ingest")
    finally:
        logging.getLogger().removeHandler(handler)
    mine = [json.loads(line) for line in lines if "edge-1234abcd" in line]
    assert mine, "the worker's log lines for the job carry the request id"
    assert all(line["job_id"] == job.id for line in mine)


def test_system_page_lists_failed_jobs_and_retries_or_deletes_them(client, ctx, redis_url) -> None:
    conn = connect(redis_url)
    _fail_for_good(redis_url, 999_998)
    _fail_for_good(redis_url, 999_999)
    logged_in(client, ctx, "admin")
    page = client.get("/admin/system/").get_data(as_text=True)
    assert "ingest-recording-999998" in page and "ingest-recording-999999" in page
    assert "Recording 999998 does not exist." in page  # the last line of the error, for the operator
    assert "No worker is running" in page

    assert post_form(client, "/admin/system/jobs/ingest-recording-999998/retry").status_code == 302
    assert Queue("ingest", connection=conn).count == 1
    assert post_form(client, "/admin/system/jobs/ingest-recording-999999/delete").status_code == 302
    page = client.get("/admin/system/").get_data(as_text=True)
    assert "Job ingest-recording-999999 is deleted." in page
    assert 'data-job="ingest-recording-999999"' not in page
    missing = post_form(client, "/admin/system/jobs/ingest-recording-999999/delete")
    assert missing.status_code == 404


def test_volunteers_cannot_retry_jobs(client, ctx, redis_url) -> None:
    _fail_for_good(redis_url, 999_997)
    logged_in(client, ctx, "volunteer")
    assert post_form(client, "/admin/system/jobs/ingest-recording-999997/retry").status_code == 403
    assert Queue("ingest", connection=connect(redis_url)).failed_job_registry.count == 1

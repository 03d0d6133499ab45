"""Job figures every host shares: counters and duration histograms kept in Redis.

Workers on different hosts record each job they run here (``record_job``); any web process turns
them into Prometheus metrics at scrape time (``web.metrics``). Keeping them in Redis rather than in
process memory means one scrape of any web host sees the whole cluster, and a restarted worker loses
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

PREFIX = "clipper:metrics"
# Seconds; jobs range from a second (publish, preview) to hours (a long transcription).
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 3 * 3600)
# Real-time factor: seconds of work per second of media (under 1 is faster than real time).
RTF_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8)
# Which jobs have a media length to divide by, and the stage name their real-time factor is filed under.
MEDIA_STAGES = {"workers.jobs.render_clip": "render", "workers.jobs.transcribe_recording": "transcription"}


@dataclass(frozen=True)
class Histogram:
    buckets: tuple[tuple[float, int], ...]  # (upper bound, cumulative count), +Inf last
    count: int
    total: float


def _key(*parts: str) -> str:
    return ":".join((PREFIX, *parts))


def job_started(conn: redis.Redis, queue: str) -> None:
    conn.hincrby(_key("started"), queue, 1)


def job_ended(conn: redis.Redis, queue: str, ok: bool, seconds: float) -> None:
    with conn.pipeline() as pipe:
        pipe.hincrby(_key("finished" if ok else "failed"), queue, 1)
        _observe(pipe, _key("duration", queue), DURATION_BUCKETS, seconds)
        pipe.execute()


def media_speed(conn: redis.Redis, stage: str, work_seconds: float, media_seconds: float) -> None:
    if media_seconds <= 0:
        return
    with conn.pipeline() as pipe:
        _observe(pipe, _key("rtf", stage), RTF_BUCKETS, work_seconds / media_seconds)
        pipe.execute()


def _observe(pipe: redis.client.Pipeline, key: str, bounds: tuple[float, ...], value: float) -> None:
    for bound in bounds:
        if value <= bound:
            pipe.hincrby(key, str(bound), 1)
            break
    else:
        pipe.hincrby(key, "+Inf", 1)
    pipe.hincrby(key, "count", 1)
    pipe.hincrbyfloat(key, "sum", value)


def counters(conn: redis.Redis, name: str) -> dict[str, int]:
    """``started``, ``finished`` or ``failed`` per queue."""
    return {k.decode(): int(v) for k, v in conn.hgetall(_key(name)).items()}


def histograms(conn: redis.Redis, kind: str) -> dict[str, Histogram]:
    """``duration`` per queue or ``rtf`` per stage, with cumulative buckets as Prometheus wants them."""
    bounds = DURATION_BUCKETS if kind == "duration" else RTF_BUCKETS
    found: dict[str, Histogram] = {}
    for raw in conn.scan_iter(match=_key(kind, "*")):
        key = raw.decode()
        label = key.rsplit(":", 1)[1]
        fields = {k.decode(): v.decode() for k, v in conn.hgetall(key).items()}
        running = 0
        rows: list[tuple[float, int]] = []
        for bound in bounds:
            running += int(fields.get(str(bound), 0))
            rows.append((float(bound), running))
        running += int(fields.get("+Inf", 0))
        rows.append((float("inf"), running))
        found[label] = Histogram(tuple(rows), int(fields.get("count", 0)), float(fields.get("sum", 0.0)))
    return found

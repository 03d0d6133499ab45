"""Queues on a real Redis: deterministic ids, no duplicate work, the embedded server."""

from __future__ import annotations

from pathlib import Path

from rq import Queue

from workers import queues
from workers.redis import EmbeddedRedis, connect, redis_url


def test_the_same_work_asked_twice_is_queued_once(redis_url: str) -> None:
    conn = connect(redis_url)
    first = queues.enqueue_render(conn, 7)
    second = queues.enqueue_render(conn, 7)
    assert first.id == second.id == "render-clip-7"
    assert Queue("render", connection=conn).count == 1
    assert first.timeout == queues.RENDER_CLIP.timeout and first.retries_left == queues.RENDER_CLIP.retries
    assert queues.job_state(conn, "render-clip-7")["status"] == "queued"
    assert queues.job_state(conn, "render-clip-999")["status"] == "unknown"


def test_embedded_redis_runs_on_a_unix_socket_and_stops(tmp_path: Path) -> None:
    url, embedded = redis_url("", tmp_path)
    try:
        assert url == f"unix://{tmp_path / 'redis.sock'}"
        conn = connect(url)
        conn.set("k", "v")
        assert conn.get("k") == b"v"
        assert conn.config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"
        assert conn.config_get("appendonly")["appendonly"] == "yes"
        # a second caller shares the running server instead of starting another
        again, second = redis_url("", tmp_path)
        assert again == url and second is None
    finally:
        assert embedded is not None
        embedded.stop()
    assert not EmbeddedRedis(tmp_path).running()

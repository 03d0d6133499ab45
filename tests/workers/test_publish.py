"""Publishing never doubles and never loses: the post state machine driven by real RQ jobs on real Redis
against the fake platforms, with faults injected where schedulers are known to go wrong. After each:
exactly one post on the platform, or an ``unconfirmed`` row that says so."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from clipper import posts
from clipper.composer import Draft, compose
from clipper.models import Clip, Event, Post, utcnow
from clipper.settings import Settings
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.setup import approved_clip, channel_for, make_media
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook import FakeWebhook
from workers import queues
from workers.jobs.publish import sweep
from workers.redis import connect


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost", url_allowed_hosts=("127.0.0.1:*",),
                             publish_retry_seconds=1.0, publish_lease_seconds=3, publish_request_timeout=5.0)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("renders"))


@pytest.fixture
def fakes() -> Iterator[dict[str, Any]]:
    made = {"mastodon": FakeMastodon(), "bluesky": FakeBluesky(), "telegram": FakeTelegram(), "webhook": FakeWebhook()}
    with made["mastodon"].running(), made["bluesky"].running(), made["telegram"].running(), made["webhook"].running():
        yield made


@pytest.fixture
def world(ctx, media, fakes):  # type: ignore[no-untyped-def]
    """An approved clip with renders in the store and one channel per fake platform."""
    with ctx.sessions() as db:
        clip_id = approved_clip(db, ctx.store, media)
        channels = {kind: channel_for(db, ctx.settings, kind, fake) for kind, fake in fakes.items()}
    return clip_id, channels


def schedule(ctx, clip_id: int, channel_ids: list[int], *, at=None, text: str = "The minister on hospitals") -> list[int]:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        clip = db.get(Clip, clip_id)
        made = compose(db, clip, [Draft(c, "vertical", text, "A minister at a podium") for c in channel_ids],
                       at or utcnow(), now=utcnow(), tz_name="Europe/London", user_id=None)
        db.commit()
        ids = [p.id for p in made]
    for post_id, post_at in zip(ids, [at] * len(ids), strict=True):
        queues.enqueue_publish(ctx.redis, post_id, at=post_at)
    return ids


def drain(redis_url: str) -> None:
    """A burst worker on the publish queue that first moves due scheduled jobs (RQ's scheduler)."""
    conn = connect(redis_url)
    SimpleWorker([Queue("publish", connection=conn)], connection=conn).work(burst=True, with_scheduler=True)


def post(ctx, post_id: int) -> Post:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        row = db.get(Post, post_id)
        db.expunge(row)
        return row


def test_a_post_goes_out_once_on_every_platform(ctx, redis_url, world, fakes) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    ids = schedule(ctx, clip_id, list(channels.values()))
    drain(redis_url)
    for kind, post_id in zip(channels, ids, strict=True):
        row = post(ctx, post_id)
        assert row.status == "sent", (kind, row.error)
        assert len(fakes[kind].created) == 1, kind
        assert row.external_url or kind == "webhook"
    for post_id in ids:  # the same job again (a duplicate in Redis) changes nothing
        queues.enqueue_publish(ctx.redis, post_id)
    drain(redis_url)
    assert [len(f.created) for f in fakes.values()] == [1, 1, 1, 1]
    assert fakes["bluesky"].writes == 1 and fakes["mastodon"].count("/api/v1/statuses") == 1
    webhook = fakes["webhook"].created[0]["data"]
    assert webhook["variant"] == "vertical" and webhook["video_url"].endswith(f"clips/{clip_id}/vertical.mp4")
    with ctx.sessions() as db:
        assert db.scalar(select(Event.action).where(Event.action == "post.sent").limit(1)) == "post.sent"


@pytest.mark.parametrize("kind", ["bluesky", "mastodon"])
def test_connection_dropped_after_the_post_was_created_is_checked_not_resent(ctx, redis_url, world, fakes, kind) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    route = {"bluesky": "putRecord", "mastodon": "statuses"}[kind]
    fakes[kind].faults.add(route, drop_after_create=True)
    [post_id] = schedule(ctx, clip_id, [channels[kind]])
    drain(redis_url)
    row = post(ctx, post_id)
    assert row.status == "sent", row.error
    assert len(fakes[kind].created) == 1
    assert row.external_id in (fakes[kind].created[0].get("uri"), fakes[kind].created[0].get("id"))
    if kind == "bluesky":
        assert fakes[kind].writes == 1 and fakes[kind].count("com.atproto.repo.getRecord", "GET") == 1


@pytest.mark.parametrize("kind", ["telegram", "webhook"])
def test_connection_dropped_where_the_platform_cannot_be_asked_is_unconfirmed(ctx, redis_url, world, fakes, kind) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    fakes[kind].faults.add({"telegram": "sendVideo", "webhook": "deliver"}[kind], drop_after_create=True)
    [post_id] = schedule(ctx, clip_id, [channels[kind]])
    drain(redis_url)
    time.sleep(1.2)
    drain(redis_url)  # nothing is tried again
    row = post(ctx, post_id)
    assert row.status == "unconfirmed"
    assert "may or may not have gone out" in row.error and "Check the account" in row.error
    assert len(fakes[kind].created) == 1


def test_429_with_retry_after_waits_as_asked_then_posts_once(ctx, redis_url, world, fakes) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    fakes["mastodon"].faults.add("statuses", status=429, retry_after=2, body={"error": "Too many requests"})
    [post_id] = schedule(ctx, clip_id, [channels["mastodon"]])
    drain(redis_url)
    waiting = post(ctx, post_id)
    assert waiting.status == "scheduled" and "slow down" in waiting.error
    assert timedelta(seconds=1.5) < waiting.due_at - waiting.scheduled_at < timedelta(seconds=4)
    assert queues.publish_waiting(ctx.redis, post_id)  # in RQ's scheduled registry for then
    drain(redis_url)
    assert post(ctx, post_id).status == "scheduled"  # not before its time
    time.sleep(2.2)
    drain(redis_url)
    row = post(ctx, post_id)
    assert row.status == "sent" and row.attempts == 2 and row.error == ""
    tries = [r.at for r in fakes["mastodon"].requests if r.path == "/api/v1/statuses"]
    assert len(tries) == 2 and tries[1] - tries[0] >= 2.0
    assert len(fakes["mastodon"].statuses) == 1


def test_500_twice_then_success(ctx, redis_url, world, fakes) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    fakes["telegram"].faults.add("sendVideo", times=2, status=500,
                                 body={"ok": False, "error_code": 500, "description": "Internal Server Error"})
    [post_id] = schedule(ctx, clip_id, [channels["telegram"]])
    deadline = time.monotonic() + 20
    while post(ctx, post_id).status == "scheduled" and time.monotonic() < deadline:
        drain(redis_url)
        time.sleep(0.3)
    row = post(ctx, post_id)
    assert row.status == "sent" and row.attempts == 3, row.error
    assert fakes["telegram"].count("sendVideo") == 3 and len(fakes["telegram"].messages) == 1


def test_passing_errors_give_up_after_the_attempts_allowed(ctx, redis_url, world, fakes) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    fakes["webhook"].faults.add("deliver", times=10, status=503, retry_after=0)
    [post_id] = schedule(ctx, clip_id, [channels["webhook"]])
    deadline = time.monotonic() + 30
    while post(ctx, post_id).status == "scheduled" and time.monotonic() < deadline:
        drain(redis_url)
        time.sleep(0.3)
    row = post(ctx, post_id)
    assert row.status == "failed" and "Gave up after 5 tries" in row.error
    assert fakes["webhook"].created == []


def test_permanent_errors_fail_at_once_with_a_message(ctx, redis_url, world, fakes) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    fakes["mastodon"].token = "revoked"
    [post_id] = schedule(ctx, clip_id, [channels["mastodon"]])
    drain(redis_url)
    row = post(ctx, post_id)
    assert row.status == "failed" and "refused the credentials" in row.error and row.attempts == 1
    assert "mastodon-token" not in row.error


def test_redis_flushed_with_posts_scheduled_the_sweep_requeues_them(ctx, redis_url, world, fakes) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    at = utcnow() + timedelta(seconds=2)
    ids = schedule(ctx, clip_id, list(channels.values()), at=at)
    ctx.redis.flushdb()  # Redis lost everything: no jobs, no scheduled registry
    assert not any(queues.publish_waiting(ctx.redis, i) for i in ids)
    drain(redis_url)
    assert all(post(ctx, i).status == "scheduled" for i in ids)
    assert sweep(ctx) == 4 and sweep(ctx) == 0  # queued again once, at their time
    assert all(queues.publish_waiting(ctx.redis, i) for i in ids)
    time.sleep(max(0.0, (at - utcnow()).total_seconds()) + 1.1)
    drain(redis_url)
    assert [post(ctx, i).status for i in ids] == ["sent"] * 4
    assert [len(f.created) for f in fakes.values()] == [1, 1, 1, 1]
    assert all(post(ctx, i).sent_at >= at - posts.EARLY for i in ids)  # the scheduler may start a job a second early


def test_bluesky_logins_are_kept_between_posts_and_renewed_when_they_run_out(ctx, redis_url, world, fakes) -> None:  # type: ignore[no-untyped-def]
    """Bluesky allows 30 new sessions per 5 minutes per account: posts reuse one (kept encrypted in Redis)."""
    clip_id, channels = world
    first = schedule(ctx, clip_id, [channels["bluesky"]] * 3)
    drain(redis_url)
    assert fakes["bluesky"].sessions == 1 and [post(ctx, i).status for i in first] == ["sent"] * 3
    stored = ctx.redis.get(f"clipper:channel-session:{channels['bluesky']}")
    assert stored and b"access-jwt" not in stored  # encrypted
    fakes["bluesky"].expire_sessions()
    [later] = schedule(ctx, clip_id, [channels["bluesky"]])
    drain(redis_url)
    assert post(ctx, later).status == "sent" and fakes["bluesky"].sessions == 2
    assert len(fakes["bluesky"].records) == 4


def test_cancel_for_clip_cancels_only_unsent_posts(ctx, redis_url, world, fakes) -> None:  # type: ignore[no-untyped-def]
    clip_id, channels = world
    [sent_id] = schedule(ctx, clip_id, [channels["bluesky"]])
    drain(redis_url)
    later = schedule(ctx, clip_id, [channels["mastodon"], channels["telegram"]], at=utcnow() + timedelta(seconds=1))
    with ctx.sessions() as db:
        assert sorted(posts.cancel_for_clip(db, clip_id, None, "Withdrawn: wrong speaker")) == sorted(later)
        db.commit()
    time.sleep(1.2)
    drain(redis_url)
    assert post(ctx, sent_id).status == "sent"
    assert [post(ctx, i).status for i in later] == ["cancelled", "cancelled"]
    assert fakes["mastodon"].statuses == [] and fakes["telegram"].messages == []


# --- real worker processes ---

ROOT = Path(__file__).resolve().parents[2]


def _worker(settings: Settings, redis_url: str, log: Path):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys

    env = {**os.environ, "CLIPPER_DATA_DIR": str(settings.data_dir), "CLIPPER_DATABASE_URL": settings.database_url,
           "CLIPPER_SECRET_KEY": settings.secret_key, "CLIPPER_REDIS_URL": redis_url,
           "CLIPPER_STORAGE_URL": settings.storage_url, "CLIPPER_URL_ALLOWED_HOSTS": "127.0.0.1:*",
           "CLIPPER_WORKER_RECOVERY_SECONDS": "1", "CLIPPER_PUBLISH_LEASE_SECONDS": "3",
           "CLIPPER_PUBLISH_RETRY_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "publish"], env=env, cwd=ROOT,
                            start_new_session=True, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _stop(proc, sig: int | None = None) -> None:  # type: ignore[no-untyped-def]
    import os
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, sig or signal.SIGTERM)
    proc.wait(30)


def _until(check, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


@pytest.mark.slow
def test_worker_killed_between_sending_and_recording(ctx, settings, redis_url, world, fakes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL to a real ``clipper worker`` (and its work horse and scheduler) while the platform holds its
    answer to the request that created the post. A fresh worker's sweep finds the post ``sending`` past its
    lease: on Bluesky the record key finds the post (sent, one record); Telegram can't be asked (unconfirmed)."""
    import os
    import signal
    import threading

    from tests.test_cli import alive, descendants

    clip_id, channels = world
    held = threading.Event()
    fakes["bluesky"].faults.add("putRecord", hold=held)
    fakes["telegram"].faults.add("sendVideo", hold=held)
    log = tmp_path / "worker.log"
    first = [_worker(settings, redis_url, log), _worker(settings, redis_url, log)]  # one post each
    second = None
    try:
        ids = schedule(ctx, clip_id, [channels["bluesky"], channels["telegram"]])
        _until(lambda: len(fakes["bluesky"].records) == 1 and len(fakes["telegram"].messages) == 1
               or any(p.poll() is not None for p in first), 90, "both posts to reach the platforms")
        assert all(p.poll() is None for p in first), log.read_text()[-2000:]
        doomed = {pid for p in first for pid in (p.pid, *descendants(p.pid))}  # work horses have their own session
        for pid in doomed:
            os.kill(pid, signal.SIGKILL)  # without warning: the answers were never read, nothing recorded
        for proc in first:
            proc.wait(10)
        _until(lambda: not any(alive(pid) for pid in doomed), 10, "the killed processes to be gone")
        held.set()
        assert [post(ctx, i).status for i in ids] == ["sending", "sending"]

        second = _worker(settings, redis_url, log)
        _until(lambda: all(post(ctx, i).status not in ("sending", "scheduled") for i in ids), 60,
               "the new worker to resolve both posts")
    finally:
        held.set()
        for proc in (*first, second):
            if proc is not None:
                _stop(proc)
    bluesky_post, telegram_post = (post(ctx, i) for i in ids)
    assert bluesky_post.status == "sent" and bluesky_post.external_id.endswith(bluesky_post.idempotency_key)
    assert len(fakes["bluesky"].records) == 1 and fakes["bluesky"].writes == 1
    assert telegram_post.status == "unconfirmed" and "Telegram's Bot API cannot look up" in telegram_post.error
    assert len(fakes["telegram"].messages) == 1


@pytest.mark.slow
def test_redis_flushed_under_a_running_worker(ctx, settings, redis_url, world, fakes, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The posts' jobs vanish from a live Redis; the running worker's own sweep queues them again."""
    clip_id, channels = world
    worker = _worker(settings, redis_url, tmp_path / "worker.log")
    try:
        at = utcnow() + timedelta(seconds=3)
        ids = schedule(ctx, clip_id, list(channels.values()), at=at)
        ctx.redis.flushdb()
        _until(lambda: all(post(ctx, i).status == "sent" for i in ids), 60, "the posts to go out")
    finally:
        _stop(worker)
    assert [len(f.created) for f in fakes.values()] == [1, 1, 1, 1]
    assert all(post(ctx, i).sent_at >= at - posts.EARLY for i in ids)  # the scheduler may start a job a second early

"""A post at 09:00 Europe/London on the day the clocks change goes out at 09:00 local: the UTC stored,
the time RQ's scheduler is given (on a server whose own zone is elsewhere), and when the job sends it."""

from __future__ import annotations

import calendar
import time
from datetime import datetime

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from clipper import posts
from clipper.errors import InvalidInput
from clipper.models import Post, Render
from clipper.schedule import parse_local, span, utc_to_local
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.setup import approved_clip, channel_for, make_media
from workers import queues
from workers.jobs.publish import adapter_for, outgoing

LONDON = "Europe/London"


@pytest.mark.parametrize(("local", "utc"), [
    ("2027-03-27T09:00", datetime(2027, 3, 27, 9, 0)),   # the day before the clocks go forward: GMT
    ("2027-03-28T09:00", datetime(2027, 3, 28, 8, 0)),   # the day they do: BST, UTC+1
    ("2026-10-24T09:00", datetime(2026, 10, 24, 8, 0)),  # BST
    ("2026-10-25T09:00", datetime(2026, 10, 25, 9, 0)),  # the day they go back: GMT again
])
def test_local_times_become_utc_with_that_days_offset(local: str, utc: datetime) -> None:
    assert parse_local(local, LONDON) == utc
    assert utc_to_local(utc, LONDON).strftime("%Y-%m-%dT%H:%M") == local


def test_a_time_the_clocks_skip_is_refused() -> None:
    with pytest.raises(InvalidInput, match="01:30 does not exist on 28 Mar 2027"):
        parse_local("2027-03-28T01:30", LONDON)


def test_the_week_of_the_change_spans_one_hour_less(ctx) -> None:  # type: ignore[no-untyped-def]
    week = span("week", datetime(2027, 3, 28).date(), LONDON)
    assert week.start_utc == datetime(2027, 3, 22, 0, 0) and week.end_utc == datetime(2027, 3, 28, 23, 0)


@pytest.fixture
def server_elsewhere():  # type: ignore[no-untyped-def]
    """This process's own zone is New York, so a naive time handed to RQ would land hours off."""
    import os

    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_the_scheduler_gets_0800_utc_and_the_job_sends_at_0900_local(ctx, tmp_path, server_elsewhere) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    from workers import context

    settings = dataclasses.replace(ctx.settings, url_allowed_hosts=("127.0.0.1:*",))
    ctx = context.configure(settings, ctx.redis_url)
    media = make_media(tmp_path / "renders", seconds=1)
    at = parse_local("2027-03-28T09:00", LONDON)
    with FakeMastodon().running() as fake, ctx.sessions() as db:
        clip_id = approved_clip(db, ctx.store, media)
        channel_id = channel_for(db, settings, "mastodon", fake)
        render_id = db.scalar(select(Render.id).where(Render.clip_id == clip_id, Render.preset == "vertical"))
        post = Post(clip_id=clip_id, channel_id=channel_id, render_id=render_id, preset="vertical",
                    text="On air at nine", scheduled_at=at, due_at=at, idempotency_key=posts.make_key())
        db.add(post)
        db.commit()

        queues.enqueue_publish(ctx.redis, post.id, at=post.due_at)
        registry = ScheduledJobRegistry(queue=Queue("publish", connection=ctx.redis))
        score = ctx.redis.zscore(registry.key, queues.publish_job_id(post.id))
        assert score == calendar.timegm(datetime(2027, 3, 28, 8, 0).timetuple())

        def run(now: datetime) -> posts.Step:
            return posts.publish(db, post.id, adapter=lambda p: adapter_for(settings, p),
                                 outgoing=lambda p: outgoing(ctx, db, p, tmp_path), now=lambda: now)

        assert run(datetime(2027, 3, 28, 7, 59, 58)).status == "scheduled"  # 08:59:58 local: not yet
        assert fake.statuses == []
        assert run(datetime(2027, 3, 28, 8, 0, 0)).status == "sent"  # 09:00 local
        assert len(fake.statuses) == 1

"""Posting in a real browser: schedule from the composer, move the post on the calendar, and watch a real
``clipper worker`` send it to a fake Bluesky at its new time."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clipper.models import Channel, Post
from clipper.schedule import utc_to_local
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.setup import approved_clip, channel_for, make_media

pytestmark = pytest.mark.browser
LONDON = "Europe/London"


def test_schedule_move_and_see_it_sent(page_as, live_server, tmp_path: Path, monkeypatch, screenshot,  # type: ignore[no-untyped-def]
                                       check_a11y) -> None:
    monkeypatch.setenv("CLIPPER_URL_ALLOWED_HOSTS", "127.0.0.1:*")  # for the worker process
    media = make_media(tmp_path / "renders", seconds=1)
    with FakeBluesky().running() as fake:
        with live_server.sessions() as db:
            clip_id = approved_clip(db, live_server.app.extensions["clipper.store"], media)
            channel_id = channel_for(db, live_server.settings, "bluesky", fake, name="Campaign Bluesky")
            channel = db.get(Channel, channel_id)
            channel.limits = {"max_chars": 300, "max_video_bytes": 100_000_000, "max_video_seconds": 180,
                              "count": "graphemes"}
            channel.account_name, channel.account_url = "@campaign.bsky.social", "https://bsky.app/profile/campaign"
            db.commit()

        page = page_as("social_lead")
        page.goto(f"{live_server.url}/clips/{clip_id}/compose")
        text = page.locator(f"#text-{channel_id}")
        text.fill("Watch the minister 🇬🇧")
        assert page.locator(f"#count-{channel_id}").inner_text() == "20 / 300 graphemes"  # a flag is one
        text.fill("x" * 301)
        assert "1 over the limit" in page.locator(f"#count-{channel_id}").inner_text()
        text.fill("Watch the minister 🇬🇧")
        page.fill("#alt_text", "The minister speaking at a podium")
        tomorrow = utc_to_local(datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1), LONDON)
        page.fill("#at", tomorrow.strftime("%Y-%m-%dT10:00"))
        check_a11y(page)
        page.click("#schedule-button")
        page.wait_for_url("**/calendar**")
        item = page.locator(".post").first
        assert item.locator(".post-time").inner_text() == "10:00"
        assert item.locator(".post-status").inner_text() == "Scheduled"
        with live_server.sessions() as db:
            post_id = db.query(Post.id).scalar()
        screenshot(page, "posting-calendar")
        check_a11y(page)

        # move it to the next whole minute at least 15 s away, and let a real worker send it then
        soon = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=75)
        soon = soon.replace(second=0, microsecond=0)
        local = utc_to_local(soon, LONDON)
        page.fill(f"#at-{post_id}", local.strftime("%Y-%m-%dT%H:%M"))
        page.locator(f"#post-{post_id} button", has_text="Move").click()
        page.wait_for_load_state()
        page.goto(f"{live_server.url}/calendar?date={local.date().isoformat()}")
        assert page.locator(f"#post-{post_id} .post-time").inner_text() == local.strftime("%H:%M")
        live_server.start_worker("publish")
        deadline = time.monotonic() + (soon - datetime.now(UTC).replace(tzinfo=None)).total_seconds() + 45
        while page.locator(f"#post-{post_id} .post-status").inner_text() != "Sent":
            assert time.monotonic() < deadline, f"not sent: {page.locator(f'#post-{post_id}').inner_text()}"
            time.sleep(2)
            page.reload()
        assert page.locator(f"#post-{post_id} a", has_text="view").get_attribute("href").startswith(
            "https://bsky.app/profile/campaign.bsky.social/post/")
        screenshot(page, "posting-sent")
        assert len(fake.records) == 1 and fake.writes == 1
        record = next(iter(fake.records.values()))["value"]
        assert record["text"] == "Watch the minister 🇬🇧" and record["embed"]["alt"] == "The minister speaking at a podium"
        first_put = min(r.at for r in fake.requests if r.path.endswith("putRecord"))
        assert first_put >= soon.replace(tzinfo=UTC).timestamp() - 1  # not before its new time

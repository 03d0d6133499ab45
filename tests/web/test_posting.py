"""The channels admin page, the composer and the calendar through the web app, against fake platforms."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from rq import Queue
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from clipper.models import Branding, Channel, Post, utcnow
from clipper.schedule import utc_to_local
from clipper.settings import Settings
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.setup import approved_clip, channel_for, make_media
from tests.fakes.telegram import FakeTelegram
from tests.web.forms import logged_in, post_form
from workers import queues


@pytest.fixture
def settings(tmp_path: Path, sqlite_url: str) -> Settings:
    return Settings.from_env({}, data_dir=tmp_path / "data", database_url=sqlite_url, secret_key="test-secret",
                             public_base_url="http://localhost", url_allowed_hosts=("127.0.0.1:*",))


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_media(tmp_path_factory.mktemp("renders"), seconds=1)


@pytest.fixture
def mastodon():  # type: ignore[no-untyped-def]
    with FakeMastodon().running() as fake:
        yield fake


def count(ctx, model) -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        return int(db.scalar(select(func.count()).select_from(model)))


# --- channels (admin) ---

def test_admin_connects_mastodon_and_the_token_is_never_shown_again(client, ctx, mastodon, caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    logged_in(client, ctx, "admin")
    response = post_form(client, "/admin/channels", {"kind": "mastodon", "name": "Campaign Mastodon",
                                                     "mastodon-instance_url": mastodon.url,
                                                     "mastodon-access_token": mastodon.token})
    assert response.status_code == 302
    page = client.get("/admin/channels").get_data(as_text=True)
    assert "@campaign@fake.social" in page and "500 characters" in page
    assert mastodon.token not in page
    with ctx.sessions() as db:
        channel = db.scalars(select(Channel)).one()
        assert channel.limits["max_chars"] == 500 and mastodon.token not in channel.credentials
        assert channel.config == {"instance_url": mastodon.url}
    assert mastodon.token not in caplog.text
    response = post_form(client, f"/admin/channels/{channel.id}/check")
    assert "connected as @campaign@fake.social" in client.get("/admin/channels").get_data(as_text=True)
    assert response.status_code == 302


def test_a_wrong_token_or_a_private_address_saves_nothing(client, ctx, mastodon) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, "admin")
    response = post_form(client, "/admin/channels", {"kind": "mastodon", "mastodon-instance_url": mastodon.url,
                                                     "mastodon-access_token": "wrong"})
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Test connection failed: Mastodon refused the credentials (401: The access token is invalid)" in text
    assert mastodon.url in text and "wrong" not in text.split('id="add-channel"')[1]  # the URL is kept, not the token
    response = post_form(client, "/admin/channels", {"kind": "mastodon",
                                                     "mastodon-instance_url": f"http://localhost:{mastodon.port}",
                                                     "mastodon-access_token": mastodon.token})
    assert response.status_code == 400 and "loopback" in response.get_data(as_text=True)
    assert count(ctx, Channel) == 0


def test_volunteers_and_leads_cannot_reach_the_channels_page(client, ctx) -> None:  # type: ignore[no-untyped-def]
    logged_in(client, ctx, "social_lead")
    assert client.get("/admin/channels").status_code == 403


# --- the composer ---

@pytest.fixture
def clip_and_channels(ctx, media, mastodon):  # type: ignore[no-untyped-def]
    with ctx.sessions() as db:
        clip_id = approved_clip(db, ctx.store, media)
        channel_id = channel_for(db, ctx.settings, "mastodon", mastodon, name="Campaign Mastodon")
        channel = db.get(Channel, channel_id)
        channel.limits = {"max_chars": 500, "max_video_bytes": 40 * 1024 * 1024, "count": "characters"}
        db.commit()
    return clip_id, channel_id


def _compose(client, clip_id: int, channel_id: int, **fields: str):  # type: ignore[no-untyped-def]
    data = {"channel": str(channel_id), f"preset-{channel_id}": "vertical", f"text-{channel_id}": "Watch this",
            "alt_text": "A minister at a podium", "when": "at",
            "at": (utc_to_local(utcnow() + timedelta(hours=2), "Europe/London")).strftime("%Y-%m-%dT%H:%M"),
            **fields}
    return post_form(client, f"/clips/{clip_id}/compose", data)


def test_schedule_from_the_composer_queues_it_for_its_time(client, ctx, clip_and_channels) -> None:  # type: ignore[no-untyped-def]
    clip_id, channel_id = clip_and_channels
    logged_in(client, ctx, "social_lead")
    page = client.get(f"/clips/{clip_id}/compose").get_data(as_text=True)
    assert "Campaign Mastodon" in page and 'data-max="500"' in page
    with ctx.sessions() as db:
        Branding.current(db).imprint_text = "Promoted by J Smith for the Campaign, 1 High St"
        Branding.current(db).imprint_required = True
        db.commit()
    local = utc_to_local(utcnow() + timedelta(days=1), "Europe/London").replace(hour=9, minute=0)
    response = _compose(client, clip_id, channel_id, at=local.strftime("%Y-%m-%dT%H:%M"))
    assert response.status_code == 302 and "/calendar" in response.headers["Location"]
    with ctx.sessions() as db:
        post = db.scalars(select(Post)).one()
        assert post.text == "Watch this\n\nPromoted by J Smith for the Campaign, 1 High St"
        assert post.status == "scheduled" and post.preset == "vertical" and post.alt_text == "A minister at a podium"
        assert utc_to_local(post.scheduled_at, "Europe/London").strftime("%H:%M") == "09:00"
    registry = ScheduledJobRegistry(queue=Queue("publish", connection=ctx.redis))
    assert queues.publish_job_id(post.id) in registry.get_job_ids()
    calendar = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="post-{post.id}"' in calendar and ">09:00<" in calendar and "Minister on hospitals" in calendar


@pytest.mark.parametrize(("fields", "message"), [
    ({"text-CH": "x" * 501}, "Campaign Mastodon: The text is 501 characters long; Mastodon allows 500."),
    ({"at": "2020-01-01T09:00"}, "01 Jan 2020 09:00 has already passed."),
    ({"at": ""}, "Choose a date and time"),
    ({"channel": ""}, "Choose at least one channel"),
    ({"preset-CH": "portrait"}, "Choose a version of the clip"),
])
def test_the_composer_refuses_bad_input_and_saves_nothing(client, ctx, clip_and_channels, fields, message) -> None:  # type: ignore[no-untyped-def]
    clip_id, channel_id = clip_and_channels
    logged_in(client, ctx, "social_lead")
    fields = {k.replace("CH", str(channel_id)): v for k, v in fields.items()}
    response = _compose(client, clip_id, channel_id, **fields)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert count(ctx, Post) == 0


def test_a_video_over_the_platforms_limit_is_refused_naming_it(client, ctx, clip_and_channels) -> None:  # type: ignore[no-untyped-def]
    clip_id, channel_id = clip_and_channels
    with ctx.sessions() as db:
        db.get(Channel, channel_id).limits = {"max_chars": 500, "max_video_bytes": 10_000}
        db.commit()
    logged_in(client, ctx, "social_lead")
    response = _compose(client, clip_id, channel_id)
    assert response.status_code == 400
    assert "Campaign Mastodon: The video is " in response.get_data(as_text=True)
    assert "; Mastodon takes at most 10 KB. Choose a shorter clip or another variant." in response.get_data(as_text=True)
    assert count(ctx, Post) == 0


def test_only_approved_clips_can_be_posted(client, ctx, media, clip_and_channels) -> None:  # type: ignore[no-untyped-def]
    _, channel_id = clip_and_channels
    with ctx.sessions() as db:
        draft = approved_clip(db, ctx.store, media, status="submitted")
    logged_in(client, ctx, "social_lead")
    response = _compose(client, draft, channel_id)
    assert response.status_code == 400 and "only approved clips can be posted" in response.get_data(as_text=True)


def test_post_now_from_the_composer_queues_it_at_once(client, ctx, clip_and_channels) -> None:  # type: ignore[no-untyped-def]
    clip_id, channel_id = clip_and_channels
    logged_in(client, ctx, "social_lead")
    response = _compose(client, clip_id, channel_id, when="now", at="")
    assert response.status_code == 302
    with ctx.sessions() as db:
        post = db.scalars(select(Post)).one()
    assert queues.publish_job_id(post.id) in Queue("publish", connection=ctx.redis).job_ids
    assert "Posting now on 1 channel." in client.get(response.headers["Location"]).get_data(as_text=True)


# --- the calendar ---

def test_reschedule_cancel_and_post_now_from_the_calendar(client, ctx, clip_and_channels) -> None:  # type: ignore[no-untyped-def]
    clip_id, channel_id = clip_and_channels
    logged_in(client, ctx, "social_lead")
    _compose(client, clip_id, channel_id)
    _compose(client, clip_id, channel_id)
    with ctx.sessions() as db:
        first, second = db.scalars(select(Post).order_by(Post.id)).all()
    later = utc_to_local(utcnow() + timedelta(days=3), "Europe/London").replace(hour=18, minute=30, second=0,
                                                                                 microsecond=0)
    response = post_form(client, f"/posts/{first.id}/reschedule", {"at": later.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    response = post_form(client, f"/posts/{first.id}/reschedule", {"at": "2020-01-01T09:00"})
    assert response.status_code == 400
    post_form(client, f"/posts/{second.id}/cancel")
    with ctx.sessions() as db:
        moved, cancelled = db.get(Post, first.id), db.get(Post, second.id)
        assert utc_to_local(moved.scheduled_at, "Europe/London").replace(tzinfo=None) == later.replace(tzinfo=None)
        assert moved.due_at == moved.scheduled_at and cancelled.status == "cancelled"
    registry = ScheduledJobRegistry(queue=Queue("publish", connection=ctx.redis))
    score = ctx.redis.zscore(registry.key, queues.publish_job_id(first.id))
    assert score == int(later.timestamp())
    assert post_form(client, f"/posts/{second.id}/now").status_code == 400  # cancelled stays cancelled
    post_form(client, f"/posts/{first.id}/now")
    assert queues.publish_job_id(first.id) in Queue("publish", connection=ctx.redis).job_ids
    month = client.get(f"/calendar?view=month&date={later.date().isoformat()}").get_data(as_text=True)
    assert 'class="calendar calendar-month"' in month


def test_an_unconfirmed_post_is_shown_with_a_link_to_check_the_account(client, ctx, media) -> None:  # type: ignore[no-untyped-def]
    with FakeTelegram().running() as fake, ctx.sessions() as db:
        clip_id = approved_clip(db, ctx.store, media)
        channel_id = channel_for(db, ctx.settings, "telegram", fake)
        channel = db.get(Channel, channel_id)
        channel.account_name, channel.account_url = "Campaign News", "https://t.me/campaignnews"
        db.add(Post(clip_id=clip_id, channel_id=channel_id, text="t", scheduled_at=utcnow(), status="unconfirmed",
                    error="The post may or may not have gone out"))
        db.commit()
    logged_in(client, ctx, "social_lead")
    page = client.get("/calendar").get_data(as_text=True)
    attention = page.split('id="attention"')[1]
    assert "Unconfirmed: check the account" in attention and 'href="https://t.me/campaignnews"' in attention
    with ctx.sessions() as db:
        post_id = db.scalar(select(Post.id))
    assert post_form(client, f"/posts/{post_id}/confirm", {"url": "javascript:alert(1)"}).status_code == 400
    post_form(client, f"/posts/{post_id}/confirm", {"url": "https://t.me/campaignnews/12"})
    with ctx.sessions() as db:
        assert db.get(Post, post_id).status == "sent"

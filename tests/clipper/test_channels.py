"""Each adapter against a local server implementing its platform's documented API (tests/fakes): what
"test connection" finds, a post with its video, and the errors a social lead must understand."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clipper.channels import (
    CannotCheck,
    Connection,
    InDoubt,
    Outgoing,
    Permanent,
    Transient,
    Video,
    open_channel,
)
from clipper.channels.text import length
from clipper.channels.webhook import sign
from clipper.posts import make_key
from clipper.probe import probe
from clipper.urls import AddressPolicy
from tests.fakes.bluesky import FakeBluesky
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.telegram import FakeTelegram
from tests.fakes.webhook import FakeWebhook
from tests.media import test_video

LOOPBACK = Connection(AddressPolicy(("127.0.0.1:*",)), timeout=5)


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Video:
    path = test_video(tmp_path_factory.mktemp("media") / "vertical.mp4", seconds=2, size="180x320")
    info = probe(path)
    return Video(path=Path(path), size=path.stat().st_size, duration=info.duration, width=info.width,
                 height=info.height)


def item(video: Video | None, text: str = "The minister said it. Watch:", **kw: object) -> Outgoing:
    return Outgoing(post_id=1, key=make_key(), text=text, alt_text="A minister speaking at a podium", video=video,
                    title="Minister on hospitals", **kw)  # type: ignore[arg-type]


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    with FakeMastodon().running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def bluesky() -> Iterator[FakeBluesky]:
    with FakeBluesky().running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        yield fake  # type: ignore[misc]


@pytest.fixture
def webhook() -> Iterator[FakeWebhook]:
    with FakeWebhook().running() as fake:
        yield fake  # type: ignore[misc]


def m_channel(fake: FakeMastodon, token: str | None = None, conn: Connection = LOOPBACK):  # type: ignore[no-untyped-def]
    return open_channel("mastodon", {"instance_url": fake.url, "poll_interval": 0.02},
                        {"access_token": token or fake.token}, conn)


def b_channel(fake: FakeBluesky, password: str | None = None):  # type: ignore[no-untyped-def]
    return open_channel("bluesky", {"handle": fake.handle, "service_url": fake.url, "video_service_url": fake.url,
                                    "poll_interval": 0.02}, {"app_password": password or fake.password}, LOOPBACK)


def t_channel(fake: FakeTelegram, token: str | None = None):  # type: ignore[no-untyped-def]
    return open_channel("telegram", {"chat_id": "@campaignnews", "api_url": fake.url},
                        {"bot_token": token or fake.token}, LOOPBACK)


def w_channel(fake: FakeWebhook, secret: str | None = None):  # type: ignore[no-untyped-def]
    return open_channel("webhook", {"url": fake.url + "/hooks/clipper"}, {"secret": secret or fake.secret}, LOOPBACK)


# --- Mastodon ---

def test_mastodon_check_reads_the_account_and_the_instance_limits(mastodon: FakeMastodon) -> None:
    mastodon.max_chars = 1000
    account = m_channel(mastodon).check()
    assert account.name == "@campaign@fake.social"
    assert account.limits.max_chars == 1000 and account.limits.max_video_bytes == 40 * 1024 * 1024


def test_mastodon_posts_the_video_after_processing_with_an_idempotency_key(mastodon: FakeMastodon, video: Video) -> None:
    mastodon.processing_polls = 2
    out = item(video)
    sent = m_channel(mastodon).post(out)
    assert len(mastodon.statuses) == 1
    status = mastodon.statuses[0]
    assert sent.url == status["url"] and status["idempotency_key"] == out.key
    assert status["media_attachments"][0]["size"] == video.size
    assert status["media_attachments"][0]["description"] == "A minister speaking at a podium"
    assert mastodon.count("/api/v1/media/" + status["media_attachments"][0]["id"], "GET") == 3  # 206, 206, 200


def test_mastodon_wrong_token_and_not_mastodon_and_private_address(mastodon: FakeMastodon, webhook: FakeWebhook) -> None:
    with pytest.raises(Permanent, match="refused the credentials"):
        m_channel(mastodon, token="wrong").check()
    not_mastodon = open_channel("mastodon", {"instance_url": webhook.url}, {"access_token": "x"}, LOOPBACK)
    with pytest.raises(Permanent, match="not a Mastodon server"):
        not_mastodon.check()
    guarded = m_channel(mastodon, conn=Connection(AddressPolicy(()), timeout=5))
    with pytest.raises(Permanent, match="loopback"):
        guarded.check()
    assert mastodon.count("/api/v2/instance", "GET") == 1  # the guarded one never connected


def test_mastodon_failed_processing_is_permanent(mastodon: FakeMastodon, video: Video) -> None:
    mastodon.fail_processing = True
    with pytest.raises(Permanent, match="could not process the video"):
        m_channel(mastodon).post(item(video))
    assert mastodon.statuses == []


def test_mastodon_resend_within_the_window_finds_the_first_status(mastodon: FakeMastodon, video: Video) -> None:
    out = item(video)
    channel = m_channel(mastodon)
    mastodon.faults.add("statuses", drop_after_create=True)
    with pytest.raises(InDoubt):
        channel.post(out)
    found = channel.find_existing(out)
    assert found is not None and len(mastodon.statuses) == 1 and found.external_id == mastodon.statuses[0]["id"]


# --- Bluesky ---

def test_bluesky_check_names_the_handle_and_upload_limits(bluesky: FakeBluesky) -> None:
    account = b_channel(bluesky).check()
    assert account.name == "@campaign.bsky.social" and "25 videos left today" in account.detail
    assert account.limits.count == "graphemes" and account.limits.max_chars == 300


def test_bluesky_posts_a_video_record_under_our_key_and_finds_it(bluesky: FakeBluesky, video: Video) -> None:
    bluesky.job_polls = 2
    out = item(video)
    channel = b_channel(bluesky)
    assert channel.find_existing(out) is None  # RecordNotFound: definitively absent
    sent = channel.post(out)
    record = bluesky.records[out.key]["value"]
    assert record["embed"]["$type"] == "app.bsky.embed.video" and record["embed"]["alt"].startswith("A minister")
    assert record["embed"]["aspectRatio"] == {"width": 180, "height": 320}
    assert sent.url == f"https://bsky.app/profile/campaign.bsky.social/post/{out.key}"
    assert channel.find_existing(out) == sent


def test_bluesky_counts_graphemes_and_refuses_over_300(bluesky: FakeBluesky) -> None:
    flags = "🇬🇧" * 300  # 300 graphemes, 600 code points
    assert length(flags, "graphemes") == 300 and len(flags) == 600
    b_channel(bluesky).post(item(None, text=flags))
    with pytest.raises(Permanent, match="301 graphemes long; Bluesky allows 300"):
        b_channel(bluesky).post(item(None, text=flags + "!"))
    assert len(bluesky.records) == 1


def test_bluesky_revoked_app_password_and_failed_video_job(bluesky: FakeBluesky, video: Video) -> None:
    with pytest.raises(Permanent, match="app password"):
        b_channel(bluesky, password="revoked").check()
    bluesky.job_error = "Video is too long"
    with pytest.raises(Permanent, match="accepted the video and then failed to process it: Video is too long"):
        b_channel(bluesky).post(item(video))
    bluesky.job_error, bluesky.can_upload = "", False
    with pytest.raises(Permanent, match="daily upload limit"):
        b_channel(bluesky).post(item(video))
    assert bluesky.records == {}


def test_bluesky_refuses_a_long_video_before_uploading(bluesky: FakeBluesky, video: Video) -> None:
    long = Video(path=video.path, size=video.size, duration=181.0, width=180, height=320)
    with pytest.raises(Permanent, match="181 s long; Bluesky takes at most 180 s"):
        b_channel(bluesky).post(item(long))
    assert bluesky.count("app.bsky.video.uploadVideo") == 0


# --- Telegram ---

def test_telegram_check_and_send_video(telegram: FakeTelegram, video: Video) -> None:
    account = t_channel(telegram).check()
    assert account.name == "Campaign News (bot @campaign_clipper_bot)" and account.url == "https://t.me/campaignnews"
    sent = t_channel(telegram).post(item(video))
    message = telegram.messages[0]
    assert message["video"]["file_size"] == video.size and message["supports_streaming"] is True
    assert sent.url == f"https://t.me/campaignnews/{message['message_id']}"


def test_telegram_errors(telegram: FakeTelegram, video: Video) -> None:
    with pytest.raises(Permanent, match="refused the bot token"):
        t_channel(telegram, token="123:revoked").check()
    with pytest.raises(Permanent, match="1025 characters long; Telegram allows 1024"):
        t_channel(telegram).post(item(video, text="x" * 1025))
    big = Video(path=video.path, size=60 * 1024 * 1024, duration=10, width=180, height=320)
    with pytest.raises(Permanent, match="Telegram takes at most 52.4 MB"):
        t_channel(telegram).post(item(big))
    telegram.faults.add("sendVideo", status=429, body={"ok": False, "error_code": 429,
                                                       "description": "Too Many Requests: retry after 7",
                                                       "parameters": {"retry_after": 7}})
    with pytest.raises(Transient) as info:
        t_channel(telegram).post(item(video))
    assert info.value.retry_after == 7
    with pytest.raises(CannotCheck):
        t_channel(telegram).find_existing(item(video))
    assert telegram.messages == []


# --- Webhook ---

def test_webhook_delivers_a_signed_description_of_the_clip(webhook: FakeWebhook) -> None:
    w_channel(webhook).check()
    out = item(None, links={"video_url": "https://cdn.example/clips/1/vertical.mp4", "variants": {}})
    sent = w_channel(webhook).post(out)
    delivery = webhook.created[0]
    assert delivery["id"] == out.key and delivery["data"]["video_url"].endswith("vertical.mp4")
    assert delivery["data"]["text"] == out.text and sent.external_id == "delivery-2"
    with pytest.raises(Permanent, match="refused the credentials"):
        w_channel(webhook, secret="wrong").post(out)  # the receiver checks the signature
    assert len(webhook.created) == 1
    assert sign("k", "id", 1, b"{}").startswith("v1,")


def test_webhook_slow_or_500(webhook: FakeWebhook) -> None:
    slow = open_channel("webhook", {"url": webhook.url}, {"secret": webhook.secret}, Connection(LOOPBACK.policy, timeout=0.5))
    webhook.faults.add("deliver", delay=1.5)
    with pytest.raises(InDoubt, match="did not answer in time"):
        slow.post(item(None))
    webhook.faults.add("deliver", status=500)
    with pytest.raises(Transient, match="had a problem"):
        w_channel(webhook).post(item(None))


def test_the_telegram_token_in_its_urls_never_reaches_messages_or_logs(telegram: FakeTelegram, video: Video,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    import logging
    import socket

    caplog.set_level(logging.DEBUG)
    t_channel(telegram).post(item(video))
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    refused = open_channel("telegram", {"chat_id": "@campaignnews", "api_url": f"http://127.0.0.1:{closed}"},
                           {"bot_token": telegram.token}, LOOPBACK)
    with pytest.raises(Transient) as info:
        refused.post(item(video))
    assert "Could not reach Telegram" in info.value.message and telegram.token not in info.value.message
    assert "/bot[hidden]/sendVideo" in caplog.text and telegram.token not in caplog.text

"""An alert told to the team's Telegram chat by the bot of a connected Telegram channel (a local server
speaking the Bot API): once per match, with the sentence and the link; a chat the bot is not in, or a
Telegram outage, said on the hit (the outage retried); bad choices refused when the alert is made."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from clipper.channels import Connection
from clipper.channels import records as channel_records
from clipper.live import alerts
from clipper.models import Alert, AlertHit, Recording, Segment
from clipper.urls import AddressPolicy
from tests.conftest import make_user
from tests.fakes.telegram import FakeTelegram
from tests.live.desk_setup import add_words, live_recording
from workers.jobs.alerts import DeliveryFailed, deliver_alert

TEAM_CHAT = "-1009876543210"
SAID = "The minister said the new hospital will open next spring."


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return dataclasses.replace(settings, url_allowed_hosts=("127.0.0.1:*",))


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram().running() as fake:
        fake.chat_ids.add(TEAM_CHAT)  # the bot was added to the team's chat
        yield fake  # type: ignore[misc]


def _bot(ctx, fake: FakeTelegram) -> int:  # type: ignore[no-untyped-def]
    with ctx.sessions() as session:
        channel = channel_records.create(
            session, "telegram", "Campaign News", {"bot_token": fake.token, "chat_id": "@campaignnews",
                                                   "api_url": fake.url},
            key=ctx.settings.secret_key, conn=Connection(AddressPolicy(("127.0.0.1:*",)), timeout=5), user_id=None)
        session.commit()
        return channel.id


def _hit(ctx, client, token: dict[str, str], bot: int, chat: str) -> int:  # type: ignore[no-untyped-def]
    made = client.post("/api/v1/alerts", headers=token, json={
        "name": "Hospital", "query": '"new hospital"', "telegram_channel_id": bot, "telegram_chat": chat})
    assert made.status_code == 201, made.json
    rid = live_recording(ctx.sessions)
    add_words(ctx.sessions, rid, SAID, 3.0)
    with ctx.sessions() as session:
        fired = alerts.fire(session, session.get(Recording, rid), session.query(Segment).filter_by(recording_id=rid).all())
        session.commit()
    assert len(fired) == 1 and fired[0].sends
    return fired[0].hit_id


def test_a_match_is_told_to_the_teams_telegram_chat_once(client, ctx, telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    token = {"Authorization": f"Bearer {make_user(ctx, 'lead@example.org', 'social_lead')[1]}"}
    hit_id = _hit(ctx, client, token, _bot(ctx, telegram), TEAM_CHAT)
    assert deliver_alert(hit_id) == "sent"
    assert deliver_alert(hit_id) == "done"  # a retried job tells nobody twice
    [sent] = telegram.messages
    assert sent["chat_id"] == TEAM_CHAT  # the team's chat, not the public channel the bot posts clips to
    assert SAID in sent["text"] and "Hospital" in sent["text"] and "/recordings/" in sent["text"]
    assert "?t=5.00" in sent["text"] and "at 0:05" in sent["text"]  # the moment "new hospital" was said


def test_a_chat_without_the_bot_fails_with_the_reason_and_an_outage_is_retried(client, ctx, telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    token = {"Authorization": f"Bearer {make_user(ctx, 'lead@example.org', 'social_lead')[1]}"}
    bot = _bot(ctx, telegram)
    hit_id = _hit(ctx, client, token, bot, "-100111")  # the bot is not in this chat
    assert deliver_alert(hit_id) == "failed"
    with ctx.sessions() as session:
        hit = session.get(AlertHit, hit_id)
        assert "chat not found" in hit.error
    page = client.get("/alerts", headers=token).get_data(as_text=True)
    assert "not delivered" in page and "chat not found" in page

    telegram.faults.add("sendMessage", status=502)
    rid = live_recording(ctx.sessions, "Second")
    add_words(ctx.sessions, rid, SAID, 1.0)
    with ctx.sessions() as session:
        alert = session.get(Alert, session.get(AlertHit, hit_id).alert_id)
        alert.telegram_chat = TEAM_CHAT
        session.commit()
        fired = alerts.fire(session, session.get(Recording, rid), session.query(Segment).filter_by(recording_id=rid).all())
        session.commit()
    with pytest.raises(DeliveryFailed):
        deliver_alert(fired[0].hit_id)  # RQ tries again later
    assert deliver_alert(fired[0].hit_id) == "sent"


@pytest.mark.parametrize(("fields", "says"), [
    ({"telegram_channel_id": 999, "telegram_chat": TEAM_CHAT}, "connected Telegram channel"),
    ({"telegram_chat": "the team"}, "chat as its id"),
    ({"telegram_chat": TEAM_CHAT, "webhook_url": "http://127.0.0.1:9/hook"}, "not both"),
    ({"telegram_chat": "@campaignnews"}, "public channel"),  # unreviewed words never go where clips are posted
])
def test_bad_telegram_choices_are_refused(client, ctx, telegram: FakeTelegram, fields, says: str) -> None:  # type: ignore[no-untyped-def]
    token = {"Authorization": f"Bearer {make_user(ctx, 'lead@example.org', 'social_lead')[1]}"}
    body = {"name": "x", "query": "hospital", "telegram_channel_id": _bot(ctx, telegram), **fields}
    refused = client.post("/api/v1/alerts", headers=token, json=body)
    assert refused.status_code == 400 and says in refused.json["error"], refused.json


def test_only_social_leads_alert_through_the_campaigns_bot(client, ctx, telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    volunteer = {"Authorization": f"Bearer {make_user(ctx, 'vol@example.org')[1]}"}
    refused = client.post("/api/v1/alerts", headers=volunteer, json={
        "name": "x", "query": "hospital", "telegram_channel_id": _bot(ctx, telegram), "telegram_chat": TEAM_CHAT})
    assert refused.status_code == 403 and "social leads" in refused.json["error"]
    assert client.post("/api/v1/alerts", headers=volunteer, json={"query": "hospital"}).status_code == 201

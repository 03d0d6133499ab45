"""Delivering an alert's hit to its webhook: a signed JSON POST (no redirects, the URL guard first)."""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.error
import urllib.request

from sqlalchemy.orm import Session

from clipper.channels import Connection, InDoubt, Outgoing, PostError, Transient, telegram
from clipper.channels.records import credentials_key
from clipper.credentials import decrypt
from clipper.errors import ClipperError
from clipper.live.alerts import message, payload, signature
from clipper.models import Alert, AlertHit, Channel, Recording, utcnow
from clipper.urls import AddressPolicy, check_url
from workers.context import current


class DeliveryFailed(ClipperError):
    """The webhook answered with a server error or could not be reached: RQ tries again."""

    status = 502


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None  # a redirect is an answer like any other: never followed to a host nobody checked


def alert_secret(secret_key: str, alert_id: int) -> str:
    """Each alert's signing secret, derived from the app's secret (shown to its owner on the alerts page)."""
    return hmac.new(secret_key.encode(), f"alert-webhook-{alert_id}".encode(), hashlib.sha256).hexdigest()


def deliver_alert(hit_id: int, timeout: float = 10.0) -> str:
    ctx = current()
    s = ctx.settings
    with ctx.sessions() as session:
        hit = session.get(AlertHit, hit_id)
        if hit is None or hit.delivery in ("sent", "unconfirmed"):
            return "done"
        alert, recording = session.get(Alert, hit.alert_id), session.get(Recording, hit.recording_id)
        assert alert is not None and recording is not None
        if alert.telegram_channel_id:
            return _to_telegram(session, hit, alert, recording, timeout)
        body = payload(hit, alert, recording, s.public_base_url)
        stamp = str(int(time.time()))
        request = urllib.request.Request(alert.webhook_url, data=body, method="POST", headers={
            "Content-Type": "application/json", "User-Agent": "Clipper alerts", "X-Clipper-Timestamp": stamp,
            "X-Clipper-Signature": "sha256=" + signature(alert_secret(s.secret_key, alert.id), stamp, body)})
        try:
            check_url(alert.webhook_url, AddressPolicy(s.url_allowed_hosts))
            with urllib.request.build_opener(_NoRedirects).open(request, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except ClipperError as exc:  # the URL guard: a link that will not get better by retrying
            hit.delivery, hit.error = "failed", exc.message
            session.commit()
            return hit.delivery
        except OSError as exc:
            hit.error = f"The webhook could not be reached ({exc})."[:2000]
            session.commit()
            raise DeliveryFailed(hit.error) from None
        if 200 <= status < 300:
            hit.delivery, hit.error, hit.delivered_at = "sent", "", utcnow()
        elif status >= 500 or status == 429:
            hit.error = f"The webhook answered {status}; trying again."
            session.commit()
            raise DeliveryFailed(hit.error)
        else:
            hit.delivery, hit.error = "failed", f"The webhook refused the alert ({status})."
        session.commit()
        return hit.delivery


def _to_telegram(session: Session, hit: AlertHit, alert: Alert, recording: Recording, timeout: float) -> str:
    """The alert as a message in the team's Telegram chat, from the bot of a connected Telegram channel."""
    s = current().settings
    channel = session.get(Channel, alert.telegram_channel_id)
    if channel is None or not channel.active:
        hit.delivery, hit.error = "failed", "The Telegram channel this alert used is gone; pick another."
        session.commit()
        return hit.delivery
    # the channel's own bot, told to write to the team's chat instead of the channel it posts clips to
    bot = telegram.connect({**(channel.config or {}), "chat_id": alert.telegram_chat},
                           decrypt(channel.credentials, credentials_key(s.secret_key, s.credentials_key)),
                           Connection(AddressPolicy(s.url_allowed_hosts), timeout=timeout), channel.limits or {})
    text = message(hit, alert, recording, s.public_base_url)
    try:
        bot.post(Outgoing(post_id=0, key=f"alert-hit-{hit.id}", text=text, alt_text="", video=None))
    except Transient as exc:  # flood control or a Telegram outage: the publish queue tries again
        hit.error = exc.message[:2000]
        session.commit()
        raise DeliveryFailed(hit.error) from None
    except InDoubt as exc:  # it may have arrived: sending again could tell the team twice
        hit.delivery, hit.error = "unconfirmed", f"{exc.message} Look in the chat; it may have arrived."[:2000]
        session.commit()
        return hit.delivery
    except PostError as exc:
        hit.delivery, hit.error = "failed", exc.message[:2000]
        session.commit()
        return hit.delivery
    hit.delivery, hit.error, hit.delivered_at = "sent", "", utcnow()
    session.commit()
    return hit.delivery

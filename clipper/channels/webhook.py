"""Webhook: a URL that receives a JSON description of the clip, for n8n, Zapier, Make or the campaign's tools.

Signed as Standard Webhooks do it: headers ``webhook-id`` (the post's key, the same on every try),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature: v1,<base64 HMAC-SHA256 of
"{id}.{timestamp}.{body}">`` with the channel's secret. Receivers should refuse old timestamps and
may deduplicate on ``webhook-id``; since we can't know that they do, a delivery in doubt is
``unconfirmed`` rather than sent again.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from clipper.channels import Account, CannotCheck, Connection, Limits, Outgoing, Sent
from clipper.channels.text import check_text
from clipper.channels.transport import Http

LIMITS = Limits(max_chars=10_000, max_video_bytes=0)
PLATFORM = "The webhook"


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class Webhook:
    kind = "webhook"

    def __init__(self, url: str, secret: str, conn: Connection, limits: Limits = LIMITS) -> None:
        self.url = url
        self.secret = secret
        self.http = Http(conn, PLATFORM)
        self.limits = limits

    def _send(self, event: str, payload: Mapping[str, Any], message_id: str, *, creates: bool) -> Any:
        body = json.dumps({"type": event, "data": payload}, sort_keys=True).encode()
        stamp = int(time.time())
        response = self.http.request("POST", self.url, data=body, creates=creates, headers={
            "Content-Type": "application/json", "webhook-id": message_id, "webhook-timestamp": str(stamp),
            "webhook-signature": sign(self.secret, message_id, stamp, body)})
        self.http.raise_for_status(response)
        return response

    def check(self) -> Account:
        self.http.guard(self.url)
        self._send("clipper.ping", {"message": "Clipper checks this webhook; nothing to post."},
                   f"ping-{int(time.time())}", creates=False)
        return Account(name=self.url.split("?", 1)[0], url="", limits=self.limits, detail="answered the signed ping")

    def post(self, item: Outgoing) -> Sent:
        check_text(item.text, self.limits, "The webhook")
        payload = {"post_id": item.post_id, "key": item.key, "title": item.title, "text": item.text,
                   "alt_text": item.alt_text, **dict(item.links)}
        response = self._send("clip.post", payload, item.key, creates=True)
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        return Sent(external_id=str(answer.get("id") or item.key), url=str(answer.get("url") or ""))

    def find_existing(self, item: Outgoing) -> Sent | None:
        raise CannotCheck("A webhook cannot be asked whether it received a delivery.")


def connect(config: Mapping[str, Any], secrets: Mapping[str, str], conn: Connection,
         limits: Mapping[str, Any]) -> Webhook:
    return Webhook(str(config.get("url", "")), secrets.get("secret", ""), conn, Limits.from_dict(limits, LIMITS))

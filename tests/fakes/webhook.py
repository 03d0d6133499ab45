"""A webhook receiver that checks Standard Webhooks signatures: ``webhook-signature: v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}">``, refusing a bad signature or a timestamp over 5 minutes off.
``created`` lists every accepted delivery (duplicates included, so a test sees them). Fault route: ``deliver``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from tests.fakes.server import FakeServer, Request, Response

TOLERANCE = 300


class FakeWebhook(FakeServer):
    def __init__(self, secret: str = "whsec-test-secret") -> None:
        super().__init__()
        self.secret = secret
        self.deliveries: list[dict[str, Any]] = []

    @property
    def created(self) -> list[dict[str, Any]]:
        return [d for d in self.deliveries if d["type"] == "clip.post"]

    def route(self, req: Request) -> Any:
        return ("deliver", self.deliver) if req.method == "POST" else None

    def deliver(self, req: Request) -> Response:
        message_id = req.headers.get("webhook-id", "")
        stamp = req.headers.get("webhook-timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > TOLERANCE:
            return Response(400, {"error": "stale or missing timestamp"})
        mac = hmac.new(self.secret.encode(), f"{message_id}.{stamp}.".encode() + req.body, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(mac).decode()
        offered = req.headers.get("webhook-signature", "").split()
        if not any(hmac.compare_digest(expected, sig) for sig in offered):
            return Response(401, {"error": "bad signature"})
        event = json.loads(req.body)
        with self.lock:
            self.deliveries.append({"id": message_id, "type": event["type"], "data": event["data"]})
        return Response(200, {"id": f"delivery-{len(self.deliveries)}"})

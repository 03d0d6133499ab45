"""Mastodon: an instance URL and an access token (scopes read + write:media + write:statuses).

Media goes through ``POST /api/v2/media`` (200 when processed at once, 202 while processing; then
``GET /api/v1/media/:id`` answers 206 until it is ready and 200 after), then ``POST /api/v1/statuses``
with the media id and an ``Idempotency-Key``. Mastodon keeps that key for an hour and answers a repeat
with the status it already made, so within the hour a post in doubt is checked by sending it again;
after that it can't be checked (``CannotCheck``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from clipper.channels import (
    Account,
    CannotCheck,
    Connection,
    Limits,
    Outgoing,
    Permanent,
    Sent,
    Transient,
    check_video,
)
from clipper.channels.text import check_text
from clipper.channels.transport import Http
from clipper.models.base import utcnow

LIMITS = Limits(max_chars=500, max_video_bytes=40 * 1024 * 1024)  # Mastodon's defaults
IDEMPOTENCY_WINDOW = timedelta(minutes=55)  # Mastodon keeps keys for 1 hour; keep a margin
PLATFORM = "Mastodon"


class Mastodon:
    kind = "mastodon"

    def __init__(self, instance: str, token: str, conn: Connection, limits: Limits = LIMITS,
                 poll_interval: float = 1.0, max_wait: float = 300.0) -> None:
        self.base = instance.rstrip("/")
        self.token = token
        self.http = Http(conn, PLATFORM)
        self.limits = limits
        self.poll_interval = poll_interval
        self.max_wait = max_wait

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def _json(self, response: Any) -> Any:
        try:
            return response.json()
        except ValueError:
            raise Permanent(f"{self.base} did not answer like a Mastodon server. Check the instance URL.") from None

    def check(self) -> Account:
        response = self.http.request("GET", f"{self.base}/api/v2/instance")
        if response.status_code == 404:
            raise Permanent(f"{self.base} is not a Mastodon server (no /api/v2/instance). Check the instance URL.")
        self.http.raise_for_status(response)
        instance = self._json(response)
        if not isinstance(instance, dict) or "configuration" not in instance:
            raise Permanent(f"{self.base} is not a Mastodon server. Check the instance URL.")
        conf = instance.get("configuration") or {}
        limits = Limits(max_chars=int((conf.get("statuses") or {}).get("max_characters") or LIMITS.max_chars),
                        max_video_bytes=int((conf.get("media_attachments") or {}).get("video_size_limit")
                                            or LIMITS.max_video_bytes))
        response = self.http.request("GET", f"{self.base}/api/v1/accounts/verify_credentials", headers=self._auth())
        self.http.raise_for_status(response)
        account = self._json(response)
        domain = instance.get("domain") or urlsplit(self.base).hostname or ""
        return Account(name=f"@{account.get('acct') or account.get('username')}@{domain}",
                       url=str(account.get("url") or self.base), limits=limits,
                       detail=f"{instance.get('title') or domain}: {limits.max_chars} characters, "
                              f"videos up to {limits.max_video_bytes // 1_000_000} MB")

    def post(self, item: Outgoing) -> Sent:
        check_text(item.text, self.limits, PLATFORM)
        media_ids = [self._upload(item)] if item.video else []
        response = self.http.request(
            "POST", f"{self.base}/api/v1/statuses", creates=True,
            headers={**self._auth(), "Idempotency-Key": item.key},
            json={"status": item.text, "media_ids": media_ids, "visibility": "public"})
        self.http.raise_for_status(response)
        status = self._json(response)
        return Sent(external_id=str(status["id"]), url=str(status.get("url") or status.get("uri") or ""))

    def find_existing(self, item: Outgoing) -> Sent | None:
        """Within Mastodon's idempotency window, sending again with the same key is the check."""
        if item.first_sent_at is not None and utcnow() - item.first_sent_at > IDEMPOTENCY_WINDOW:
            raise CannotCheck("Mastodon remembers a post's key for an hour only, and that hour has passed.")
        return self.post(item)

    def _upload(self, item: Outgoing) -> str:
        video = item.video
        assert video is not None
        check_video(video, self.limits, PLATFORM)
        with open(video.path, "rb") as fh:
            response = self.http.request(
                "POST", f"{self.base}/api/v2/media", headers=self._auth(),
                files={"file": (video.path.name, fh, video.mime)},
                data={"description": item.alt_text} if item.alt_text else {})
        if response.status_code == 422:
            raise Permanent(f"Mastodon refused the video: {self._json(response).get('error', 'invalid file')}.")
        self.http.raise_for_status(response)
        media = self._json(response)
        media_id = str(media["id"])
        deadline = time.monotonic() + self.max_wait
        while response.status_code == 202 or (response.status_code == 206):
            if time.monotonic() > deadline:
                raise Transient("Mastodon is still processing the video; trying again later.")
            time.sleep(self.poll_interval)
            response = self.http.request("GET", f"{self.base}/api/v1/media/{media_id}", headers=self._auth())
            if response.status_code == 422:
                raise Permanent("Mastodon could not process the video (it failed on their side). "
                                "Try another variant.")
            self.http.raise_for_status(response)
        return media_id


def connect(config: Mapping[str, Any], secrets: Mapping[str, str], conn: Connection,
         limits: Mapping[str, Any]) -> Mastodon:
    return Mastodon(str(config.get("instance_url", "")), secrets.get("access_token", ""), conn,
                    Limits.from_dict(limits, LIMITS), poll_interval=float(config.get("poll_interval", 1.0)))

"""A Mastodon instance as its REST API documents it (docs.joinmastodon.org/methods/…).

- ``GET /api/v2/instance``: the server's configuration (character and video size limits).
- ``GET /api/v1/accounts/verify_credentials``: the token's account, or 401.
- ``POST /api/v2/media`` (multipart ``file``, ``description``): 202 while processing (``url`` null);
  ``GET /api/v1/media/:id`` answers 206 until processed, then 200 (422 if processing failed).
- ``POST /api/v1/statuses`` (``status``, ``media_ids[]``): 200 with the status; the same
  ``Idempotency-Key`` within the hour answers the status already made.
Fault routes: ``instance``, ``media``, ``media_status``, ``statuses``.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.server import FakeServer, Request, Response, bearer


class FakeMastodon(FakeServer):
    def __init__(self, token: str = "mastodon-token", *, max_chars: int = 500,
                 video_size_limit: int = 40 * 1024 * 1024, processing_polls: int = 1) -> None:
        super().__init__()
        self.token = token
        self.max_chars = max_chars
        self.video_size_limit = video_size_limit
        self.processing_polls = processing_polls
        self.fail_processing = False
        self.media: dict[str, dict[str, Any]] = {}
        self.statuses: list[dict[str, Any]] = []
        self.idempotency: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(100)

    @property
    def created(self) -> list[dict[str, Any]]:
        return self.statuses

    def route(self, req: Request) -> Any:
        if req.method == "GET" and req.path == "/api/v2/instance":
            return "instance", self.instance
        if req.method == "GET" and req.path == "/api/v1/accounts/verify_credentials":
            return "verify", self.authed(self.verify)
        if req.method == "POST" and req.path == "/api/v2/media":
            return "media", self.authed(self.upload)
        if req.method == "GET" and req.path.startswith("/api/v1/media/"):
            return "media_status", self.authed(self.media_status)
        if req.method == "POST" and req.path == "/api/v1/statuses":
            return "statuses", self.authed(self.create_status)
        return None

    def authed(self, handler: Any) -> Any:
        def check(req: Request) -> Response:
            if bearer(req) != self.token:
                return Response(401, {"error": "The access token is invalid"})
            return handler(req)  # type: ignore[no-any-return]
        return check

    def instance(self, req: Request) -> Response:
        return Response(200, {
            "domain": "fake.social", "title": "Fake Social", "version": "4.3.0",
            "configuration": {
                "statuses": {"max_characters": self.max_chars, "max_media_attachments": 4,
                             "characters_reserved_per_url": 23},
                "media_attachments": {"supported_mime_types": ["video/mp4", "image/jpeg"],
                                      "image_size_limit": 16 * 1024 * 1024, "video_size_limit": self.video_size_limit},
            }})

    def verify(self, req: Request) -> Response:
        return Response(200, {"id": "1", "username": "campaign", "acct": "campaign", "display_name": "The Campaign",
                              "url": "https://fake.social/@campaign"})

    def upload(self, req: Request) -> Response:
        form = req.form()
        if "file" not in form:
            return Response(422, {"error": "Validation failed: File can't be blank"})
        _, data = form["file"]
        if len(data) > self.video_size_limit:
            return Response(422, {"error": "Validation failed: File file size must be less than 40 MB"})
        media_id = str(next(self._ids))
        with self.lock:
            self.media[media_id] = {"id": media_id, "type": "video", "url": None, "size": len(data),
                                    "description": form.get("description"), "polls_left": self.processing_polls}
        return Response(202, {k: v for k, v in self.media[media_id].items() if k != "polls_left"})

    def media_status(self, req: Request) -> Response:
        media = self.media.get(req.path.rsplit("/", 1)[-1])
        if media is None:
            return Response(404, {"error": "Record not found"})
        if self.fail_processing:
            return Response(422, {"error": "Error processing thumbnail for uploaded media"})
        if media["polls_left"] > 0:
            media["polls_left"] -= 1
            return Response(206, {**{k: v for k, v in media.items() if k != "polls_left"}, "url": None})
        media["url"] = f"https://fake.social/media/{media['id']}.mp4"
        return Response(200, {k: v for k, v in media.items() if k != "polls_left"})

    def create_status(self, req: Request) -> Response:
        form = req.json() if req.headers.get("content-type", "").startswith("application/json") else req.form()
        key = req.headers.get("idempotency-key", "")
        with self.lock:
            if key and key in self.idempotency:
                return Response(200, self.idempotency[key])
        text = str(form.get("status", ""))
        if len(text) > self.max_chars:
            return Response(422, {"error": f"Validation failed: Text character limit of {self.max_chars} exceeded"})
        media_ids = [str(m) for m in form.get("media_ids", [])]
        for media_id in media_ids:
            media = self.media.get(media_id)
            if media is None or media["url"] is None:
                return Response(422, {"error": "Cannot attach files that have not finished processing. Try again in a moment!"})
        with self.lock:
            status_id = str(next(self._ids))
            status = {"id": status_id, "url": f"https://fake.social/@campaign/{status_id}",
                      "uri": f"https://fake.social/users/campaign/statuses/{status_id}", "content": text,
                      "media_attachments": [self.media[m] for m in media_ids], "idempotency_key": key}
            self.statuses.append(status)
            if key:
                self.idempotency[key] = status
        return Response(200, status)

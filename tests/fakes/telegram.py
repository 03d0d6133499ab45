"""The Telegram Bot API as core.telegram.org/bots/api documents it: ``/bot<token>/<method>``.

``getMe``, ``getChat`` (``chat_id``), ``sendVideo`` (multipart ``chat_id``, ``video`` file, ``caption`` up to
1024 characters, ``supports_streaming``; files up to 50 MB) and ``sendMessage``. Answers are
``{"ok": true, "result": …}`` or ``{"ok": false, "error_code": …, "description": …}``; 429 carries
``parameters.retry_after``. Fault routes: ``getMe``, ``getChat``, ``sendVideo``.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from tests.fakes.server import FakeServer, Request, Response

MAX_UPLOAD = 50 * 1024 * 1024


class FakeTelegram(FakeServer):
    def __init__(self, token: str = "123456:telegram-bot-token", chat_id: str = "@campaignnews") -> None:
        super().__init__()
        self.token = token
        self.chat = {"id": -1001234567890, "type": "channel", "title": "Campaign News", "username": "campaignnews"}
        self.chat_ids = {chat_id, str(self.chat["id"])}
        self.messages: list[dict[str, Any]] = []
        self._ids = itertools.count(10)

    @property
    def created(self) -> list[dict[str, Any]]:
        return self.messages

    def route(self, req: Request) -> Any:
        prefix, _, method = req.path.lstrip("/").partition("/")
        if not prefix.startswith("bot"):
            return None
        if prefix[3:] != self.token:
            return "auth", lambda r: Response(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        handlers = {"getMe": self.get_me, "getChat": self.get_chat, "sendVideo": self.send_video,
                    "sendMessage": self.send_message}
        return (method, handlers[method]) if method in handlers else None

    def _error(self, code: int, description: str) -> Response:
        return Response(code, {"ok": False, "error_code": code, "description": description})

    def get_me(self, req: Request) -> Response:
        return Response(200, {"ok": True, "result": {"id": 123456, "is_bot": True, "first_name": "Clipper",
                                                     "username": "campaign_clipper_bot"}})

    def get_chat(self, req: Request) -> Response:
        if str(req.form().get("chat_id", "")) not in self.chat_ids:
            return self._error(400, "Bad Request: chat not found")
        return Response(200, {"ok": True, "result": self.chat})

    def send_video(self, req: Request) -> Response:
        form = req.form()
        if str(form.get("chat_id", "")) not in self.chat_ids:
            return self._error(400, "Bad Request: chat not found")
        if "video" not in form:
            return self._error(400, "Bad Request: there is no video in the request")
        _, data = form["video"]
        if len(data) > MAX_UPLOAD:
            return self._error(413, "Request Entity Too Large")
        caption = str(form.get("caption", ""))
        if len(caption) > 1024:
            return self._error(400, "Bad Request: message caption is too long")
        return self._message({"caption": caption, "video": {
            "file_id": f"vid{len(self.messages)}", "file_size": len(data),
            "duration": int(form.get("duration") or 0), "width": int(form.get("width") or 0),
            "height": int(form.get("height") or 0)},
            "supports_streaming": form.get("supports_streaming") == "true"})

    def send_message(self, req: Request) -> Response:
        form = req.form()
        if str(form.get("chat_id", "")) not in self.chat_ids:
            return self._error(400, "Bad Request: chat not found")
        return self._message({"text": str(form.get("text", "")), "chat_id": str(form.get("chat_id"))})

    def _message(self, content: dict[str, Any]) -> Response:
        with self.lock:
            message = {"message_id": next(self._ids), "date": int(time.time()), "chat": self.chat, **content}
            self.messages.append(message)
        return Response(200, {"ok": True, "result": message})

"""Telegram: a bot token and the channel or chat it posts to (the bot must be an admin there).

``getMe`` and ``getChat`` test the connection; ``sendVideo`` uploads the file (the Bot API takes up to
50 MB) with the caption (up to 1024 characters) and ``supports_streaming``. The Bot API has no way to
look up what a bot posted, so a post in doubt cannot be checked: it becomes ``unconfirmed``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

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

LIMITS = Limits(max_chars=1024, max_video_bytes=50 * 1024 * 1024)
PLATFORM = "Telegram"


class Telegram:
    kind = "telegram"

    def __init__(self, token: str, chat_id: str, conn: Connection, *, api_url: str = "https://api.telegram.org",
                 limits: Limits = LIMITS) -> None:
        self.token = token
        self.chat_id = chat_id.strip()
        self.api = api_url.rstrip("/")
        self.http = Http(conn, PLATFORM, hide=(token,))
        self.limits = limits

    def _call(self, method: str, *, creates: bool = False, **kwargs: Any) -> Any:
        response = self.http.request("POST", f"{self.api}/bot{self.token}/{method}", creates=creates, **kwargs)
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code == 429 or data.get("error_code") == 429:
            retry = (data.get("parameters") or {}).get("retry_after")
            raise Transient("Telegram asks us to slow down (flood control).",
                            retry_after=float(retry) if retry is not None else None)
        if response.status_code in (401, 404) and not data.get("ok"):
            raise Permanent("Telegram refused the bot token (revoked or mistyped). An admin must reconnect the channel.")
        if response.status_code == 403:
            raise Permanent(f"Telegram: the bot may not post in {self.chat_id} ({data.get('description', '')}). "
                            "Make the bot an admin of the channel.")
        if response.status_code >= 500:
            raise Transient(f"Telegram had a problem ({response.status_code}). Trying again.")
        if not data.get("ok"):
            raise Permanent(f"Telegram refused it: {data.get('description') or response.status_code}.")
        return data["result"]

    def check(self) -> Account:
        bot = self._call("getMe")
        chat = self._call("getChat", data={"chat_id": self.chat_id})
        username = chat.get("username")
        return Account(name=f"{chat.get('title') or chat.get('id')} (bot @{bot.get('username')})",
                       url=f"https://t.me/{username}" if username else "", limits=self.limits,
                       detail=f"captions up to {self.limits.max_chars} characters, videos up to 50 MB")

    def post(self, item: Outgoing) -> Sent:
        check_text(item.text, self.limits, PLATFORM)
        if item.video is None:
            message = self._call("sendMessage", creates=True, data={"chat_id": self.chat_id, "text": item.text})
        else:
            video = item.video
            check_video(video, self.limits, PLATFORM)
            with open(video.path, "rb") as fh:
                message = self._call("sendVideo", creates=True, files={"video": (video.path.name, fh, video.mime)},
                                     data={"chat_id": self.chat_id, "caption": item.text, "supports_streaming": "true",
                                           "duration": str(round(video.duration)), "width": str(video.width),
                                           "height": str(video.height)})
        return Sent(external_id=str(message["message_id"]), url=_message_url(message))

    def find_existing(self, item: Outgoing) -> Sent | None:
        raise CannotCheck("Telegram's Bot API cannot look up what a bot posted.")


def _message_url(message: Mapping[str, Any]) -> str:
    chat = message.get("chat") or {}
    if chat.get("username"):
        return f"https://t.me/{chat['username']}/{message['message_id']}"
    chat_id = str(chat.get("id", ""))
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message['message_id']}"
    return ""


def connect(config: Mapping[str, Any], secrets: Mapping[str, str], conn: Connection,
         limits: Mapping[str, Any]) -> Telegram:
    return Telegram(secrets.get("bot_token", ""), str(config.get("chat_id", "")), conn,
                    api_url=str(config.get("api_url") or "https://api.telegram.org"),
                    limits=Limits.from_dict(limits, LIMITS))

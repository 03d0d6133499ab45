"""Channel rows: what each kind asks the admin for, saving it (secrets encrypted) and testing the connection.

A channel is saved only after a successful "test connection", so a typo never leaves a channel that
looks ready; the secrets typed in are encrypted at once and never shown again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from clipper import events
from clipper.channels import Account, Connection, PostError, open_channel
from clipper.credentials import decrypt, encrypt
from clipper.errors import InvalidInput
from clipper.models import CHANNEL_KINDS, Channel
from clipper.models.base import utcnow
from clipper.urls import UrlRefused, check_url


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    secret: bool = False
    url: bool = False
    required: bool = True
    hint: str = ""


FIELDS: dict[str, tuple[Field, ...]] = {
    "mastodon": (Field("instance_url", "Instance URL", url=True, hint="https://mastodon.social"),
                 Field("access_token", "Access token", secret=True,
                       hint="Preferences → Development → New application, scopes write:statuses write:media read:accounts")),
    "bluesky": (Field("handle", "Handle", hint="campaign.bsky.social"),
                Field("app_password", "App password", secret=True, hint="Settings → Privacy and security → App passwords"),
                Field("service_url", "PDS URL", url=True, required=False, hint="empty: https://bsky.social"),
                Field("video_service_url", "Video service URL", url=True, required=False,
                      hint="empty: https://video.bsky.app")),
    "telegram": (Field("bot_token", "Bot token", secret=True, hint="from @BotFather; make the bot an admin of the channel"),
                 Field("chat_id", "Channel", hint="@channelname or the numeric chat id"),
                 Field("api_url", "Bot API server", url=True, required=False, hint="empty: https://api.telegram.org")),
    "webhook": (Field("url", "Webhook URL", url=True),
                Field("secret", "Signing secret", secret=True, hint="the receiver checks webhook-signature with it")),
}
KIND_LABELS = {"mastodon": "Mastodon", "bluesky": "Bluesky", "telegram": "Telegram", "webhook": "Webhook"}


def credentials_key(secret_key: str, credentials_key_setting: str) -> str:
    return credentials_key_setting or secret_key


def parse(kind: str, values: Mapping[str, str], conn: Connection, *, keep_secrets: bool = False
          ) -> tuple[dict[str, str], dict[str, str]]:
    """(config, secrets) from a form; URLs through the URL guard. ``keep_secrets``: blank secrets are kept."""
    if kind not in CHANNEL_KINDS:
        raise InvalidInput(f"Choose a platform: {', '.join(KIND_LABELS.values())}.")
    config: dict[str, str] = {}
    secrets: dict[str, str] = {}
    for field in FIELDS[kind]:
        value = (values.get(field.name) or "").strip()
        if not value:
            if field.required and not (field.secret and keep_secrets):
                raise InvalidInput(f"Fill in the {field.label.lower()}.")
            if not field.secret:
                config[field.name] = ""
            continue
        if len(value) > 2000:
            raise InvalidInput(f"The {field.label.lower()} is too long.")
        if field.url:
            try:
                value = check_url(value, conn.policy).rstrip("/")
            except UrlRefused as exc:
                raise InvalidInput(f"{field.label}: {exc.message}") from None
        (secrets if field.secret else config)[field.name] = value
    return config, secrets


def create(session: Session, kind: str, name: str, values: Mapping[str, str], *, key: str, conn: Connection,
           user_id: int | None) -> Channel:
    name = name.strip() or KIND_LABELS.get(kind, kind)
    if len(name) > 200:
        raise InvalidInput("The name is too long: at most 200 characters.")
    config, secrets = parse(kind, values, conn)
    account = _check(kind, config, secrets, conn, {})
    channel = Channel(kind=kind, name=name, config=config, credentials=encrypt(secrets, key))
    _found(channel, account)
    session.add(channel)
    session.flush()
    events.record(session, "channel.added", channel, user_id=user_id, kind=kind, account=account.name)
    return channel


def update_credentials(session: Session, channel: Channel, values: Mapping[str, str], *, key: str,
                       conn: Connection, user_id: int | None) -> Channel:
    config, typed = parse(channel.kind, values, conn, keep_secrets=True)
    secrets = {**decrypt(channel.credentials, key), **typed}
    account = _check(channel.kind, config, secrets, conn, {})
    channel.config, channel.credentials = config, encrypt(secrets, key)
    _found(channel, account)
    events.record(session, "channel.changed", channel, user_id=user_id)
    return channel


def check(session: Session, channel: Channel, *, key: str, conn: Connection) -> Account | None:
    """Test the saved connection; the outcome is kept on the row either way."""
    try:
        account = _check(channel.kind, channel.config or {}, decrypt(channel.credentials, key), conn, {})
    except InvalidInput as exc:
        channel.check_error, channel.checked_at = exc.message, utcnow()
        return None
    _found(channel, account)
    return account


def _check(kind: str, config: Mapping[str, str], secrets: Mapping[str, str], conn: Connection,
           limits: Mapping[str, object]) -> Account:
    try:
        return open_channel(kind, config, secrets, conn, limits).check()
    except PostError as exc:
        raise InvalidInput(f"Test connection failed: {exc.message}") from None


def _found(channel: Channel, account: Account) -> None:
    channel.account_name, channel.account_url = account.name, account.url
    channel.limits = {**account.limits.as_dict(), "detail": account.detail}
    channel.checked_at, channel.check_error = utcnow(), ""

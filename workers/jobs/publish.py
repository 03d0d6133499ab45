"""Publish: send one post to its channel (thin: ``clipper.posts.publish`` holds the state machine),
and the sweep that re-queues posts whose jobs Redis no longer holds."""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path

import redis
from cryptography.fernet import InvalidToken
from sqlalchemy.orm import Session

from clipper import posts
from clipper.channels import Channel, Connection, Outgoing, Video, bluesky, mastodon, open_channel, telegram, webhook
from clipper.credentials import decrypt, fernet
from clipper.errors import ClipperError
from clipper.models import Clip, Post, Render, utcnow
from clipper.settings import Settings
from clipper.urls import AddressPolicy
from workers import queues
from workers.context import Context, current

log = logging.getLogger(__name__)
ADAPTERS = (bluesky, mastodon, telegram, webhook)  # imported here, once, before a worker forks its work horses


def publish_post(post_id: int) -> str:
    ctx = current()
    work = ctx.workdir(f"publish-{post_id}")
    try:
        with ctx.sessions() as session:
            step = posts.publish(session, post_id, adapter=lambda p: adapter_for(ctx.settings, p, ctx.redis),
                                 outgoing=lambda p: outgoing(ctx, session, p, work), policy=policy(ctx.settings))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if step.retry_at is not None:
        queues.enqueue_publish(ctx.redis, post_id, at=step.retry_at)
    return step.status


def policy(settings: Settings) -> posts.Policy:
    return posts.Policy(lease=timedelta(seconds=settings.publish_lease_seconds),
                        max_attempts=settings.publish_max_attempts,
                        backoff=timedelta(seconds=settings.publish_retry_seconds))


def adapter_for(settings: Settings, post: Post, conn: redis.Redis | None = None) -> Channel:
    channel = post.channel
    key = settings.credentials_key or settings.secret_key
    secrets = decrypt(channel.credentials, key)
    sessions = SessionInRedis(conn, f"clipper:channel-session:{channel.id}", key) if conn is not None else None
    connection = Connection(AddressPolicy(settings.url_allowed_hosts), timeout=settings.publish_request_timeout,
                            sessions=sessions)
    return open_channel(channel.kind, channel.config or {}, secrets, connection, channel.limits or {})


class SessionInRedis:
    """A channel's login kept between jobs, encrypted like its credentials (it is one)."""

    def __init__(self, conn: redis.Redis, name: str, key: str) -> None:
        self.conn, self.name, self.fernet = conn, name, fernet(key)

    def get(self) -> str | None:
        raw = self.conn.get(self.name)
        if not raw:
            return None
        try:
            return self.fernet.decrypt(raw).decode()
        except InvalidToken:
            return None

    def set(self, value: str, ttl: int) -> None:
        self.conn.set(self.name, self.fernet.encrypt(value.encode()), ex=ttl)

    def clear(self) -> None:
        self.conn.delete(self.name)


def outgoing(ctx: Context, session: Session, post: Post, work: Path) -> Outgoing:
    clip = session.get(Clip, post.clip_id)
    render = session.get(Render, post.render_id) if post.render_id else None
    video = None
    if post.channel.kind != "webhook":  # a webhook gets links to the files, not the file
        if render is None or not render.storage_key or not ctx.store.exists(render.storage_key):
            raise ClipperError(f"The {post.preset} video of this clip is no longer in storage. Render the clip "
                               "again, then post it.")
        local = getattr(ctx.store, "local_path", None)
        path = Path(local(render.storage_key)) if local else ctx.store.get_file(render.storage_key, work / "video.mp4")
        video = Video(path=Path(path), size=render.size or Path(path).stat().st_size, duration=render.duration,
                      width=render.width, height=render.height)
    variants = {r.preset: {"url": r.public_url, "width": r.width, "height": r.height, "duration": r.duration,
                           "size": r.size} for r in (clip.renders if clip else []) if r.status == "done"}
    links = {"clip_id": post.clip_id, "variant": post.preset, "video_url": render.public_url if render else "",
             "variants": variants, "speaker": clip.speaker if clip else ""}
    return Outgoing(post_id=post.id, key=post.idempotency_key, text=post.text, alt_text=post.alt_text, video=video,
                    first_sent_at=post.first_sent_at, links=links, title=clip.title if clip else "")


SWEEP_LOCK = "clipper:publish-sweep"


def sweep_once_per(seconds: int, ctx: Context | None = None) -> int | None:
    """Run ``sweep`` unless another worker did within ``seconds`` (many workers, one sweep per interval)."""
    ctx = ctx or current()
    if not ctx.redis.set(SWEEP_LOCK, "1", nx=True, ex=max(1, seconds)):
        return None
    return sweep(ctx)


def sweep(ctx: Context | None = None) -> int:
    """Queue every scheduled post Redis holds no job for, and every ``sending`` post whose lease ran out
    (its worker died): they are resolved with the platform, not sent blindly. Returns how many."""
    ctx = ctx or current()
    now = utcnow()
    count = 0
    with ctx.sessions() as session:
        for post in posts.scheduled_posts(session):
            if not queues.publish_waiting(ctx.redis, post.id):
                queues.enqueue_publish(ctx.redis, post.id, at=post.due_at)
                count += 1
        for post in posts.stale_sending(session, now - timedelta(seconds=1)):
            queues.enqueue_publish(ctx.redis, post.id)
            count += 1
    if count:
        log.info("publish sweep queued %d post(s)", count)
    return count

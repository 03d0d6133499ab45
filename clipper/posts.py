"""The life of a post, and the rule that it is never posted twice and never silently lost.

::

    scheduled ──claim──▶ sending ──▶ sent
        ▲  │                 │ ├───▶ failed        (a permanent error, or passing ones too many times)
        │  └──▶ cancelled    │ └───▶ unconfirmed   (it may have landed and the platform can't tell us)
        └── passing error ───┘       (nothing was created: try again later)

Every change of state is a compare-and-set ``UPDATE`` on the row (``WHERE status = ... AND
lease_until = ...``), so two workers that pick up the same post can't both send it. ``sending`` is
written before any request leaves and carries a lease; a post still ``sending`` after its lease (its
worker died, Redis lost the job) is *resolved*: the adapter's ``find_existing`` asks the platform
whether the post is there (Bluesky: the record key; Mastodon: the idempotency key, within its hour),
and where the platform can't tell, the post becomes ``unconfirmed`` for a lead to check by hand.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clipper import events
from clipper.channels import CannotCheck, Channel, InDoubt, Outgoing, Permanent, Sent, Transient
from clipper.errors import ClipperError, InvalidInput, NotFound
from clipper.models import Post
from clipper.models.base import utcnow

log = logging.getLogger(__name__)

TID_CHARS = "234567abcdefghijklmnopqrstuvwxyz"
EARLY = timedelta(seconds=1)  # a job may start this much before its time (the scheduler ticks each second)


def make_key(now: datetime | None = None) -> str:
    """A TID (AT Protocol's record key for posts: 13 sortable base-32 characters of microseconds and a
    random clock id); unique enough to be every platform's idempotency key too."""
    moment = now or utcnow()
    micros = int((moment - datetime(1970, 1, 1)).total_seconds() * 1_000_000)
    value = (micros << 10) | secrets.randbelow(1024)
    return "".join(TID_CHARS[(value >> (5 * i)) & 31] for i in reversed(range(13)))


@dataclass(frozen=True)
class Step:
    """What the publish job does next: nothing, or run again at ``retry_at`` (naive UTC)."""

    status: str
    retry_at: datetime | None = None
    message: str = ""


@dataclass(frozen=True)
class Policy:
    lease: timedelta = timedelta(seconds=300)
    max_attempts: int = 5
    backoff: timedelta = timedelta(seconds=30)
    max_backoff: timedelta = timedelta(minutes=30)

    def delay(self, attempts: int, asked: float | None) -> timedelta:
        if asked is not None:
            return timedelta(seconds=min(max(asked, 1.0), 6 * 3600))
        return min(self.backoff * (2 ** max(0, attempts - 1)), self.max_backoff)


def _changed(result: Any) -> int:
    """Rows an UPDATE changed (the compare-and-set's outcome)."""
    return int(result.rowcount)


def get_post(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("There is no such post.")
    return post


# --- the publish step (called by the thin job) ---

def publish(session: Session, post_id: int, *, adapter: Callable[[Post], Channel],
            outgoing: Callable[[Post], Outgoing], policy: Policy = Policy(),
            now: Callable[[], datetime] = utcnow) -> Step:
    post = session.get(Post, post_id)
    if post is None:
        return Step("gone")
    mode = _claim(session, post, now(), policy)
    if mode is None:
        return Step(post.status)
    lease = post.lease_until
    try:
        channel = adapter(post)
        item = outgoing(post)
        if mode == "resolve":
            found = channel.find_existing(item)
            if found is not None:
                return _finish(session, post, lease, "sent", sent=found)
        return _finish(session, post, lease, "sent", sent=channel.post(item))
    except InDoubt as exc:
        return _in_doubt(session, post, lease, exc, adapter, outgoing, policy, now)
    except CannotCheck as exc:
        return _unconfirmed(session, post, lease, exc.message)
    except Transient as exc:
        if mode == "resolve":
            return _retry_resolve(session, post, lease, exc, policy, now())
        return _retry(session, post, lease, exc, policy, now())
    except (Permanent, ClipperError) as exc:
        if not exc.expected:
            raise
        return _finish(session, post, lease, "failed", error=exc.message)


def _claim(session: Session, post: Post, at: datetime, policy: Policy) -> str | None:
    """Take the post for this worker: "send" a due scheduled post, "resolve" one whose lease ran out."""
    lease = at + policy.lease
    if post.status == "scheduled":
        due = post.due_at or post.scheduled_at
        if due > at + EARLY:
            return None  # moved later since this job was queued; the job for the new time will come
        claimed = _changed(session.execute(update(Post).where(Post.id == post.id, Post.status == "scheduled",
                                                     Post.due_at == post.due_at)
                                  .values(status="sending", lease_until=lease, attempts=Post.attempts + 1,
                                          first_sent_at=post.first_sent_at or at)))
        mode = "send"
    elif post.status == "sending" and post.lease_until is not None and post.lease_until < at:
        claimed = _changed(session.execute(update(Post).where(Post.id == post.id, Post.status == "sending",
                                                     Post.lease_until == post.lease_until)
                                  .values(lease_until=lease, attempts=Post.attempts + 1)))
        mode = "resolve"
    else:
        return None
    session.commit()
    session.refresh(post)
    return mode if claimed == 1 else None


def _set(session: Session, post: Post, lease: datetime | None, **values: object) -> bool:
    """Compare-and-set from our own claim; False when someone else took the post meanwhile."""
    done = _changed(session.execute(update(Post).where(Post.id == post.id, Post.status == "sending",
                                              Post.lease_until == lease).values(**values)))
    session.commit()
    session.refresh(post)
    return done == 1


def _finish(session: Session, post: Post, lease: datetime | None, status: str, *, sent: Sent | None = None,
            error: str = "") -> Step:
    values: dict[str, object] = {"status": status, "error": error, "lease_until": None}
    if sent is not None:
        values.update(external_id=sent.external_id[:300], external_url=sent.url, sent_at=utcnow())
    if _set(session, post, lease, **values):
        outcome = {"url": sent.url} if sent else {"error": error}
        events.record(session, f"post.{status}", post, post_status=status, channel_id=post.channel_id,
                      clip_id=post.clip_id, outcome=outcome)
        session.commit()
    return Step(post.status, message=error)


def _unconfirmed(session: Session, post: Post, lease: datetime | None, why: str) -> Step:
    return _finish(session, post, lease, "unconfirmed",
                   error=f"The post may or may not have gone out, and Clipper can't tell: {why} "
                         "Check the account, then mark it sent or post it again.")


def _retry(session: Session, post: Post, lease: datetime | None, exc: Transient, policy: Policy,
           at: datetime) -> Step:
    if post.attempts >= policy.max_attempts:
        return _finish(session, post, lease, "failed",
                       error=f"{exc.message} Gave up after {post.attempts} tries; post it again when it's back.")
    due = at + policy.delay(post.attempts, exc.retry_after)
    _set(session, post, lease, status="scheduled", due_at=due, lease_until=None,
         error=f"{exc.message} Trying again at {due:%H:%M:%S} UTC.")
    return Step("scheduled", retry_at=due, message=exc.message)


def _retry_resolve(session: Session, post: Post, lease: datetime | None, exc: Exception, policy: Policy,
                   at: datetime) -> Step:
    """The check itself met a passing error: stay ``sending`` and check again after the delay."""
    if post.attempts >= policy.max_attempts:
        message = getattr(exc, "message", str(exc))
        return _unconfirmed(session, post, lease, f"checking failed {post.attempts} times ({message})")
    due = at + policy.delay(post.attempts, getattr(exc, "retry_after", None))
    _set(session, post, lease, lease_until=due, error=f"Checking whether the post went out; again at {due:%H:%M:%S} UTC.")
    return Step("sending", retry_at=due)


def _in_doubt(session: Session, post: Post, lease: datetime | None, exc: InDoubt,
              adapter: Callable[[Post], Channel], outgoing: Callable[[Post], Outgoing], policy: Policy,
              now: Callable[[], datetime]) -> Step:
    """The creating request left and no answer came: ask the platform, never just send again."""
    log.warning("post %s in doubt: %s", post.id, exc.message)
    try:
        found = adapter(post).find_existing(outgoing(post))
    except CannotCheck as why:
        return _unconfirmed(session, post, lease, why.message)
    except (Transient, InDoubt) as again:
        return _retry_resolve(session, post, lease, again, policy, now())
    if found is not None:
        return _finish(session, post, lease, "sent", sent=found)
    return _retry_resolve(session, post, lease, exc, policy, now())  # definitively absent: send on the next run


# --- what leads do ---

def reschedule(session: Session, post_id: int, when_utc: datetime, *, user_id: int | None,
               now: datetime | None = None) -> Post:
    post = get_post(session, post_id)
    if post.status not in ("scheduled", "failed"):
        raise InvalidInput(f"This post is {post.status}; only scheduled or failed posts can be moved.")
    moved = _changed(session.execute(update(Post).where(Post.id == post.id, Post.status == post.status)
                            .values(status="scheduled", scheduled_at=when_utc, due_at=when_utc, error="",
                                    attempts=0 if post.status == "failed" else post.attempts)))
    if moved != 1:
        raise InvalidInput("This post changed meanwhile (it may be going out now). Reload the page.")
    events.record(session, "post.rescheduled", post, user_id=user_id, scheduled_at=when_utc.isoformat())
    session.commit()
    session.refresh(post)
    return post


def cancel(session: Session, post_id: int, *, user_id: int | None, reason: str = "") -> Post:
    post = get_post(session, post_id)
    done = _changed(session.execute(update(Post).where(Post.id == post.id, Post.status.in_(("scheduled", "failed")))
                           .values(status="cancelled", error=reason, due_at=None)))
    if done != 1:
        raise InvalidInput(f"This post is {post.status} and can no longer be cancelled.")
    events.record(session, "post.cancelled", post, user_id=user_id, reason=reason)
    session.commit()
    session.refresh(post)
    return post


def cancel_for_clip(session: Session, clip_id: int, user_id: int | None, reason: str) -> list[int]:
    """A clip withdrawn from the gallery: cancel its posts that have not started going out.

    Posts already ``sending`` are left to finish (they can't be called back); the caller commits."""
    ids = list(session.scalars(select(Post.id).where(Post.clip_id == clip_id,
                                                      Post.status.in_(("scheduled", "failed")))))
    if ids:
        session.execute(update(Post).where(Post.id.in_(ids), Post.status.in_(("scheduled", "failed")))
                        .values(status="cancelled", due_at=None, error=reason or "The clip was withdrawn."))
        for post_id in ids:
            events.record(session, "post.cancelled", Post(id=post_id), user_id=user_id, reason=reason,
                          clip_id=clip_id)
    return ids


def mark_checked(session: Session, post_id: int, *, user_id: int | None, url: str = "") -> Post:
    """A lead checked an unconfirmed post by hand and found it there."""
    post = get_post(session, post_id)
    if post.status != "unconfirmed":
        raise InvalidInput("Only an unconfirmed post can be marked as found.")
    if url and (not url.startswith(("https://", "http://")) or len(url) > 2000):
        raise InvalidInput("Paste the post's web address (starting with https://), or leave it empty.")
    post.status, post.error, post.external_url = "sent", "", url or post.external_url
    post.sent_at = post.sent_at or utcnow()
    events.record(session, "post.confirmed", post, user_id=user_id)
    session.commit()
    return post


# --- what the sweep looks for ---

def scheduled_posts(session: Session) -> Sequence[Post]:
    """Every post waiting for its time (their jobs may have been lost with Redis)."""
    return session.scalars(select(Post).where(Post.status == "scheduled").order_by(Post.due_at)).all()


def stale_sending(session: Session, at: datetime) -> Sequence[Post]:
    """Posts whose sender stopped without saying how it ended."""
    return session.scalars(select(Post).where(Post.status == "sending", Post.lease_until < at)).all()

"""The composer: a social lead's choices for one clip become scheduled posts, or a clear refusal.

Everything that can be checked before anything is uploaded is checked here, per channel: the clip is
approved, the chosen variant is rendered, the text (with the promoter imprint appended where the admin
requires it) fits the platform's limit — graphemes for Bluesky — and the video fits its size and
duration limits, and the time is not in the past. Nothing is saved unless every post passes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from clipper import events
from clipper.channels import Limits, PostError, Video, check_video, default_limits
from clipper.channels.text import check_text
from clipper.errors import InvalidInput
from clipper.models import PRESETS, Branding, Channel, Clip, Post, Render
from clipper.posts import make_key
from clipper.schedule import check_future

POSTABLE = ("approved", "published")
PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "telegram": "Telegram", "webhook": "The webhook"}
MAX_ALT = 1500


@dataclass(frozen=True)
class Draft:
    channel_id: int
    preset: str
    text: str
    alt_text: str = ""


def limits_for(channel: Channel) -> Limits:
    return Limits.from_dict(channel.limits or {}, default_limits(channel.kind))


def with_imprint(text: str, branding: Branding | None) -> str:
    """The text as it will be posted: the imprint appended when the admin requires it."""
    text = text.strip()
    imprint = (branding.imprint_text or "").strip() if branding is not None else ""
    if branding is not None and branding.imprint_required and imprint and imprint not in text:
        return f"{text}\n\n{imprint}" if text else imprint
    return text


def compose(session: Session, clip: Clip, drafts: Sequence[Draft], when_utc: datetime, *, now: datetime,
            tz_name: str, user_id: int | None) -> list[Post]:
    if clip.status not in POSTABLE:
        raise InvalidInput(f"This clip is {clip.status}; only approved clips can be posted.")
    if not drafts:
        raise InvalidInput("Choose at least one channel to post to.")
    check_future(when_utc, now, tz_name)
    branding = session.get(Branding, 1)
    renders = {r.preset: r for r in clip.renders}
    posts = []
    for draft in drafts:
        channel = session.get(Channel, draft.channel_id)
        if channel is None or not channel.active:
            raise InvalidInput("One of the chosen channels no longer exists or is switched off. Reload the page.")
        text = with_imprint(draft.text, branding)
        try:
            _check(channel, draft, text, renders.get(draft.preset))
        except (InvalidInput, PostError) as exc:
            raise InvalidInput(f"{channel.name}: {exc.message}") from None
        post = Post(clip_id=clip.id, render_id=renders[draft.preset].id, channel_id=channel.id,
                    preset=draft.preset, text=text, alt_text=draft.alt_text.strip(), scheduled_at=when_utc,
                    due_at=when_utc, status="scheduled", idempotency_key=make_key(now), created_by_id=user_id)
        session.add(post)
        posts.append(post)
    session.flush()
    for post in posts:
        events.record(session, "post.scheduled", post, user_id=user_id, clip_id=clip.id,
                      channel_id=post.channel_id, scheduled_at=when_utc.isoformat())
    return posts


def _check(channel: Channel, draft: Draft, text: str, render: Render | None) -> None:
    platform = PLATFORM_NAMES.get(channel.kind, channel.kind)
    if draft.preset not in PRESETS:
        raise InvalidInput(f"Choose a version of the clip: {', '.join(PRESETS)}.")
    if render is None or render.status != "done" or not render.storage_key:
        raise InvalidInput(f"The {draft.preset} version of this clip is not rendered yet. Wait for it, or choose another.")
    if len(draft.alt_text) > MAX_ALT:
        raise InvalidInput(f"The alt text is too long: at most {MAX_ALT} characters.")
    if not text and channel.kind != "webhook":
        raise InvalidInput("Write the text of the post.")
    limits = limits_for(channel)
    check_text(text, limits, platform)
    check_video(Video(path=None, size=render.size, duration=render.duration, width=render.width,  # type: ignore[arg-type]
                      height=render.height), limits, platform)

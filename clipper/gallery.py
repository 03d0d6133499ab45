"""The supporters' gallery: publishing, withdrawing, and the queries public pages make.

A clip is published when it is approved and every render is done (the render job calls
``publish``); it gets a short unguessable slug that never changes, so links shared on phones keep
working after a re-render. Public pages read ``Publication`` rows only. Withdrawing hides the clip
everywhere public and records who did it; ``on_withdraw`` callbacks let other areas react (the
social posting area cancels the clip's unsent posts there).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clipper import events, posts
from clipper.errors import Conflict, InvalidInput, NotFound
from clipper.models import Branding, Clip, Publication, PublicCount, utcnow
from clipper.share import ShareFiles

PAGE_SIZE = 24
SHARE_WAYS = ("native", "whatsapp", "telegram", "x", "facebook", "email")

# Called as hook(session, clip, user_id) inside the withdrawal's transaction, before it commits.
# Other areas that react to a withdrawal (the clip's unsent social posts are cancelled in ``withdraw`` itself).
on_withdraw: list[Callable[[Session, Clip, int | None], None]] = []


@dataclass(frozen=True)
class GalleryQuery:
    speaker: str = ""
    tag: str = ""
    since: date | None = None  # team-local dates, inclusive
    until: date | None = None
    q: str = ""
    page: int = 1


@dataclass(frozen=True)
class GalleryPage:
    items: tuple[Publication, ...]
    total: int
    page: int
    pages: int


def new_slug() -> str:
    return secrets.token_urlsafe(8)  # 64 random bits, 11 URL-safe characters


def ready_to_publish(clip: Clip) -> bool:
    return clip.status in ("approved", "published") and bool(clip.renders) and all(
        r.status == "done" and r.storage_key for r in clip.renders)


def publish(session: Session, clip: Clip, share: ShareFiles | None, share_keys: tuple[str, str] = ("", ""),
            *, user_id: int | None = None) -> Publication:
    """Publish an approved clip whose renders are done, or refresh a publication after a re-render.

    Idempotent: the slug is made once; a withdrawn clip stays withdrawn (re-rendering it does not
    bring it back). The caller commits.
    """
    if not ready_to_publish(clip) and clip.status != "withdrawn":
        raise Conflict("Only an approved clip whose renders are all done can be published.")
    pub = session.scalar(select(Publication).where(Publication.clip_id == clip.id))
    first = pub is None
    if pub is None:
        pub = Publication(clip_id=clip.id, slug=new_slug(), status="published", published_at=utcnow())
        session.add(pub)
    _snapshot(session, pub, clip, share, share_keys)
    pub.updated_at = utcnow()
    if clip.status == "approved":
        clip.status = "published"
    if first:
        events.record(session, "clip.published", clip, user_id=user_id, slug=pub.slug)
    session.flush()
    return pub


def _snapshot(session: Session, pub: Publication, clip: Clip, share: ShareFiles | None,
              share_keys: tuple[str, str]) -> None:
    order = {"vertical": 0, "square": 1, "landscape": 2}
    done = sorted((r for r in clip.renders if r.status == "done"), key=lambda r: order.get(r.preset, 9))
    pub.title, pub.speaker, pub.duration = clip.title, clip.speaker, round(clip.duration, 3)
    pub.tags = list(clip.tags or [])
    pub.tags_text = "|" + "|".join(t.lower() for t in pub.tags) + "|" if pub.tags else ""
    pub.caption_text = " ".join(str(w.get("text", "")) for w in clip.caption_words or [])
    pub.search_text = f"{clip.title}\n{pub.caption_text}".lower()
    pub.post_text = post_text(clip.post_copy, Branding.current(session))
    pub.variants = [{"preset": r.preset, "key": r.storage_key, "size": r.size, "width": r.width,
                     "height": r.height, "sha256": r.sha256} for r in done]
    pub.vtt_key = next((r.vtt_key for r in done if r.vtt_key), "")
    if share is not None:
        pub.share_key, pub.image_key = share_keys
        pub.share_size, pub.share_width, pub.share_height = share.size, share.width, share.height
        pub.image_size, pub.image_width, pub.image_height = share.image_size, share.image_width, share.image_height


def post_text(post_copy: str, branding: Branding) -> str:
    """The post copy supporters copy, with the promoter imprint appended when the admin requires it."""
    text = (post_copy or "").strip()
    imprint = (branding.imprint_text or "").strip()
    if branding.imprint_required and imprint and imprint not in text:
        text = f"{text}\n\n{imprint}" if text else imprint
    return text


def publication_of(session: Session, clip_id: int) -> Publication:
    pub = session.scalar(select(Publication).where(Publication.clip_id == clip_id))
    if pub is None:
        raise NotFound("This clip has not been published yet: it is published when it is approved and its "
                       "renders are done.")
    return pub


def withdraw(session: Session, clip: Clip, *, user_id: int | None) -> Publication:
    """Take a published clip off the gallery and the feeds; the caller hides its objects and commits."""
    pub = publication_of(session, clip.id)
    if pub.status == "withdrawn":
        return pub  # repeating it is harmless: the caller hides the objects again (a move may have failed)
    pub.status, pub.withdrawn_at, pub.updated_at = "withdrawn", utcnow(), utcnow()
    clip.status = "withdrawn"
    events.record(session, "clip.withdrawn", clip, user_id=user_id, slug=pub.slug)
    posts.cancel_for_clip(session, clip.id, user_id, "The clip was withdrawn from the gallery.")
    for hook in on_withdraw:
        hook(session, clip, user_id)
    session.flush()
    return pub


def republish(session: Session, clip: Clip, *, user_id: int | None) -> Publication:
    pub = publication_of(session, clip.id)
    if pub.status != "withdrawn":
        raise Conflict("This clip is published already.")
    if not clip.renders or not all(r.status == "done" for r in clip.renders):
        raise Conflict("This clip's renders are not all done; publish it again once they are.")
    pub.status, pub.withdrawn_at, pub.updated_at = "published", None, utcnow()
    clip.status = "published"
    events.record(session, "clip.republished", clip, user_id=user_id, slug=pub.slug)
    session.flush()
    return pub


def object_keys(pub: Publication) -> list[str]:
    """Every stored object a publication links to."""
    keys = [v["key"] for v in pub.variants] + [pub.vtt_key, pub.share_key, pub.image_key]
    return [k for k in dict.fromkeys(keys) if k]


def withdrawn_key(session: Session, key: str) -> bool:
    """Does ``key`` belong to a withdrawn clip (``clips/<id>/...``)? Its links must then be refused."""
    parts = key.split("/")
    if len(parts) < 3 or parts[0] != "clips" or not parts[1].isdigit():
        return False
    status = session.scalar(select(Publication.status).where(Publication.clip_id == int(parts[1])))
    return status == "withdrawn"


# --- what public pages read ---

def by_slug(session: Session, slug: str) -> Publication | None:
    if not slug or len(slug) > 32:
        return None
    return session.scalar(select(Publication).where(Publication.slug == slug))


def search(session: Session, query: GalleryQuery, timezone: str, page_size: int = PAGE_SIZE) -> GalleryPage:
    """Published clips, newest first, filtered; words in ``q`` must all appear in the title or captions."""
    where: list[Any] = [Publication.status == "published"]
    if query.speaker:
        where.append(Publication.speaker == query.speaker)
    if query.tag:
        where.append(Publication.tags_text.contains(f"|{query.tag.lower()}|", autoescape=True))
    zone = ZoneInfo(timezone)
    if query.since:
        where.append(Publication.published_at >= _utc(datetime.combine(query.since, datetime.min.time()), zone))
    if query.until:
        end = datetime.combine(query.until + timedelta(days=1), datetime.min.time())
        where.append(Publication.published_at < _utc(end, zone))
    for word in query.q.lower().split()[:10]:
        where.append(Publication.search_text.contains(word, autoescape=True))
    total = session.scalar(select(func.count(Publication.id)).where(*where)) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, query.page), pages)
    items = session.scalars(select(Publication).where(*where)
                            .order_by(Publication.published_at.desc(), Publication.id.desc())
                            .limit(page_size).offset((page - 1) * page_size)).all()
    return GalleryPage(tuple(items), total, page, pages)


def _utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def speakers(session: Session) -> list[str]:
    return [s for s in session.scalars(select(Publication.speaker).where(Publication.status == "published")
                                       .distinct().order_by(Publication.speaker)) if s]


def tags(session: Session) -> list[str]:
    """Tags in use, one spelling per tag (the filter ignores case)."""
    found: dict[str, str] = {}
    for row in session.scalars(select(Publication.tags).where(Publication.status == "published")):
        for tag in row or []:
            found[str(tag).lower()] = min(found.get(str(tag).lower(), str(tag)), str(tag))
    return sorted(found.values(), key=str.lower)


def version(session: Session) -> tuple[int, datetime | None]:
    """Changes whenever anything public changes: the page cache's key."""
    row = session.execute(select(func.count(Publication.id), func.max(Publication.updated_at))).one()
    return int(row[0]), row[1]


# --- counts (no cookie, address or user agent: a number per clip, kind and variant) ---

def count(session: Session, clip_id: int, kind: str, variant: str) -> None:
    if kind == "share" and variant not in SHARE_WAYS:
        raise InvalidInput("Unknown way of sharing.")
    bump = (update(PublicCount).where(PublicCount.clip_id == clip_id, PublicCount.kind == kind,
                                      PublicCount.variant == variant).values(count=PublicCount.count + 1))
    if session.execute(bump).rowcount:  # type: ignore[attr-defined]
        session.commit()
        return
    try:
        session.add(PublicCount(clip_id=clip_id, kind=kind, variant=variant, count=1))
        session.commit()
    except IntegrityError:  # another request made the row first
        session.rollback()
        session.execute(bump)
        session.commit()


def counts_for(session: Session, clip_ids: list[int]) -> dict[int, dict[str, int]]:
    """{clip id: {"download": n, "share": n, "download:vertical": n, "share:whatsapp": n, ...}}"""
    found: dict[int, dict[str, int]] = {}
    if not clip_ids:
        return found
    for row in session.scalars(select(PublicCount).where(PublicCount.clip_id.in_(clip_ids))):
        mine = found.setdefault(row.clip_id, {})
        mine[row.kind] = mine.get(row.kind, 0) + row.count
        mine[f"{row.kind}:{row.variant}"] = row.count
    return found


def slugs_for(session: Session, clip_ids: list[int]) -> dict[int, tuple[str, str]]:
    """{clip id: (slug, status)} for the team's clip list."""
    if not clip_ids:
        return {}
    rows = session.execute(select(Publication.clip_id, Publication.slug, Publication.status)
                           .where(Publication.clip_id.in_(clip_ids)))
    return {r[0]: (r[1], r[2]) for r in rows}


__all__ = ["GalleryQuery", "GalleryPage", "publish", "withdraw", "republish", "on_withdraw", "search", "by_slug",
           "count", "counts_for"]

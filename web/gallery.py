"""The supporters' gallery: ``/`` (published clips, filters, search, pages) and ``/c/<slug>`` (a clip).

Public, no login, no cookies, only published data (``clipper.gallery``); pages come from the page
cache with ETag/Last-Modified. The clip page carries the link-preview tags platforms read
(Open Graph with a playable og:video, Twitter's player card, oEmbed discovery).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask import abort, request

from clipper import gallery
from clipper.models import Publication
from web.auth import public
from web.db import session, settings
from web.public import absolute, cached, public_blueprint, render

bp = public_blueprint("gallery")


@bp.get("/")
@public
def index() -> Any:
    return cached(_gallery_page)


def _gallery_page() -> tuple[str, int, Any]:
    db = session()
    query = _query()
    found = gallery.search(db, query, settings().timezone)
    _, modified = gallery.version(db)
    feed_args = {k: v for k, v in (("tag", query.tag), ("speaker", query.speaker)) if v}
    html = render("public/gallery.html", found=found, query=query, speakers=gallery.speakers(db),
                           tags=gallery.tags(db), feed_url=absolute("feeds.atom", **feed_args),
                           filters={k: v for k, v in request.args.items() if k != "page" and v})
    return html, 200, modified


def _query() -> gallery.GalleryQuery:
    args = request.args
    page = args.get("page", "1")
    return gallery.GalleryQuery(speaker=args.get("speaker", "").strip()[:200], tag=args.get("tag", "").strip()[:40],
                                since=_date(args.get("from", "")), until=_date(args.get("to", "")),
                                q=args.get("q", "").strip()[:200], page=int(page) if page.isdigit() else 1)


def _date(value: str) -> date | None:
    try:
        return date.fromisoformat(value.strip()) if value.strip() else None
    except ValueError:
        return None  # a half-typed date filters nothing rather than failing the page


@bp.get("/c/<slug>")
@public
def clip(slug: str) -> Any:
    return cached(lambda: _clip_page(slug))


def _clip_page(slug: str) -> tuple[str, int, Any]:
    pub = published(slug)
    return render("public/clip.html", pub=pub, **links(pub)), 200, pub.updated_at


def published(slug: str) -> Publication:
    """The publication behind ``slug``: 404 if there is none, 410 if it was withdrawn."""
    pub = gallery.by_slug(session(), slug)
    if pub is None:
        abort(404)
    if pub.status != "published":
        abort(410)
    return pub


def links(pub: Publication) -> dict[str, Any]:
    """Absolute links for a clip page and its previews (stable: no signatures, safe to cache)."""
    page = absolute("gallery.clip", slug=pub.slug)
    share = pub.share_key and absolute("public_media.media", slug=pub.slug, name="share.mp4")
    return {
        "page_url": page,
        "video_url": absolute("public_media.media", slug=pub.slug, name="video.mp4"),
        "share_url": share or "",
        "poster_url": absolute("public_media.media", slug=pub.slug, name="poster.jpg") if pub.image_key else "",
        "vtt_url": absolute("public_media.media", slug=pub.slug, name="captions.vtt") if pub.vtt_key else "",
        "embed_url": absolute("embed.embed", slug=pub.slug),
        "oembed_url": absolute("embed.oembed", url=page, format="json"),
        "downloads": [{**v, "url": absolute("public_media.download", slug=pub.slug, preset=v["preset"])}
                      for v in pub.variants],
        "intents": {way: absolute("public_media.share", slug=pub.slug, way=way) for way in gallery.SHARE_WAYS
                    if way != "native"},
        "share_filename": download_name(pub, "share"),
        "count_url": absolute("public_media.share", slug=pub.slug, way="native"),
    }


def download_name(pub: Publication, preset: str) -> str:
    """``Title-of-the-clip-vertical.mp4``: readable, no path or quote characters."""
    words = re.sub(r"[^\w]+", "-", pub.title, flags=re.UNICODE).strip("-_")[:60].rstrip("-")
    return f"{words or 'clip'}-{preset}.mp4"

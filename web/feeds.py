"""Atom and RSS feeds of published clips for the campaign's chats and channels (built with feedgen).

``/feeds/clips.atom`` and ``/feeds/clips.rss``, optionally ``?tag=`` or ``?speaker=``: the newest
clips first, each with its page, its post text, an enclosure of the MP4 and Media RSS
(``media:content`` for the video, ``media:thumbnail`` for the poster).
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from flask import request

from clipper import gallery
from web.auth import public
from web.db import session, settings
from web.gallery import links
from web.public import absolute, cached, public_blueprint

bp = public_blueprint("feeds")
FEED_SIZE = 50


class _Feed(BaseExtension):
    """Nothing at feed level; feedgen wants a feed class beside the entry one."""


class _AtomLinks(BaseEntryExtension):
    """feedgen 1.0.0 writes an Atom entry's links without rel, type and length (a shadowed variable in
    ``FeedEntry.atom_entry``), which turns the enclosure into a second alternate link: put them back."""

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: Any) -> Any:
        links = [e for e in entry if str(e.tag).rsplit("}", 1)[-1] == "link"]
        for element, attrs in zip(links, self.links, strict=False):
            element.attrib.update(attrs)
        return entry


@bp.get("/feeds/clips.atom")
@public
def atom() -> Any:
    return cached(lambda: _feed("atom"), mimetype="application/atom+xml")


@bp.get("/feeds/clips.rss")
@public
def rss() -> Any:
    return cached(lambda: _feed("rss"), mimetype="application/rss+xml")


def _feed(kind: str) -> tuple[bytes, int, Any]:
    db = session()
    tag, speaker = request.args.get("tag", "").strip()[:40], request.args.get("speaker", "").strip()[:200]
    found = gallery.search(db, gallery.GalleryQuery(tag=tag, speaker=speaker), settings().timezone,
                           page_size=FEED_SIZE)
    _, modified = gallery.version(db)
    args = {k: v for k, v in (("tag", tag), ("speaker", speaker)) if v}
    title = settings().gallery_title + "".join(f" · {v}" for v in args.values())
    fg = FeedGenerator()
    fg.load_extension("media")
    fg.register_extension("atomlinks", _Feed, _AtomLinks, atom=True, rss=False)
    self_url = absolute(f"feeds.{kind}", **args)
    fg.id(self_url)
    fg.title(title)
    fg.subtitle(f"Clips published by {settings().gallery_title}")
    fg.link(href=absolute("gallery.index", **args), rel="alternate")
    fg.link(href=self_url, rel="self")
    fg.language("en")
    fg.updated((modified or _epoch()).replace(tzinfo=UTC))
    for pub in reversed(found.items):  # feedgen puts each new entry first
        urls = links(pub)
        main = pub.main
        entry = fg.add_entry()
        entry.id(urls["page_url"])
        entry.title(pub.title or "Clip")
        entry.link(href=urls["page_url"], rel="alternate")
        entry.summary(pub.post_text or pub.caption_text or pub.title)
        entry.published(pub.published_at.replace(tzinfo=UTC))
        entry.updated(pub.updated_at.replace(tzinfo=UTC))
        if pub.speaker:
            entry.author(name=pub.speaker)
        for tag_name in pub.tags:
            entry.category(term=str(tag_name))
        entry.enclosure(urls["video_url"], str(main["size"]), "video/mp4")
        entry.atomlinks.links = [{"rel": "alternate", "type": "text/html"},
                                 {"rel": "enclosure", "type": "video/mp4", "length": str(main["size"])}]
        entry.media.content(url=urls["video_url"], fileSize=str(main["size"]), type="video/mp4", medium="video",
                            duration=str(int(round(pub.duration))), width=str(main["width"]),
                            height=str(main["height"]))
        if urls["poster_url"]:
            entry.media.thumbnail(url=urls["poster_url"], width=str(pub.image_width), height=str(pub.image_height))
    body = fg.atom_str(pretty=True) if kind == "atom" else fg.rss_str(pretty=True)
    return body, 200, modified


def _epoch():  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime(2000, 1, 1)

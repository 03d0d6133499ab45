"""The embeddable player ``/embed/<slug>`` (the only page other sites may frame) and ``/oembed``.

oEmbed (https://oembed.com): ``/oembed?url=<clip page>[&maxwidth=&maxheight=][&format=json]`` answers
a ``video`` response whose ``html`` is an iframe of the embed page. Only our own clip pages are
described; another site's URL, or a size that is not a whole number from 1 to 8192, is a 400.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

from flask import abort, request
from markupsafe import escape

from web.auth import public
from web.db import settings
from web.gallery import links, published
from web.public import cached, embeddable, public_blueprint, render

bp = public_blueprint("embed")
MAX_SIDE = 8192
DEFAULT_WIDTH = 360


@bp.get("/embed/<slug>")
@public
@embeddable
def embed(slug: str) -> Any:
    def page() -> tuple[str, int, Any]:
        pub = published(slug)
        return render("public/embed.html", pub=pub, **links(pub)), 200, pub.updated_at

    return cached(page)


@bp.get("/oembed")
@public
def oembed() -> Any:
    fmt = request.args.get("format", "json")
    if fmt == "xml":
        abort(501)
    if fmt != "json":
        abort(400, description="format must be json.")
    slug = _slug_of(request.args.get("url", ""))
    max_width, max_height = _size("maxwidth"), _size("maxheight")

    def answer() -> tuple[str, int, Any]:
        pub = published(slug)
        found = links(pub)
        width, height = pub.share_width or pub.main["width"], pub.share_height or pub.main["height"]
        scale = min(DEFAULT_WIDTH / width, (max_width or width) / width, (max_height or height) / height)
        w, h = max(1, int(width * scale)), max(1, int(height * scale))
        html = (f'<iframe src="{escape(found["embed_url"])}" width="{w}" height="{h}" title="{escape(pub.title)}" '
                'frameborder="0" allow="fullscreen; picture-in-picture" allowfullscreen></iframe>')
        body: dict[str, Any] = {
            "version": "1.0", "type": "video", "title": pub.title, "provider_name": settings().gallery_title,
            "provider_url": settings().public_base_url.rstrip("/") + "/", "html": html, "width": w, "height": h,
            "cache_age": 3600,
        }
        if pub.speaker:
            body["author_name"] = pub.speaker
        if found["poster_url"]:
            body.update(thumbnail_url=found["poster_url"], thumbnail_width=pub.image_width,
                        thumbnail_height=pub.image_height)
        return json.dumps(body), 200, pub.updated_at

    return cached(answer, mimetype="application/json")


def _slug_of(url: str) -> str:
    base = urlparse(settings().public_base_url.rstrip("/"))
    given = urlparse(url.strip())
    match = re.fullmatch(re.escape(base.path) + r"/c/([A-Za-z0-9_-]{1,32})/?", given.path)
    if given.scheme not in ("http", "https") or given.netloc.lower() != base.netloc.lower() or not match:
        abort(400, description=f"Only clip pages of {settings().public_base_url.rstrip('/')}/c/… can be embedded.")
    return match.group(1)


def _size(name: str) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SIDE:
        abort(400, description=f"{name} must be a whole number of pixels from 1 to {MAX_SIDE}.")
    return int(raw)

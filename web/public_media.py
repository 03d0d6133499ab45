"""A published clip's files at stable public URLs, and the share links that count.

- ``/c/<slug>/media/<name>``: the playing video, the share copy (og:video, Web Share), the JPEG
  poster (og:image) and the captions, inline;
- ``/c/<slug>/download/<preset>``: a variant as an attachment with a readable file name;
- ``/c/<slug>/share/<way>``: counts a share and sends the phone on to WhatsApp, Telegram, X,
  Facebook or email (plain links, no SDKs); ``native`` (the Web Share API) just counts.

The local store's files are sent from here (Range requests work, so video seeks); S3 answers with a
redirect to the object (the public base URL, else a presigned link). A withdrawn clip answers 410;
a download already under way finishes from the file it opened.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from flask import Response, abort, redirect, request, send_file

from clipper import gallery
from clipper.models import Publication
from storage.local import LocalStore
from web.auth import public
from web.db import session, store
from web.gallery import download_name, links, published
from web.public import public_blueprint

bp = public_blueprint("public_media")
MEDIA_CACHE = "public, max-age=60, must-revalidate"  # re-renders replace a file at the same URL
NAMES = {"video.mp4": "video/mp4", "share.mp4": "video/mp4", "poster.jpg": "image/jpeg", "captions.vtt": "text/vtt"}


@bp.get("/c/<slug>/media/<name>")
@public
def media(slug: str, name: str) -> Any:
    pub = published(slug)
    key = _key(pub, name)
    if not key:
        abort(404)
    return _send(key, NAMES[name])


@bp.get("/c/<slug>/download/<preset>")
@public
def download(slug: str, preset: str) -> Any:
    pub = published(slug)
    variant = pub.variant(preset)
    if variant is None:
        abort(404)
    if request.method == "GET" and request.headers.get("Range", "bytes=0-").startswith("bytes=0-"):
        gallery.count(session(), pub.clip_id, "download", preset)  # once per download, not per Range request
    return _send(variant["key"], "video/mp4", download_name=download_name(pub, preset))


@bp.get("/c/<slug>/share/<way>")
@public
def share(slug: str, way: str) -> Any:
    pub = published(slug)
    if way not in gallery.SHARE_WAYS:
        abort(404)
    gallery.count(session(), pub.clip_id, "share", way)
    if way == "native":
        response = Response(status=204)
    else:
        response = redirect(intent(way, links(pub)["page_url"], pub.title), 302)
    response.headers["Cache-Control"] = "no-store"
    return response


def intent(way: str, url: str, title: str) -> str:
    text = f"{title} {url}".strip()
    return {
        "whatsapp": "https://wa.me/?" + urlencode({"text": text}),
        "telegram": "https://t.me/share/url?" + urlencode({"url": url, "text": title}),
        "x": "https://twitter.com/intent/tweet?" + urlencode({"url": url, "text": title}),
        "facebook": "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": url}),
        "email": f"mailto:?subject={quote(title)}&body={quote(text)}",
    }[way]


def _key(pub: Publication, name: str) -> str:
    if name == "video.mp4":
        return str(pub.main["key"]) if pub.variants else ""
    return {"share.mp4": pub.share_key, "poster.jpg": pub.image_key, "captions.vtt": pub.vtt_key}.get(name, "")


def _send(key: str, mimetype: str, download_name: str | None = None) -> Any:
    s = store()
    if not isinstance(s, LocalStore):
        has_public_base = bool(getattr(s, "public_base_url", "")) and not download_name
        response = redirect(s.url(key, expires=3600, download_name=download_name, public=has_public_base), 302)
        response.headers["Cache-Control"] = MEDIA_CACHE if has_public_base else "no-store"
        return response
    found = s.serving(key)
    if found is None:
        abort(404)
    response = send_file(found.path, mimetype=mimetype, conditional=True, etag=True, max_age=None,
                         as_attachment=bool(download_name), download_name=download_name)
    response.headers["Cache-Control"] = MEDIA_CACHE
    return response

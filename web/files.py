"""Serving local-store objects through signed, expiring URLs (``/files/<key>?expires=&sig=[&download=]``).

Anyone holding a valid link may fetch the object (supporters download clips without logging in), so
the signature is the whole check: it covers the key, the expiry and the download name. HEAD and Range
requests work (browsers seek in video with Range and expect 206). Only stores that serve through the
web app (the local store) answer here; with S3, links point at the bucket instead.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, request, send_file

from clipper import gallery
from storage.base import check_key
from storage.local import LocalStore
from web.auth import public
from web.db import session, store

bp = Blueprint("files", __name__)

DEFAULT_CACHE = "private, max-age=60"


@bp.get("/files/<path:key>")
@public
def serve(key: str) -> Any:
    s = store()
    if not isinstance(s, LocalStore):
        abort(404)
    try:
        check_key(key)  # before anything touches the disk: no '..', no hidden files, no absolute paths
    except ValueError:
        abort(404)
    try:
        expires = int(request.args.get("expires", ""))
    except ValueError:
        abort(403)
    download = request.args.get("download", "")
    if not s.verify(key, expires, request.args.get("sig", ""), download):
        abort(403)
    if gallery.withdrawn_key(session(), key):
        abort(410)  # a withdrawn clip's links stop working, however long they were signed for
    found = s.serving(key)
    if found is None:
        abort(404)
    response = send_file(found.path, mimetype=found.content_type, conditional=True, etag=True,
                         as_attachment=bool(download), download_name=download or None)
    response.headers["Cache-Control"] = found.cache_control or DEFAULT_CACHE
    # Stored files are media, captions and images: never let a browser run one as a page (an upload
    # named .html would otherwise be served as a page from our origin).
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    return response

"""How big a request body each route takes, refused with 413 before a byte of it is read.

Every route takes at most ``max_body_bytes`` (JSON and forms: a few hundred KB) unless its view says
otherwise with ``@body_cap``: the multipart uploads (their own cap, checked again as they stream to
disk) and the tus ``PATCH`` (``max_upload_chunk_bytes``). A body announced bigger than the cap
(``Content-Length``) gets 413 at once; a chunked body without a length is cut off at the cap by
Werkzeug's limited stream, which also answers 413.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request

from clipper.settings import Settings

F = TypeVar("F", bound=Callable[..., Any])
CAP_ATTR = "_clipper_body_cap"
Cap = Callable[[Settings], int]


def body_cap(cap: Cap, *, mimetypes: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Let this view take bodies up to ``cap(settings)`` bytes (only of ``mimetypes``, when given)."""

    def decorate(view: F) -> F:
        setattr(view, CAP_ATTR, (cap, mimetypes))
        return view

    return decorate


def cap_for_request(settings: Settings) -> int:
    view = current_app.view_functions.get(request.endpoint or "")
    cap, mimetypes = getattr(view, CAP_ATTR, (None, ()))
    if cap is not None and (not mimetypes or request.mimetype in mimetypes):
        return int(cap(settings))
    return settings.max_body_bytes


def _size(n: int) -> str:
    if n >= 1024**2:
        return f"{n / 1024**2:.0f} MB"
    return f"{n / 1024:.0f} KB"


def _check_body_size() -> None:
    cap = cap_for_request(current_app.config["CLIPPER"])
    length = request.content_length
    if length is not None and length > cap:
        abort(413, description=f"The request is too large: {_size(length)} sent, this address takes at most "
                               f"{_size(cap)}.")
    request.max_content_length = cap  # a body with no length is cut off here too (413)


def init_app(app: Flask) -> None:
    """Register before anything that may read the body (the CSRF check reads forms)."""
    app.before_request(_check_body_size)

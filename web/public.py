"""What the public blueprints (gallery, clip media, embed, feeds) share.

- no cookie: public views and templates never touch the session, ``current_user`` or CSRF tokens;
- headers: the app's Content-Security-Policy (web/security.py: our own scripts and styles only, no
  framing), except that the embed page may be framed by any site;
- caching: pages come from the in-memory page cache with ETag, Last-Modified and a Cache-Control
  a CDN can honour;
- links: absolute URLs are built on ``CLIPPER_PUBLIC_BASE_URL``, never on the request's Host header
  (a cached page must not carry a link an attacker's Host header chose);
- errors: 404/410 pages of their own (the desk's error page would start a session).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request, url_for
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import HTTPException

from web.db import settings
from web.page_cache import EDGE_KEY, page_cache
from web.security import content_security_policy

EMBED_ATTR = "_clipper_embeddable"
MESSAGES = {
    404: "There is no clip here. It may have been mistyped, or it was never published.",
    410: "This clip has been withdrawn by the campaign and is no longer available.",
    400: "That request is not valid.",
    405: "That method is not allowed here.",
}


def embeddable(view: Callable[..., Any]) -> Callable[..., Any]:
    """The one kind of page other sites may put in a frame."""
    setattr(view, EMBED_ATTR, True)
    return view


def public_blueprint(name: str) -> Blueprint:
    bp = Blueprint(name, __name__)
    bp.record_once(lambda state: setattr(state.app, "session_interface", SessionInterface()))
    bp.before_request(lambda: setattr(g, "clipper_public", True))
    bp.after_request(_headers)
    bp.register_error_handler(HTTPException, _error)
    return bp


class SessionInterface(SecureCookieSessionInterface):
    """Never saves the session on a public page, a static file or a visitor's 404, and so never adds ``Vary: Cookie``: Flask-Login
    looks at the session after every request, and that alone would keep a CDN from caching."""

    def save_session(self, app: Any, session: Any, response: Response) -> None:
        if g.get("clipper_public") or request.endpoint == "static":  # static files hold nothing private
            return
        if response.status_code == 404 and not session.get("_user_id"):
            return  # a visitor's mistyped link or /favicon.ico must not start a session either
        super().save_session(app, session, response)


def render(template: str, **context: Any) -> str:
    """A template rendered without Flask's context processors: they read the session (Flask adds
    ``session`` to every template's context, Flask-Login ``current_user``), which marks the response
    ``Vary: Cookie`` and keeps a CDN from caching it. Public pages are the same for everyone."""
    return current_app.jinja_env.get_template(template).render(gallery_title=settings().gallery_title, **context)


def _headers(response: Response) -> Response:
    """The app-wide headers (web/security.py) forbid framing; the embed page lets any site frame it,
    also to say that its clip was withdrawn. ``nosniff`` on every file we send."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, EMBED_ATTR, False) and response.status_code in (200, 304, 410):
        policy = content_security_policy(settings())
        response.headers["Content-Security-Policy"] = policy.replace("frame-ancestors 'none'", "frame-ancestors *")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _error(exc: HTTPException) -> Any:
    status = exc.code or 500
    message = exc.description if status == 400 and exc.description else MESSAGES.get(status, "Something went wrong.")
    if request.path.startswith("/oembed"):
        return jsonify(error=message), status
    response = Response(render("public/error.html", status=status, message=message), status)
    response.headers["Cache-Control"] = cache_control()
    return response


def absolute(endpoint: str, **values: Any) -> str:
    return settings().public_base_url.rstrip("/") + url_for(endpoint, **values)


def cache_control() -> str:
    seconds = settings().gallery_cache_seconds
    return f"public, max-age={seconds}, s-maxage={seconds}" if seconds > 0 else "no-cache"


def cached(make: Callable[[], tuple[str | bytes, int, datetime | None]], mimetype: str = "text/html") -> Response:
    """The page for this URL from the cache, or rendered now; conditional (304) either way."""
    cache = page_cache()
    key = request.full_path
    generation = cache.generation  # before reading the database: a withdrawal from now on wins
    page = cache.get(key)
    if page is None:
        body, status, modified = make()
        data = body.encode() if isinstance(body, str) else body
        page = cache.put(key, data, status, mimetype, modified, generation)
    if cache.seconds > 0:  # web.page_cache.EdgeCache may replay the finished response until the page expires
        request.environ[EDGE_KEY] = (page.until, request.endpoint or "unmatched", generation)
    response = Response(page.body, page.status, mimetype=page.mimetype)
    response.headers["Cache-Control"] = cache_control()
    if page.status == 200:
        response.set_etag(page.etag)
        if page.last_modified is not None:
            response.last_modified = page.last_modified
        response.make_conditional(request)
    return response

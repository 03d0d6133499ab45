"""Rendered public pages kept in memory for a few seconds, so a rush of phones costs one render.

Public pages depend only on published data, so one rendering serves everyone until the TTL passes
(``CLIPPER_GALLERY_CACHE_SECONDS``); each entry also carries the ETag and Last-Modified that let
browsers and a CDN revalidate for free. Publishing and withdrawing in this process clear it at once;
other processes catch up within the TTL.

Two layers, one lifetime. ``PageCache`` holds the rendered body (``web.public.cached`` reads it
inside the view). ``EdgeCache``, a WSGI middleware in front of Flask, holds the finished response
of such a page — status, every header the app added, body — and answers the next plain ``GET`` of
the same URL from it without entering Flask: the session, CSRF, login limits and after-request
hooks cost 0.8 ms a request, which is most of what a rush of 200 phones waits for. What it replays
is what Flask sent, so headers stay the app's; only the request id is new, and the request is still
timed and logged. Conditional, ranged and HEAD requests, and anything that is not a cached 200
without cookies, go through Flask as before.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from web import metrics
from workers import logs

MAX_ENTRIES = 2000  # filters and searches make many keys; drop everything rather than grow without bound
EDGE_KEY = "clipper.edge"  # (until, endpoint, generation), set by web.public.cached: replay this response until then
BYPASS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE", "HTTP_IF_RANGE")


@dataclass(frozen=True)
class Page:
    body: bytes
    status: int
    mimetype: str
    etag: str
    last_modified: datetime | None
    until: float


@dataclass(frozen=True)
class Finished:
    """A response as Flask sent it, to replay."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    endpoint: str
    until: float


class PageCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._pages: dict[str, Page] = {}
        self._finished: dict[str, Finished] = {}
        self._lock = threading.Lock()
        self.generation = 0  # bumped by clear(): what was rendered before a withdrawal is never kept after it

    def get(self, key: str) -> Page | None:
        page = self._pages.get(key)
        if page is None or page.until < time.monotonic():
            return None
        return page

    def put(self, key: str, body: bytes, status: int, mimetype: str, last_modified: datetime | None,
            generation: int) -> Page:
        """Keep a page rendered from what the database held when ``generation`` was current."""
        page = Page(body, status, mimetype, hashlib.sha256(body).hexdigest()[:32], last_modified,
                    time.monotonic() + self.seconds)
        if self.seconds > 0:
            self._keep(self._pages, key, page, generation)
        return page

    def finished(self, key: str) -> Finished | None:
        done = self._finished.get(key)
        if done is None or done.until < time.monotonic():
            return None
        return done

    def keep_finished(self, key: str, done: Finished, generation: int) -> None:
        self._keep(self._finished, key, done, generation)

    def _keep(self, entries: dict[str, Any], key: str, entry: Any, generation: int) -> None:
        with self._lock:
            if generation != self.generation:
                return  # cleared while this was being made
            if len(entries) >= MAX_ENTRIES:
                entries.clear()
            entries[key] = entry

    def clear(self) -> None:
        with self._lock:
            self.generation += 1
            self._pages.clear()
            self._finished.clear()


class EdgeCache:
    """WSGI middleware: replays finished public pages (see the module's docstring)."""

    def __init__(self, app: Any, flask: Flask, cache: PageCache) -> None:
        self.app, self.flask, self.cache = app, flask, cache

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or any(h in environ for h in BYPASS):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        key = environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", "")
        done = self.cache.finished(key)
        if done is not None:
            started = time.perf_counter()
            request_id = logs.new_request_id(environ.get("HTTP_X_REQUEST_ID"))
            start_response(done.status, [*done.headers, ("X-Request-ID", request_id)])
            with logs.bound(request=request_id):
                metrics.record(self.flask, "GET", done.endpoint, environ.get("PATH_INFO", ""), int(done.status[:3]),
                               time.perf_counter() - started)
            return [done.body]
        return self._pass(key, environ, start_response)

    def _pass(self, key: str, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        sent: list[Any] = []

        def remember(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            sent[:] = [status, headers]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = self.app(environ, remember)
        edge = environ.get(EDGE_KEY)  # (until, endpoint, generation)
        if edge is None or not sent or not sent[0].startswith("200 "):
            return body  # type: ignore[no-any-return]
        names = {name.lower() for name, _ in sent[1]}
        if "set-cookie" in names or any(n == "vary" and "cookie" in v.lower() for n, v in sent[1]):
            return body  # type: ignore[no-any-return]
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = [(n, v) for n, v in sent[1] if n.lower() != "x-request-id"]
        self.cache.keep_finished(key, Finished(sent[0], headers, data, edge[1], edge[0]), edge[2])
        return [data]


def init_app(app: Flask) -> None:
    cache = PageCache(app.config["CLIPPER"].gallery_cache_seconds)
    app.extensions["clipper.page_cache"] = cache
    if cache.seconds > 0:
        app.wsgi_app = EdgeCache(app.wsgi_app, app, cache)  # type: ignore[method-assign]


def page_cache() -> PageCache:
    return current_app.extensions["clipper.page_cache"]  # type: ignore[no-any-return]

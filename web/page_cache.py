"""Rendered public pages kept in memory for a few seconds, so a rush of phones costs one render.

Public pages depend only on published data, so one rendering serves everyone until the TTL passes
(``CLIPPER_GALLERY_CACHE_SECONDS``); each entry also carries the ETag and Last-Modified that let
browsers and a CDN revalidate for free. Publishing and withdrawing in this process clear it at once;
other processes catch up within the TTL.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app

MAX_ENTRIES = 2000  # filters and searches make many keys; drop everything rather than grow without bound


@dataclass(frozen=True)
class Page:
    body: bytes
    status: int
    mimetype: str
    etag: str
    last_modified: datetime | None
    until: float


class PageCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._pages: dict[str, Page] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Page | None:
        page = self._pages.get(key)
        if page is None or page.until < time.monotonic():
            return None
        return page

    def put(self, key: str, body: bytes, status: int, mimetype: str, last_modified: datetime | None) -> Page:
        page = Page(body, status, mimetype, hashlib.sha256(body).hexdigest()[:32], last_modified,
                    time.monotonic() + self.seconds)
        if self.seconds > 0:
            with self._lock:
                if len(self._pages) >= MAX_ENTRIES:
                    self._pages.clear()
                self._pages[key] = page
        return page

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


def init_app(app: Flask) -> None:
    app.extensions["clipper.page_cache"] = PageCache(app.config["CLIPPER"].gallery_cache_seconds)


def page_cache() -> PageCache:
    return current_app.extensions["clipper.page_cache"]  # type: ignore[no-any-return]

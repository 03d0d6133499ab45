"""A web page that carries a live stream (a broadcaster's "watch live" page): yt-dlp reads the page and
names the stream's HLS playlist, which the recorder then follows like a playlist link.

yt-dlp runs with Clipper's guarded network handler (``clipper.netguard``), so the page, every redirect
and the playlist it finds are checked against the address rules before any connection is made.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from clipper.errors import InvalidInput

MANIFESTS = (".m3u8", ".mpd")


class NoStreamOnPage(InvalidInput):
    """yt-dlp found no HLS stream on the page: the recorder stops with this reason (retrying will not help)."""


def is_manifest(url: str) -> bool:
    """A link to a stream's playlist itself, not a page around it."""
    return urlsplit(url).path.lower().endswith(MANIFESTS)


def stream_of_page(ydl: Any, url: str) -> str:
    """The playlist link of the live stream on the page at ``url``: its master playlist where yt-dlp saw
    one (the recorder takes the best variant), else the best variant's own playlist."""
    import yt_dlp

    try:
        info = ydl.extract_info(url, download=False)
    except yt_dlp.utils.DownloadError as exc:
        reason = str(exc).removeprefix("ERROR: ").strip().splitlines()[0][:200]
        raise NoStreamOnPage(f"No live stream was found on that page ({reason}). Give the stream's .m3u8 "
                             "link instead (the browser's network panel shows it).") from None
    formats = [f for f in (info.get("formats") or [info]) if f.get("url")]
    hls = [f for f in formats if str(f.get("protocol") or "").startswith("m3u8")]
    if not hls:
        raise NoStreamOnPage("That page has a video but no HLS live stream Clipper can record. Give the stream's "
                             ".m3u8 link instead.")
    best = max(hls, key=lambda f: (f.get("height") or 0, f.get("tbr") or 0))
    return str(best.get("manifest_url") or best["url"])

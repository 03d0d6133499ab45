"""Fetching one video from a link with yt-dlp, on options fixed here (a user never passes any).

``download(url, dest_dir, options, progress)`` returns a ``Downloaded`` (the file, its title and
the page it came from) or raises ``DownloadFailed`` / ``UrlRefused`` with a message a volunteer
understands. What it guarantees:

- http and https only, one video (no playlists), no live streams, no cookies, no config files;
- every connection yt-dlp opens (the page, each redirect, every HLS/DASH fragment) goes through
  ``clipper.netguard``, which checks the address it is about to connect to against the
  ``AddressPolicy`` — so redirects and DNS answers that change between checks are covered;
- yt-dlp never runs ffmpeg or another program: fragments are fetched natively, nothing is merged or
  remuxed by it (``ffmpeg_location`` points nowhere); picture and sound served apart are joined by our
  hardened ffmpeg (stream copy), and the file is probed by our hardened ffprobe later;
- the size cap is checked from metadata before downloading and on the bytes received while
  downloading (a progress hook that aborts), which covers HLS/DASH where ``max_filesize`` does not;
  the duration cap is checked from metadata (and again by probing the file).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_python
from yt_dlp.utils import DownloadError

from clipper import ffmpeg
from clipper.errors import ClipperError, FFmpegError
from clipper.netguard import Guard, GuardedYoutubeDL
from clipper.probe import sniff
from clipper.urls import AddressPolicy, check_url

log = logging.getLogger(__name__)

# Formats fetched by yt-dlp's own code (through our request handler): progressive HTTP, HLS, DASH.
NATIVE_PROTOCOLS = ("http", "https", "m3u8", "m3u8_native", "http_dash_segments", "http_dash_segments_generator")


class DownloadFailed(ClipperError):
    """The link could not be turned into a video file; the message says why."""

    status = 422


@dataclass(frozen=True)
class DownloadOptions:
    max_bytes: int
    max_duration: float
    allowed_hosts: tuple[str, ...] = ()
    socket_timeout: float = 30.0
    retries: int = 3
    max_page_bytes: int = 32 * 1024**2  # a web page or playlist read whole into memory (media is streamed)
    ffmpeg_timeout: float = 3600.0  # joining picture and sound


@dataclass(frozen=True)
class Downloaded:
    path: Path
    title: str
    duration: float  # from the site's metadata; 0 when it gave none (probing decides)
    size: int
    webpage_url: str
    extractor: str


def download(url: str, dest_dir: Path, options: DownloadOptions,
             progress: Callable[[float], None] | None = None) -> Downloaded:
    """Download the one video at ``url`` into ``dest_dir`` (which the caller owns and removes)."""
    policy = AddressPolicy(tuple(options.allowed_hosts))
    url = check_url(url, policy)
    dest_dir.mkdir(parents=True, exist_ok=True)
    state = _State(options.max_bytes, Guard(policy, options.max_page_bytes), progress)
    try:
        with GuardedYoutubeDL(_params(dest_dir, options, state), guard=state.guard) as ydl:
            info = state.run(lambda: ydl.extract_info(url, download=False))
            chosen = _check_metadata(info, options)
            if len(chosen) == 1:
                result = state.run(lambda: ydl.process_ie_result(info, download=True))
                files = [Path(d["filepath"]) for d in result.get("requested_downloads") or [] if d.get("filepath")]
                path = next((f for f in files if f.is_file()), None)
            else:  # picture and sound apart (DASH, most big sites): fetched one by one, joined by our ffmpeg
                video, audio = (_fetch_part(ydl, state, info, fmt, dest_dir / f"download.part{i}")
                                for i, fmt in enumerate(chosen))
                path = _join(video, audio, dest_dir / "download.mkv", options.ffmpeg_timeout)
        if path is None or not path.is_file():
            raise DownloadFailed("The download finished without a video file. Try again, or upload the file instead.")
        size = path.stat().st_size
        if size > options.max_bytes:
            raise _too_big(options.max_bytes)
    except BaseException:
        for partial in dest_dir.glob("download.*"):  # nothing half-downloaded is left behind
            partial.unlink(missing_ok=True)
        raise
    return Downloaded(path=path, title=str(info.get("title") or "")[:500], duration=float(info.get("duration") or 0),
                      size=size, webpage_url=str(info.get("webpage_url") or url),
                      extractor=str(info.get("extractor_key") or info.get("extractor") or ""))


def _params(dest_dir: Path, options: DownloadOptions, state: _State) -> dict[str, Any]:
    """yt-dlp's options: all of them chosen here."""
    return {
        # The best picture up to 1080p with the best sound; one file with both where that is all there is.
        "format": "bv*[height<=?1080]+ba/b[height<=?1080]/b/ba",
        "noplaylist": True,
        "extract_flat": "in_playlist",  # a playlist is refused, so don't resolve its entries
        "outtmpl": {"default": "download.%(ext)s"},
        "paths": {"home": str(dest_dir), "temp": str(dest_dir)},
        "restrictfilenames": True,
        "overwrites": True,
        "continuedl": False,
        "cachedir": False,
        "cookiefile": None,
        "proxy": "",  # no proxy from the environment: we check the address we connect to
        "enable_file_urls": False,
        "external_downloader": {"default": "native"},
        "hls_prefer_native": True,
        "ffmpeg_location": str(dest_dir / "no-ffmpeg"),  # yt-dlp never runs ffmpeg; ours probes later
        "fixup": "never",
        "postprocessors": [],
        "writesubtitles": False,
        "writeautomaticsub": False,
        "writethumbnail": False,
        "writeinfojson": False,
        "skip_unavailable_fragments": False,
        "concurrent_fragment_downloads": 1,
        "socket_timeout": options.socket_timeout,
        "retries": options.retries,
        "fragment_retries": options.retries,
        "extractor_retries": 1,
        "file_access_retries": 1,
        "progress_hooks": [state.hook],
        "logger": _Logger(),
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "no_color": True,
        "ignoreerrors": False,
        "check_formats": False,
        "js_runtimes": {"deno": {}},  # yt-dlp's default: deno runs site scripts sandboxed; never node
        "remote_components": [],
    }


def _check_metadata(info: dict[str, Any], options: DownloadOptions) -> list[dict[str, Any]]:
    """The formats to fetch (one, or picture then sound); refuses playlists, live streams, formats yt-dlp
    would hand to another program, and what is over the caps."""
    kind = info.get("_type", "video")
    if kind in ("playlist", "multi_video") or info.get("entries") is not None:
        raise DownloadFailed("That link is a playlist or a page with several videos. Add the link to one video.")
    if kind != "video":
        raise DownloadFailed("Clipper could not find a video at that link.")
    # A broadcast that has just ended ("post_live") is allowed: that is when the clipping team wants it.
    if info.get("is_live") or info.get("live_status") in ("is_live", "is_upcoming"):
        raise DownloadFailed("That link is a live stream, or has not started yet. Add it when the broadcast has finished.")
    duration = float(info.get("duration") or 0)
    if duration > options.max_duration:
        raise DownloadFailed(
            f"The video is {_hms(duration)} long; the limit is {_hms(options.max_duration)}. "
            "Ask an admin, or download and trim it first.")
    chosen = info.get("requested_formats") or [info]
    for fmt in chosen:
        protocol = str(fmt.get("protocol") or "")
        if protocol not in NATIVE_PROTOCOLS:
            raise DownloadFailed(f"Clipper cannot download this kind of stream ({protocol or 'unknown'}). "
                                 "Download the video another way and upload the file.")
    size = sum(int(f.get("filesize") or f.get("filesize_approx") or 0) for f in chosen)
    if size > options.max_bytes:
        raise _too_big(options.max_bytes, size)
    if len(chosen) > 2:
        raise DownloadFailed("Clipper cannot download this kind of stream. Download the video another way and upload the file.")
    return list(chosen)


def _fetch_part(ydl: Any, state: _State, info: dict[str, Any], fmt: dict[str, Any], path: Path) -> Path:
    """One of the formats yt-dlp chose, downloaded to ``path`` by its own (native) downloader."""
    part = {k: v for k, v in info.items() if k != "requested_formats"}
    part.update(fmt)
    ok, _ = state.run(lambda: ydl.dl(str(path), part))
    if not ok or not path.is_file():
        raise DownloadFailed("The download stopped before the end. Try again, or upload the file instead.")
    return path


def _join(video: Path, audio: Path, dest: Path, timeout: float) -> Path:
    """The picture of ``video`` and the sound of ``audio`` in one Matroska file, copied, not re-encoded."""
    inputs = [ffmpeg.hardened_input(p, f=sniff(p)) for p in (video, audio)]
    graph = ffmpeg_python.output(inputs[0].video, inputs[1].audio, str(dest), c="copy", f="matroska")
    try:
        ffmpeg.run(graph, timeout=timeout)
    except FFmpegError as exc:
        raise DownloadFailed("The picture and sound from that link could not be put together. "
                             "Download the video another way and upload the file.", detail=exc.detail) from None
    video.unlink()
    audio.unlink()
    return dest


class _TooBig(Exception):
    """Raised from the progress hook; turned into ``DownloadFailed`` by ``_State.run``."""


@dataclass
class _State:
    """What one download has seen: bytes, and why it was stopped (yt-dlp wraps our exceptions)."""

    max_bytes: int
    guard: Guard
    progress: Callable[[float], None] | None
    too_big: bool = False
    received: dict[str, int] = field(default_factory=dict)  # bytes so far, per file (picture, sound)
    expected: dict[str, int] = field(default_factory=dict)
    shown: float = 0.0

    def hook(self, status: dict[str, Any]) -> None:
        name = str(status.get("filename") or "")
        self.received[name] = int(status.get("downloaded_bytes") or 0)
        total = int(status.get("total_bytes") or 0)
        done = sum(self.received.values())
        if done > self.max_bytes or total > self.max_bytes:
            self.too_big = True
            raise _TooBig()
        estimate = total or int(status.get("total_bytes_estimate") or 0)
        if estimate:
            self.expected[name] = estimate
        if self.progress is not None and status.get("status") == "downloading" and self.expected:
            self.shown = max(self.shown, min(done / max(sum(self.expected.values()), 1), 0.99))
            self.progress(self.shown)

    def run(self, call: Callable[[], Any]) -> Any:
        """``call`` yt-dlp; what stopped it, in a volunteer's words, whichever way yt-dlp wrapped it."""
        try:
            return call()
        except (DownloadError, _TooBig, OSError) as exc:
            if self.guard.stopped is not None:
                raise self.guard.stopped from None
            if self.too_big:
                raise _too_big(self.max_bytes) from None
            if isinstance(exc, DownloadError):
                raise explain(str(exc)) from None
            raise


def _too_big(limit: int, size: int = 0) -> DownloadFailed:
    what = f"The video is about {_gb(size)}" if size else "The video is too big"
    return DownloadFailed(f"{what}; the limit is {_gb(limit)}. Ask an admin, or download and trim it first.")


# yt-dlp's error text -> what a volunteer should read. First match wins.
_EXPLANATIONS: tuple[tuple[str, str], ...] = (
    (r"unsupported url|no suitable extractor|is not a valid url",
     "That site isn't supported: Clipper could not find a video at that link. Check it opens a video page, or upload the file."),
    (r"private video|video is private|sign in|log ?in|login required|members.only|account|cookies|authenticat|age.restricted|confirm your age",
     "That video is private or needs an account to watch. Ask for a public link, or upload the file."),
    (r"not available in your country|geo.?restrict|blocked in your|not available in your region",
     "That video is blocked in the country Clipper runs from. Upload the file instead."),
    (r"\bdrm\b",
     "That video is copy-protected (DRM) and cannot be downloaded. Upload a recording of it instead."),
    (r"removed|deleted|no longer available|does not exist|unavailable|not found|http error 404|http error 410|http error 403",
     "That video has been removed, made private, or the link is wrong. Check the link."),
    (r"live event|premieres in|is live|live stream|will begin",
     "That link is a live stream or has not started yet. Add it when the broadcast has finished."),
    (r"requested format is not available|no video formats found|no formats",
     "Clipper could not find a downloadable video at that link. Upload the file instead."),
    (r"timed out|timeout|connection|network|resolv|name or service|getaddrinfo|unreachable|reset by peer|"
     r"incompleteread|http error 5\d\d|ssl|certificate|unable to download|giving up after|did not get any data",
     "Could not reach the site, or the connection broke during the download. Check the link and try again in a few minutes."),
)


def explain(message: str) -> DownloadFailed:
    """Map a yt-dlp ``DownloadError`` message to a ``DownloadFailed`` a volunteer understands."""
    text = message.lower()
    for pattern, friendly in _EXPLANATIONS:
        if re.search(pattern, text):
            return DownloadFailed(friendly, detail=message)
    return DownloadFailed("The video could not be downloaded from that link. Check the link, or upload the file instead.",
                          detail=message)


class _Logger:
    """yt-dlp's messages go to our log (never to stdout of a worker)."""

    def debug(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def info(self, msg: str) -> None:
        log.debug("yt-dlp: %s", msg)

    def warning(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)

    def error(self, msg: str) -> None:
        log.info("yt-dlp: %s", msg)


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _gb(n: int) -> str:
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    if n >= 1024**2:
        return f"{n / 1024**2:.0f} MB"
    return f"{max(1, n // 1024)} KB"

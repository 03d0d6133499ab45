"""Reading HLS playlists (RFC 8216): a master playlist's variants, a media playlist's segments.

Only what a recorder needs: the media sequence number of each segment, its duration and absolute URL,
the initialisation section of fragmented-MP4 streams (``EXT-X-MAP``), whether the stream has ended,
and the target duration (how often to look again).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin

from clipper.errors import InvalidInput


class NotAPlaylist(InvalidInput):
    """The link answered with something that is not an HLS playlist."""


@dataclass(frozen=True)
class Variant:
    url: str
    bandwidth: int


@dataclass(frozen=True)
class Piece:
    sequence: int
    duration: float
    url: str
    discontinuity: bool = False
    init_url: str = ""  # fragmented MP4 (EXT-X-MAP): the initialisation section its fragments need
    audio_url: str = ""  # DASH with sound apart from the picture: this piece's audio fragment
    audio_init_url: str = ""


@dataclass(frozen=True)
class MediaPlaylist:
    target_duration: float
    pieces: tuple[Piece, ...]
    ended: bool


def parse(text: str, base_url: str) -> tuple[Variant, ...] | MediaPlaylist:
    """A master playlist's variants (best first), or a media playlist."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise NotAPlaylist("The live link did not answer with an HLS playlist (#EXTM3U). Check the stream's link.")
    if any(line.startswith("#EXT-X-STREAM-INF") for line in lines):
        return _variants(lines, base_url)
    return _media(lines, base_url)


def _variants(lines: list[str], base_url: str) -> tuple[Variant, ...]:
    found = []
    for i, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF") and i + 1 < len(lines) and not lines[i + 1].startswith("#"):
            bandwidth = _attribute(line, "BANDWIDTH")
            found.append(Variant(urljoin(base_url, lines[i + 1]), int(bandwidth) if bandwidth.isdigit() else 0))
    if not found:
        raise NotAPlaylist("The live link's playlist lists no streams.")
    return tuple(sorted(found, key=lambda v: -v.bandwidth))


def _media(lines: list[str], base_url: str) -> MediaPlaylist:
    target, sequence, ended = 6.0, 0, False
    duration: float | None = None
    discontinuity = False
    init = ""
    pieces = []
    for line in lines:
        if line.startswith("#EXT-X-KEY:") and _attribute(line, "METHOD") not in ("", "NONE"):
            raise NotAPlaylist("The stream is encrypted (its pieces need a key, usually DRM), so Clipper cannot "
                               "record it. Use an unencrypted stream of the programme.")
        if line.startswith(("#EXT-X-BYTERANGE", "#EXT-X-MAP:")) and "BYTERANGE" in line:
            raise NotAPlaylist("The stream's playlist cuts its pieces out of larger files (byte ranges), which "
                               "Clipper cannot record yet. Try another of the broadcaster's streams.")
        if line.startswith("#EXT-X-TARGETDURATION:"):
            target = _number(line.split(":", 1)[1], 6.0)
        elif line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(_number(line.split(":", 1)[1], 0))
        elif line.startswith("#EXTINF:"):
            duration = _number(line.split(":", 1)[1].split(",", 1)[0], 0.0)
        elif line.startswith("#EXT-X-DISCONTINUITY") and not line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE"):
            discontinuity = True
        elif line.startswith("#EXT-X-ENDLIST"):
            ended = True
        elif line.startswith("#EXT-X-MAP:"):
            init = urljoin(base_url, _attribute(line, "URI"))
        elif not line.startswith("#") and duration is not None:
            pieces.append(Piece(sequence, duration, urljoin(base_url, line), discontinuity, init))
            sequence, duration, discontinuity = sequence + 1, None, False
    return MediaPlaylist(target, tuple(pieces), ended)


def _attribute(line: str, name: str) -> str:
    for part in line.split(":", 1)[-1].split(","):
        key, _, value = part.partition("=")
        if key.strip() == name:
            return value.strip().strip('"')
    return ""


def _number(raw: str, default: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        return default
    return value if value >= 0 else default

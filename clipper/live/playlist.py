"""The HLS playlist a live desk plays: the live recording's stored segments, as they are so far.

An ``EVENT`` playlist (RFC 8216 §4.3.3.5): segments are only ever added, and ``#EXT-X-ENDLIST`` comes
once the recording is no longer live. Each segment's link comes from ``link`` (the web app serves
them; the page fetches the playlist again as it grows). Air the recorder missed, and a segment that was not
media, are ``#EXT-X-GAP`` entries of their length, so the player's clock stays the recording's clock
(words, clips and the player agree on every offset); the segment after a gap starts a discontinuity.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

from clipper.models import LiveSegment


def live_playlist(segments: Iterable[LiveSegment], link: Callable[[LiveSegment, str], str], *, ended: bool) -> str:
    """``link(segment, part)``: the segment's URL; ``part`` is "" for MPEG-TS, and for fragmented MP4
    "init" (its initialisation section, an ``EXT-X-MAP``) or "media" (its fragments)."""
    rows = sorted(segments, key=lambda s: s.idx)
    longest = max((max(s.duration, s.gap_before) for s in rows), default=1.0)
    fragmented = any(_is_mp4(s) for s in rows)
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{7 if fragmented else 3}", f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest))}",
             "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-MEDIA-SEQUENCE:0"]
    broken = False  # the next stored segment does not follow on from the one before
    for seg in rows:
        if seg.gap_before > 0.001:
            lines += _gap(seg.gap_before, f"gap-{seg.idx}")
            broken = True
        if seg.status == "failed" or not seg.storage_key:
            lines += _gap(seg.duration, f"missing-{seg.idx}")
            broken = True
            continue
        if broken:
            lines.append("#EXT-X-DISCONTINUITY")
            broken = False
        if _is_mp4(seg):
            lines += [f'#EXT-X-MAP:URI="{link(seg, "init")}"', f"#EXTINF:{seg.duration:.3f},", link(seg, "media")]
        else:
            lines += [f"#EXTINF:{seg.duration:.3f},", link(seg, "")]
    if ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _gap(seconds: float, name: str) -> list[str]:
    """A stretch with no media: players skip it without fetching (the URI is never requested)."""
    return ["#EXT-X-GAP", f"#EXTINF:{seconds:.3f},", f"{name}.ts"]


def _is_mp4(seg: LiveSegment) -> bool:
    return seg.storage_key.endswith(".mp4")

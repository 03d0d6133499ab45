"""Reading just enough of a Matroska file's structure to refuse it before ffmpeg parses it.

ffmpeg's Matroska demuxer reads every track (and attachment) description into memory before it
makes streams of them and applies any stream limit: a 25 MB file with a million tracks took it to
gigabytes. ``count_streams`` walks the element headers of the segment's top level and of its
Tracks and Attachments (a few bytes each, never the payloads) and stops as soon as the count
passes the limit, so such a file is refused in milliseconds with a message that says why.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

SEGMENT = 0x18538067
TRACKS, TRACK_ENTRY = 0x1654AE6B, 0xAE
ATTACHMENTS, ATTACHED_FILE = 0x1941A469, 0x61A7
EBML = 0x1A45DFA3
UNKNOWN = -1
MAX_TOP_LEVEL = 100_000  # top-level elements looked at (clusters are skipped by their size)


def count_streams(path: str | Path, limit: int) -> int:
    """Tracks plus attachments the file describes, counting at most ``limit + 1`` (enough to refuse)."""
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(0)
        ident, length = _header(fh)
        if ident != EBML or length == UNKNOWN:
            return 0
        fh.seek(length, 1)
        ident, length = _header(fh)
        if ident != SEGMENT:
            return 0
        end = size if length == UNKNOWN else min(size, fh.tell() + length)
        count = 0
        for _ in range(MAX_TOP_LEVEL):
            if fh.tell() >= end or count > limit:
                break
            ident, length = _header(fh)
            if ident is None or length == UNKNOWN:
                break  # a live-written cluster of unknown size: the header is behind us
            start = fh.tell()
            if ident in (TRACKS, ATTACHMENTS):
                child = TRACK_ENTRY if ident == TRACKS else ATTACHED_FILE
                count += _count_children(fh, min(end, start + length), child, limit - count)
            fh.seek(start + length)
        return count


def _count_children(fh: BinaryIO, end: int, wanted: int, limit: int) -> int:
    count = 0
    while fh.tell() < end and count <= limit:
        ident, length = _header(fh)
        if ident is None or length == UNKNOWN:
            break
        if ident == wanted:
            count += 1
        fh.seek(length, 1)
    return count


def _header(fh: BinaryIO) -> tuple[int | None, int]:
    """(element id with its marker bits, payload size or ``UNKNOWN``); (None, 0) at the end or on garbage."""
    ident, _ = _vint(fh, keep_marker=True)
    if ident is None:
        return None, 0
    length, width = _vint(fh, keep_marker=False)
    if length is None:
        return None, 0
    if length == (1 << (7 * width)) - 1:
        return ident, UNKNOWN
    return ident, length


def _vint(fh: BinaryIO, *, keep_marker: bool) -> tuple[int | None, int]:
    first = fh.read(1)
    if not first or first[0] == 0:
        return None, 0
    width = 9 - first[0].bit_length()
    rest = fh.read(width - 1)
    if len(rest) < width - 1:
        return None, 0
    value = first[0] if keep_marker else first[0] & (0xFF >> width)
    for byte in rest:
        value = (value << 8) | byte
    return value, width

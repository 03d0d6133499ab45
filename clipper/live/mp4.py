"""Fragmented MP4 as live streams carry it: an initialisation section (``ftyp`` and ``moov`` boxes) and
then fragments (``moof`` + ``mdat``). A stored live segment is both together; joining segments, or
playing them as HLS, needs them apart."""

from __future__ import annotations

import struct

INIT_BOXES = (b"ftyp", b"moov")


def split_init(data: bytes) -> tuple[bytes, bytes]:
    """``data``'s leading initialisation boxes, and the rest (its fragments)."""
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if kind not in INIT_BOXES:
            break
        if size == 1:  # a 64-bit size follows the type
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
        if size < 8:  # 0: to the end of the file (an init section with no fragments); anything else is broken
            return data, b""
        at += size
    return data[:at], data[at:]

"""Receiving uploaded bytes: streamed to disk in chunks, never held in memory, capped in size.

``receive_file`` takes a whole multipart upload (the simple API); ``append_body`` takes one piece of
a resumable upload (``web.tus``) and keeps every byte that arrived even when the connection drops
halfway, so the client can resume from there.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from flask import abort, request

CHUNK = 1024 * 1024
MULTIPART_SLACK = 64 * 1024  # the form's other fields and boundaries around an uploaded file


def too_large(limit: int) -> None:
    abort(413, description=f"The file is too large: the limit is {limit / 1024**3:.1f} GB.")


def receive_file(field: str, dest_dir: Path, limit: int) -> Path | None:
    """Save the multipart file ``field`` under ``dest_dir``; None when the request has no such file."""
    if request.content_length is not None and request.content_length > limit + MULTIPART_SLACK:
        too_large(limit)  # refused before reading the body
    upload = request.files.get(field)
    if upload is None:
        return None
    dest_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest_dir, prefix="upload-")
    written = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := upload.stream.read(CHUNK):
                written += len(chunk)
                if written > limit:
                    too_large(limit)
                out.write(chunk)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def append_body(fh: BinaryIO, offset: int, limit: int, stream: BinaryIO,
                checkpoint: Callable[[int], None], *, every: int = 64 * CHUNK) -> int:
    """Write the request body at ``offset`` (at most ``limit`` bytes) and return how many arrived.

    Anything in the file past ``offset`` was never acknowledged, so it is cut off first. Bytes are
    flushed to disk and ``checkpoint(written)`` is called every ``every`` bytes and once at the end
    - also when the client goes away mid-body, so what arrived before the drop is kept.
    """
    fh.seek(offset)
    fh.truncate()
    written = synced = 0
    try:
        while written < limit:
            chunk = stream.read(min(CHUNK, limit - written))
            if not chunk:
                break
            fh.write(chunk)
            written += len(chunk)
            if written - synced >= every:
                _sync(fh)
                synced = written
                checkpoint(written)
    finally:
        _sync(fh)
        checkpoint(written)
    return written


def _sync(fh: BinaryIO) -> None:
    fh.flush()
    os.fsync(fh.fileno())

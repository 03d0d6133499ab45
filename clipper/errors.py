"""The small family of errors Clipper raises.

``expected=True`` marks a problem with the user's input or the outside world (a file that is not
media, a clip past the end of its recording): its message is written for a volunteer and ends up on
the record and in the API. Anything else is a bug and propagates so RQ records the traceback.
"""

from __future__ import annotations


class ClipperError(Exception):
    """Base class. ``message`` is shown to the user when ``expected`` is true."""

    expected = True
    status = 400

    def __init__(self, message: str, *, expected: bool | None = None, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail
        if expected is not None:
            self.expected = expected

    def __str__(self) -> str:
        return self.message


class InvalidInput(ClipperError):
    """The request itself is wrong: a clip that ends before it starts, a missing field."""


class NotFound(ClipperError):
    status = 404


class Conflict(ClipperError):
    status = 409


class MediaError(ClipperError):
    """A file is not usable media: not a video, truncated, too long, too large."""

    status = 422


class FFmpegError(ClipperError):
    """ffmpeg or ffprobe failed; ``detail`` holds the last lines of stderr."""

    status = 422


class OverLimit(FFmpegError):
    """A file needed more than Clipper lets one ffmpeg or ffprobe run take: memory, or picture size
    on some frame. Always expected: the message says which limit, for the volunteer."""


class TranscriptionError(ClipperError):
    status = 422


class RenderError(ClipperError):
    status = 422


class StorageError(ClipperError):
    """Object storage failed or an object is missing."""

    status = 503

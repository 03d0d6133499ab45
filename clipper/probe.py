"""Probing media: what a file is, and whether Clipper can take it.

``probe(path, limits)`` decides what a file is from its first bytes (``sniff``: never the client's
file name), refuses playlists, concat scripts and anything that is not one of the containers we
accept, checks MP4/MOV and Matroska files are complete (``check_complete``: a cut-off upload can
still probe fine when its index is at the front), then runs the hardened ffprobe with that one
demuxer forced and checks duration, picture size, frame rate, frame count and stream count against
``Limits``. ffprobe itself runs under a memory cap and a time limit (a file with a million tracks
would otherwise take gigabytes just to be refused), and Matroska track and attachment counts are
read from the header before it runs. Every refusal is a ``MediaError`` with a message a volunteer
understands.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

from clipper import ffmpeg, matroska
from clipper.errors import FFmpegError, MediaError, OverLimit
from clipper.limits import Limits

ACCEPTED = "MP4, MOV, MKV, WebM, TS, FLV, WAV, FLAC, MP3, AAC or Ogg"
NOT_MEDIA = f"This file is not a video or audio file Clipper can read. Upload an {ACCEPTED} file."
TRUNCATED = "The file is incomplete (truncated): the upload or download may have been cut off. Add it again."
# Top-level ISO-BMFF (MP4/MOV) boxes a file may start with.
BMFF_FIRST = {b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot", b"styp", b"uuid", b"junk"}
# Text formats that tell ffmpeg to open other files or URLs; named so the refusal can say what it saw.
REFERENCE_FORMATS = (
    (b"#EXTM3U", "a playlist (HLS .m3u8)"),
    (b"ffconcat", "an ffmpeg concat script"),
    (b"<?xml", "an XML document (such as a DASH manifest)"),
    (b"<MPD", "a DASH manifest"),
    (b"[playlist]", "a playlist (.pls)"),
    (b"#EXTINF", "a playlist (.m3u)"),
    (b"file ", "an ffmpeg concat script"),
)


@dataclass(frozen=True)
class MediaInfo:
    format_name: str
    duration: float
    size: int
    has_video: bool
    has_audio: bool
    width: int = 0
    height: int = 0
    fps: float = 0.0
    frames: int = 0  # video frames: the container's count, or rate × duration
    video_codec: str = ""
    audio_codec: str = ""
    pix_fmt: str = ""
    profile: str = ""
    sample_rate: int = 0
    streams: int = 0
    demuxer: str = ""  # the allowed demuxer ``sniff`` chose; later ffmpeg runs force it with ``-f``
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def container(self) -> str:
        """A file extension for the container ffprobe found (never the client's file name)."""
        names = self.format_name.split(",")
        # ffmpeg names every Matroska file "matroska,webm"; .mkv is right for all of them.
        for name, ext in (("mp4", "mp4"), ("mov", "mov"), ("matroska", "mkv"), ("webm", "webm"),
                          ("mpegts", "ts"), ("flv", "flv"), ("wav", "wav"), ("flac", "flac"),
                          ("mp3", "mp3"), ("aac", "aac"), ("ogg", "ogg")):
            if name in names:
                if name == "mov" and "mp4" in names:
                    return "mp4"
                return ext
        return "bin"

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": self.format_name, "duration": self.duration, "size": self.size,
            "has_video": self.has_video, "has_audio": self.has_audio, "width": self.width,
            "height": self.height, "fps": self.fps, "frames": self.frames, "video_codec": self.video_codec,
            "audio_codec": self.audio_codec, "streams": self.streams, "demuxer": self.demuxer,
        }


def probe(path: str | Path, limits: Limits | None = None, *, trusted: bool = False) -> MediaInfo:
    path = Path(path)
    limits = limits or Limits()
    if not path.is_file():
        raise MediaError("The file could not be found.")
    size = path.stat().st_size
    if size == 0:
        raise MediaError("The file is empty (0 bytes). Upload the recording again.")
    demuxer = sniff(path)
    check_complete(path, demuxer)
    if demuxer == "matroska" and matroska.count_streams(path, limits.max_streams) > limits.max_streams:
        raise MediaError(f"The file has more than {limits.max_streams} streams (tracks or attachments); "
                         f"at most {limits.max_streams} are accepted.")
    try:
        data = ffmpeg.ffprobe(path, trusted=trusted, input_format=demuxer, timeout=limits.timeout)
    except OverLimit:
        raise
    except FFmpegError as exc:
        if not exc.detail:  # stopped by the timeout: no stderr to explain
            raise MediaError("Reading the file took too long; it may be damaged.", detail=exc.message) from None
        raise MediaError(_explain(exc.detail), detail=exc.detail) from None
    info = _media_info(data, size, demuxer)
    _check(info, limits)
    return info


def sniff(path: str | Path) -> str:
    """The allowed demuxer for this file's content (its first bytes), or ``MediaError``."""
    with open(path, "rb") as fh:
        head = fh.read(4096)
        if head[4:8] in BMFF_FIRST:
            return "mov"
        if head.startswith(b"\x1a\x45\xdf\xa3"):
            return "matroska"
        if _is_mpegts(head, fh):
            return "mpegts"
        if head.startswith(b"FLV\x01"):
            return "flv"
        if head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE":
            return "wav"
        if head.startswith(b"fLaC"):
            return "flac"
        if head.startswith(b"OggS"):
            return "ogg"
        audio = _after_id3(head, fh)
        if len(audio) >= 2 and audio[0] == 0xFF and audio[1] & 0xE0 == 0xE0:
            # Frame sync: layer bits 00 mean ADTS AAC, anything else an MPEG audio (MP3) frame.
            return "aac" if audio[1] & 0x06 == 0 else "mp3"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    for prefix, what in REFERENCE_FORMATS:
        if text[: len(prefix)].lower() == prefix.lower():
            raise MediaError(
                f"This file is {what}, not a recording: Clipper does not follow links to other files. "
                f"Upload the video itself ({ACCEPTED})."
            )
    raise MediaError(NOT_MEDIA)


def check_complete(path: str | Path, demuxer: str) -> None:
    """Refuse MP4/MOV and Matroska files whose structure says they continue past the end of the file.

    A cut-off MP4 with its index at the end has no index; one with its index at the front
    (``+faststart``) probes fine but its media data box runs past the end of the file. Reading the
    top-level box headers (a few bytes each) catches both without decoding anything.
    """
    size = Path(path).stat().st_size
    with open(path, "rb") as fh:
        if demuxer == "mov":
            _check_bmff(fh, size)
        elif demuxer == "matroska":
            _check_matroska(fh, size)


def _check_bmff(fh: BinaryIO, size: int) -> None:
    offset, seen_moov = 0, False
    while offset < size:
        fh.seek(offset)
        header = fh.read(16)
        if len(header) < 8:
            raise MediaError(TRUNCATED)
        box_size, kind = struct.unpack(">I4s", header[:8])
        if box_size == 1:
            if len(header) < 16:
                raise MediaError(TRUNCATED)
            box_size = struct.unpack(">Q", header[8:16])[0]
        elif box_size == 0:  # the last box runs to the end of the file
            box_size = size - offset
        if box_size < 8:
            raise MediaError(NOT_MEDIA)
        seen_moov = seen_moov or kind == b"moov"
        if offset + box_size > size:
            raise MediaError(TRUNCATED)
        offset += box_size
    if not seen_moov:
        raise MediaError(TRUNCATED)


def _check_matroska(fh: BinaryIO, size: int) -> None:
    fh.seek(0)
    head = fh.read(64)
    pos = 4
    ebml_size, pos = _vint(head, pos)
    pos += ebml_size
    fh.seek(pos)
    segment = fh.read(12)
    if len(segment) < 5 or segment[:4] != b"\x18\x53\x80\x67":
        raise MediaError(TRUNCATED if len(segment) < 5 else NOT_MEDIA)
    length, used = _vint(segment, 4, unknown_ok=True)
    if length >= 0 and pos + used + length > size:
        raise MediaError(TRUNCATED)


def _vint(data: bytes, pos: int, *, unknown_ok: bool = False) -> tuple[int, int]:
    """An EBML variable-size integer at ``pos``: (value, position after it); -1 for "unknown size"."""
    if pos >= len(data) or data[pos] == 0:
        raise MediaError(NOT_MEDIA)
    first = data[pos]
    width = 8 - first.bit_length() + 1
    raw = data[pos: pos + width]
    if len(raw) < width:
        raise MediaError(TRUNCATED)
    value = first & (0xFF >> width)
    for b in raw[1:]:
        value = (value << 8) | b
    if unknown_ok and value == (1 << (7 * width)) - 1:
        return -1, pos + width
    return value, pos + width


def _is_mpegts(head: bytes, fh: BinaryIO) -> bool:
    """Sync bytes every 188 (TS) or 192 (M2TS) bytes."""
    for packet, start in ((188, 0), (192, 4)):
        if len(head) >= start + 3 * packet and all(head[start + i * packet] == 0x47 for i in range(3)):
            return True
    return False


def _after_id3(head: bytes, fh: BinaryIO) -> bytes:
    """The bytes after an ID3v2 tag (MP3 and AAC files may start with one), or ``head``."""
    if not head.startswith(b"ID3") or len(head) < 10:
        return head
    tag = 10 + ((head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7 | (head[9] & 0x7F))
    fh.seek(tag)
    return fh.read(4)


def _media_info(data: dict[str, Any], size: int, demuxer: str = "") -> MediaInfo:
    fmt = data.get("format") or {}
    streams = data.get("streams") or []
    video = next((s for s in streams if s.get("codec_type") == "video"
                  and not (s.get("disposition") or {}).get("attached_pic")), None)
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    duration = _float(fmt.get("duration"))
    if not duration:
        duration = max((_float(s.get("duration")) for s in streams), default=0.0)
    fps, frames = 0.0, 0
    if video:
        fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
        frames = int(_float(video.get("nb_frames"))) or round(fps * duration)
    return MediaInfo(
        format_name=fmt.get("format_name", ""),
        duration=duration,
        size=size,
        has_video=video is not None,
        has_audio=audio is not None,
        width=int(video.get("width") or 0) if video else 0,
        height=int(video.get("height") or 0) if video else 0,
        fps=fps,
        frames=frames,
        video_codec=video.get("codec_name", "") if video else "",
        audio_codec=audio.get("codec_name", "") if audio else "",
        pix_fmt=video.get("pix_fmt", "") if video else "",
        profile=video.get("profile", "") if video else "",
        sample_rate=int(audio.get("sample_rate") or 0) if audio else 0,
        streams=len(streams),
        demuxer=demuxer,
        raw=data,
    )


def _check(info: MediaInfo, limits: Limits) -> None:
    if not info.has_video and not info.has_audio:
        raise MediaError("The file has no video or audio that Clipper can read.")
    if info.streams > limits.max_streams:
        raise MediaError(f"The file has {info.streams} streams; at most {limits.max_streams} are accepted.")
    if info.duration <= 0:
        raise MediaError("The recording's length could not be read; the file may be truncated or still being written.")
    if info.duration > limits.max_duration:
        raise MediaError(
            f"The recording is {_hms(info.duration)} long; the limit is {_hms(limits.max_duration)}. "
            "Trim it or split it into parts before adding it."
        )
    if info.has_video and (info.width <= 0 or info.height <= 0):
        # ffmpeg itself gives up on pictures of about 16k×16k and more, and reports no size at all.
        raise MediaError(
            f"The video's picture size could not be read, or it is far too large; the largest accepted is "
            f"{limits.max_width}×{limits.max_height}."
        )
    if info.width > limits.max_width or info.height > limits.max_height:
        raise MediaError(
            f"The video is {info.width}×{info.height}; the largest accepted is {limits.max_width}×{limits.max_height}."
        )
    # The container's own frame count can say more frames than the declared rate allows (2% slack:
    # a file's duration may be its audio's, a little shorter than its video).
    rate = max(info.fps, info.frames / info.duration / 1.02 if info.duration > 0 else 0.0)
    if rate > limits.max_fps + 0.01:
        raise MediaError(
            f"The video has {rate:.0f} frames a second; at most {limits.max_fps:.0f} are accepted. "
            "Export it again at a normal frame rate (25 to 60) before adding it."
        )
    if info.frames > limits.max_frames:
        raise MediaError(
            f"The video has {info.frames:,} frames; at most {limits.max_frames:,} are accepted. "
            "Trim it or split it into parts before adding it."
        )


def _explain(stderr: str) -> str:
    text = stderr.lower()
    if "not on format whitelist" in text or "not on whitelist" in text:
        return f"This kind of file is not accepted: upload a video or audio file ({ACCEPTED})."
    if "moov atom not found" in text or "end of file" in text or "truncat" in text:
        return TRUNCATED
    return NOT_MEDIA


def _rate(value: Any) -> float:
    try:
        rate = Fraction(str(value or "0/1"))
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(rate) if rate > 0 else 0.0


def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"

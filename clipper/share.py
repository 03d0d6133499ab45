"""The share rendition: a small MP4 and a light JPEG poster made from a finished render.

Link previews (og:video, WhatsApp's image) and the Web Share API want small files: the MP4 must stay
well under 45 MB (we aim at ``max_bytes``) and the JPEG under 300 KB. Both come from our own render,
so the input is trusted; nothing a user typed reaches the ffmpeg arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from clipper import ffmpeg
from clipper.errors import RenderError

SHARE_LIMIT = 45 * 1024 * 1024  # what platforms and the Web Share API take without complaint
IMAGE_LIMIT = 300 * 1024  # WhatsApp drops previews with bigger images


@dataclass(frozen=True)
class ShareOptions:
    long_side: int = 1280  # 720p: plenty on a phone, a fraction of the full render's size
    max_bytes: int = 40 * 1024 * 1024
    audio_kbps: int = 96
    crf: int = 26
    timeout: float = 1800.0


@dataclass(frozen=True)
class ShareFiles:
    video: Path
    width: int
    height: int
    size: int
    image: Path
    image_width: int
    image_height: int
    image_size: int


def fit(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Scale (never up) so the longer side is at most ``long_side``; even numbers for H.264."""
    scale = min(1.0, long_side / max(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def video_kbps(duration: float, options: ShareOptions) -> int:
    """The most video bitrate that keeps the file under ``max_bytes`` (with 5% for the container)."""
    budget = options.max_bytes * 8 * 0.95 / max(duration, 1.0) / 1000 - options.audio_kbps
    return int(max(150, min(2500, budget)))


def make_share(render: Path, width: int, height: int, duration: float, dest: Path,
               options: ShareOptions = ShareOptions()) -> ShareFiles:
    """``dest``/share.mp4 and ``dest``/share.jpg from a finished render of ``width``×``height``."""
    dest.mkdir(parents=True, exist_ok=True)
    w, h = fit(width, height, options.long_side)
    kbps = video_kbps(duration, options)
    video = dest / "share.mp4"
    ffmpeg.run(["-i", str(render), "-map", "0:v:0", "-map", "0:a:0?", "-vf", f"scale={w}:{h}",
                "-c:v", "libx264", "-preset", "veryfast", "-crf", str(options.crf), "-maxrate", f"{kbps}k",
                "-bufsize", f"{kbps * 2}k", "-pix_fmt", "yuv420p", "-profile:v", "main",
                "-c:a", "aac", "-b:a", f"{options.audio_kbps}k", "-movflags", "+faststart",
                "-y", str(video)], trusted=True, timeout=options.timeout)
    size = video.stat().st_size
    if size > SHARE_LIMIT:
        raise RenderError(f"The share copy came out at {size / 1e6:.0f} MB, over the 45 MB that apps accept; "
                          "shorten the clip to share it as a file.")
    image = dest / "share.jpg"
    iw, ih = fit(width, height, 720)
    for quality in (4, 8, 14, 24):  # lower quality until the poster fits WhatsApp's limit
        ffmpeg.run(["-ss", f"{min(1.0, duration / 2):.3f}", "-i", str(video), "-frames:v", "1",
                    "-vf", f"scale={iw}:{ih}", "-q:v", str(quality), "-y", str(image)],
                   trusted=True, timeout=120)
        if image.stat().st_size <= IMAGE_LIMIT:
            break
    return ShareFiles(video, w, h, size, image, iw, ih, image.stat().st_size)

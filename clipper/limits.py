"""What Clipper accepts and what it may spend on one file: the limits checked at probe time, the caps
on every ffmpeg child, and the frame rate outputs are normalised to.

A hostile file costs in three ways: how much there is of it (duration, frames, streams), how large
each picture is (checked on the first frame by ``probe`` and on every frame by the decoder's
``-max_pixels``), and how much memory decoding it takes (``RLIMIT_AS`` on every child). ``Limits``
holds the first two, ``ChildLimits`` (in ``clipper.ffmpeg``) the per-process caps; both are built
from the settings here so the ingest, proxy and render jobs agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from clipper.ffmpeg import ChildLimits, auto_memory_mb
from clipper.settings import Settings

OUTPUT_MAX_FPS = 60.0  # proxies and renders: what every player and platform takes
FALLBACK_FPS = 25.0  # when a file declares no usable rate


@dataclass(frozen=True)
class Limits:
    max_duration: float = 6 * 3600.0
    max_width: int = 7680
    max_height: int = 4320
    max_streams: int = 16
    timeout: float = 60.0  # seconds ffprobe may take
    max_fps: float = 120.0
    max_frames: int = 6 * 3600 * 60  # six hours at 60 frames a second


def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_duration=settings.max_duration_seconds, max_width=settings.max_width, max_height=settings.max_height,
        max_streams=settings.max_streams, timeout=settings.probe_timeout_seconds, max_fps=settings.max_fps,
        max_frames=settings.max_frames,
    )


def child_limits(settings: Settings) -> ChildLimits:
    """The runner's caps from the settings: a memory setting of 0 means "sized to this machine", -1 none."""
    memory = {0: auto_memory_mb(), -1: 0}.get(settings.ffmpeg_memory_mb, settings.ffmpeg_memory_mb)
    probe_memory = max(0, settings.probe_memory_mb)
    return ChildLimits(memory_mb=memory, probe_memory_mb=probe_memory, max_width=settings.max_width,
                       max_height=settings.max_height)


def output_rate(fps: float, ceiling: float = OUTPUT_MAX_FPS) -> float:
    """The frame rate to write for a source of ``fps``: the source's own when it is at most ``ceiling``,
    else the largest whole fraction of it that is (120 -> 60, 100 -> 50, 119.88 -> 59.94), so motion
    stays even; ``FALLBACK_FPS`` when the source declares nothing usable."""
    if not fps or fps <= 0 or not math.isfinite(fps):
        return FALLBACK_FPS
    if fps <= ceiling:
        return fps
    return fps / math.ceil(fps / ceiling - 1e-9)

"""The browser proxy of a recording: what the clipping UI plays while the original is kept untouched.

``make_proxy(original, info, workdir, options)`` decodes the original once (hardened, its demuxer
forced) into an H.264/AAC MP4 no larger than 720p with ``+faststart`` and a keyframe every two
seconds, so the browser can start at once and seek anywhere; beside it, low-rate mono PCM on disk
from which the waveform peaks are computed a block at a time (memory stays flat however long the
recording). The poster JPEG is taken from the proxy, a file we wrote ourselves.

The peaks JSON follows the format of BBC's audiowaveform (``version 2``, interleaved min/max pairs,
8-bit), which waveform players such as peaks.js read directly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_python
import numpy as np

from clipper import ffmpeg
from clipper.limits import output_rate
from clipper.probe import MediaInfo, sniff


@dataclass(frozen=True)
class ProxyOptions:
    max_short_side: int = 720  # "720p": the shorter side of landscape and portrait video alike
    crf: int = 26
    preset: str = "veryfast"
    audio_bitrate: str = "128k"
    keyframe_seconds: float = 2.0
    peaks_sample_rate: int = 8000
    peaks_per_second: int = 25
    timeout: float = 3 * 3600.0


@dataclass(frozen=True)
class Proxy:
    video: Path  # proxy.mp4 (audio only when the recording has no picture)
    peaks: Path | None  # peaks.json, None without audio
    poster: Path | None  # poster.jpg, None without video
    width: int
    height: int


def proxy_size(width: int, height: int, max_short_side: int = 720) -> tuple[int, int]:
    """Scale down (never up) so the shorter side is at most ``max_short_side``; both sides even."""
    scale = min(1.0, max_short_side / min(width, height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def make_proxy(original: Path, info: MediaInfo, workdir: Path, options: ProxyOptions | None = None, *,
               progress: Callable[[float], None] | None = None) -> Proxy:
    options = options or ProxyOptions()
    workdir.mkdir(parents=True, exist_ok=True)
    video, pcm = workdir / "proxy.mp4", workdir / "peaks.pcm"
    source = ffmpeg.hardened_input(original, f=info.demuxer or sniff(original))
    width = height = 0
    av: list[Any] = []
    # At most 60 frames a second (a declared rate can be nonsense); every frame scaled to one fixed size.
    fps = output_rate(info.fps)
    if info.has_video:
        width, height = proxy_size(info.width, info.height, options.max_short_side)
        picture = source["v:0"].filter("fps", _rate_arg(fps)) if fps != info.fps else source["v:0"]
        av.append(picture.filter("scale", width, height).filter("format", "yuv420p"))
    if info.has_audio:
        av.append(source["a:0"])
    gop = max(1, round(fps * options.keyframe_seconds))
    out_video = ffmpeg_python.output(
        *av, str(video), movflags="+faststart", **_codecs(info, options, gop))
    outputs = [out_video]
    if info.has_audio:
        outputs.append(ffmpeg_python.output(
            source["a:0"], str(pcm), f="s16le", acodec="pcm_s16le", ac=1, ar=options.peaks_sample_rate))
    ffmpeg.run(ffmpeg_python.merge_outputs(*outputs), timeout=options.timeout, progress=progress,
               duration=info.duration or None)
    peaks = None
    if info.has_audio:
        peaks = write_peaks(pcm, workdir / "peaks.json", options.peaks_sample_rate,
                            options.peaks_sample_rate // options.peaks_per_second)
        pcm.unlink()
    poster = _poster(video, workdir / "poster.jpg", info.duration) if info.has_video else None
    return Proxy(video=video, peaks=peaks, poster=poster, width=width, height=height)


def _rate_arg(fps: float) -> str:
    return f"{fps:.6f}".rstrip("0").rstrip(".")


def _codecs(info: MediaInfo, options: ProxyOptions, gop: int) -> dict[str, Any]:
    codecs: dict[str, Any] = {}
    if info.has_video:
        codecs.update({"c:v": "libx264", "preset": options.preset, "crf": options.crf, "g": gop,
                       "profile:v": "high", "sc_threshold": 0})
    if info.has_audio:
        codecs.update({"c:a": "aac", "b:a": options.audio_bitrate, "ac": 2})
    return codecs


def write_peaks(pcm: Path, dest: Path, sample_rate: int, samples_per_pixel: int) -> Path:
    """audiowaveform-style peaks (8-bit min/max per ``samples_per_pixel`` samples) from mono s16le PCM."""
    data: list[int] = []
    block = samples_per_pixel * 4096
    with open(pcm, "rb") as fh:
        while raw := fh.read(block * 2):
            samples = np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2")
            pad = (-len(samples)) % samples_per_pixel
            if pad:
                samples = np.concatenate([samples, np.zeros(pad, dtype="<i2")])
            frames = samples.reshape(-1, samples_per_pixel).astype(np.int32)
            pairs = np.stack([frames.min(axis=1), frames.max(axis=1)], axis=1) // 256
            data.extend(pairs.astype(int).ravel().tolist())
    doc = {"version": 2, "channels": 1, "sample_rate": sample_rate, "samples_per_pixel": samples_per_pixel,
           "bits": 8, "length": len(data) // 2, "data": data}
    dest.write_text(json.dumps(doc, separators=(",", ":")))
    return dest


def _poster(video: Path, dest: Path, duration: float) -> Path | None:
    """A frame a tenth of the way in (at most 30 s), past the black of most openings."""
    at = min(30.0, duration / 10) if duration else 0.0
    for seek in (at, 0.0):
        ffmpeg.run(["-ss", f"{seek:.3f}", "-i", str(video), "-frames:v", "1", "-q:v", "3", "-update", "1",
                    "-y", str(dest)], trusted=True, timeout=120)
        if dest.is_file() and dest.stat().st_size > 0:
            return dest
    return None

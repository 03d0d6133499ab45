"""Decoding a recording's audio for Whisper with the hardened ffmpeg runner, and reading it back."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clipper import ffmpeg

SAMPLE_RATE = 16000
BYTES_PER_SAMPLE = 2  # signed 16-bit little-endian


STEREO_RATE = 8000  # enough to tell which channel is louder, at the disk cost of the mono copy


def decode_audio(source: str | Path, dest: str | Path, *, timeout: float = 3600.0, start: float = 0.0,
                 channels: int = 1) -> Path:
    """Write ``source``'s first audio stream from ``start`` seconds as raw 16 kHz mono s16le PCM to ``dest``
    (``channels=2``: two interleaved channels at ``STEREO_RATE``, for telling speakers apart by channel)."""
    dest = Path(dest)
    rate = SAMPLE_RATE if channels == 1 else STEREO_RATE
    argv = [
        *_input(source, start),
        "-map", "0:a:0", "-vn", "-sn", "-dn",
        "-ac", str(channels), "-ar", str(rate), "-f", "s16le", "-acodec", "pcm_s16le",
        "-y", str(dest),
    ]
    ffmpeg.run(argv, timeout=timeout)
    return dest


def pcm_duration(pcm_path: str | Path) -> float:
    return Path(pcm_path).stat().st_size / (SAMPLE_RATE * BYTES_PER_SAMPLE)


def read_pcm(pcm_path: str | Path, start: float = 0.0, seconds: float | None = None) -> np.ndarray:
    """``seconds`` of audio from ``start`` as float32 in [-1, 1]; only that window is read into memory."""
    first = int(round(start * SAMPLE_RATE))
    count = -1 if seconds is None else int(round(seconds * SAMPLE_RATE))
    samples = np.fromfile(pcm_path, dtype="<i2", count=count, offset=first * BYTES_PER_SAMPLE)
    return samples.astype(np.float32) / 32768.0


def read_stereo(pcm_path: str | Path, start: float = 0.0, seconds: float | None = None) -> np.ndarray:
    """(samples, 2) float32 from a ``channels=2`` file written by ``decode_audio``."""
    first = int(round(start * STEREO_RATE)) * 2
    count = -1 if seconds is None else int(round(seconds * STEREO_RATE)) * 2
    samples = np.fromfile(pcm_path, dtype="<i2", count=count, offset=first * BYTES_PER_SAMPLE)
    return (samples[: len(samples) // 2 * 2].astype(np.float32) / 32768.0).reshape(-1, 2)


def _input(source: str | Path, start: float) -> list[str]:
    args: list[str] = []
    for key, value in ffmpeg.HARDENING.items():
        args += [f"-{key}", value]
    if start > 0:
        args += ["-ss", f"{start:.3f}"]
    return [*args, "-i", str(source)]

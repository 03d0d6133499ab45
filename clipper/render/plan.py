"""The render plan: everything one clip's renders need, checked before any ffmpeg runs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from clipper.captions import Word, relative_words
from clipper.errors import RenderError
from clipper.render.branding import BrandingOptions, check
from clipper.render.loudness import Loudness
from clipper.render.presets import PRESETS

DEFAULT_MAX_SECONDS = {"landscape": 600.0, "square": 600.0, "vertical": 180.0}


@dataclass(frozen=True)
class Encoder:
    """libx264 settings shared by every variant (same quality for every output)."""

    preset: str = "veryfast"
    crf: int = 21
    audio_bitrate: str = "160k"


@dataclass(frozen=True)
class Source:
    path: Path
    width: int
    height: int
    fps: float
    has_audio: bool = True
    duration: float = 0.0

    @property
    def has_video(self) -> bool:
        """False for radio and podcasts (no picture, or only cover art): those render as audiograms."""
        return self.width > 0 and self.height > 0


@dataclass(frozen=True)
class RenderPlan:
    source: Source
    start: float
    end: float
    presets: tuple[str, ...]
    words: tuple[Word, ...] = ()
    title: str = ""
    speaker: str = ""
    speaker_role: str = ""
    crop_x: float | None = None  # 0..1 horizontal crop position for square/vertical; None: blurred background
    photo: Path | None = None  # the speaker's photo behind an audiogram (a PNG/JPEG we fetched); None: colour
    branding: BrandingOptions = field(default_factory=BrandingOptions)
    loudness: Loudness = field(default_factory=Loudness)
    encoder: Encoder = field(default_factory=Encoder)
    timeout: float = 3 * 3600.0

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def end_card_seconds(self) -> float:
        return self.branding.end_card_seconds if self.branding.end_card else 0.0

    @property
    def total(self) -> float:
        """Output length: the clip plus the end card, if any."""
        return self.duration + self.end_card_seconds


def build_plan(source: Source, *, start: float, end: float, presets: Sequence[str],
               words: Sequence[Mapping[str, object]] = (), title: str = "", speaker: str = "",
               speaker_role: str = "", crop_x: float | None = None, photo: Path | None = None, branding: BrandingOptions | None = None,
               loudness: Loudness | None = None, encoder: Encoder | None = None,
               max_seconds: Mapping[str, float] | None = None, timeout: float = 3 * 3600.0) -> RenderPlan:
    """Check a clip against the presets' limits and the branding rules; snap its cut to whole frames."""
    branding = branding or BrandingOptions()
    check(branding)
    if not presets:
        raise RenderError("Choose at least one size to render (landscape, square or vertical).")
    unknown = [p for p in presets if p not in PRESETS]
    if unknown:
        raise RenderError(f"Unknown preset {unknown[0]!r}: choose from {', '.join(PRESETS)}.")
    if end <= start:
        raise RenderError("The clip's out point must be after its in point.")
    if source.duration and end > source.duration + 0.05:
        raise RenderError(f"The clip ends at {end:.2f} s but the recording is only {source.duration:.2f} s long.")
    limits = {**DEFAULT_MAX_SECONDS, **(max_seconds or {})}
    for name in presets:
        if end - start > limits[name] + 1e-6:
            raise RenderError(f"The clip is {end - start:.0f} s long; {name} renders can be at most "
                              f"{limits[name]:.0f} s. Shorten the clip or leave out the {name} size.")
    if crop_x is not None and not 0.0 <= crop_x <= 1.0:
        raise RenderError("The crop position must be between 0 (left) and 1 (right).")
    fps = source.fps or 25.0
    # Cut on whole frames: the in and out points each snap to the nearest frame boundary.
    first = round(start * fps)
    frames = max(1, round(end * fps) - first)
    start, end = first / fps, (first + frames) / fps
    return RenderPlan(
        source=source, start=start, end=end, presets=tuple(dict.fromkeys(presets)),
        words=tuple(relative_words(words, start, end)), title=title, speaker=speaker, speaker_role=speaker_role,
        crop_x=crop_x, photo=photo, branding=branding, loudness=loudness or Loudness(), encoder=encoder or Encoder(),
        timeout=timeout,
    )

"""Output presets: landscape 16:9, square 1:1, vertical 9:16, and the size each gets for a source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    width: int
    height: int

    @property
    def aspect(self) -> float:
        return self.width / self.height


PRESETS = {
    "landscape": Preset("landscape", 1920, 1080),
    "square": Preset("square", 1080, 1080),
    "vertical": Preset("vertical", 1080, 1920),
}


def _even(value: float) -> int:
    return max(2, int(round(value / 2)) * 2)


def output_size(preset: Preset, src_width: int, src_height: int) -> tuple[int, int]:
    """Landscape keeps a smaller source's own size (never upscaled); square, vertical and audiograms are fixed."""
    if preset.name != "landscape" or src_width <= 0 or src_height <= 0:  # no picture: an audiogram, full size
        return preset.width, preset.height
    scale = min(1.0, preset.width / src_width, preset.height / src_height)
    return _even(src_width * scale), _even(src_height * scale)

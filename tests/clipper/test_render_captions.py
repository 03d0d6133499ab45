"""Where burned captions land: in the blurred band under the picture (off the broadcaster's own lower third),
and on a box when the branding asks for one. Read from the rendered frames' pixels."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from clipper import ffmpeg
from clipper.captions import CaptionStyle
from clipper.render import BrandingOptions, build_plan, render
from tests.clipper.test_render import source_of, words_at

SIZES = {"square": (1080, 1080), "vertical": (1080, 1920)}


@pytest.fixture(scope="module")
def grey_wide(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """16:9 flat grey with a tone: near-white pixels are caption text, near-black ones a caption box."""
    dest = tmp_path_factory.mktemp("media") / "grey.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=0x808080:s=640x360:r=25:d=3",
                    "-f", "lavfi", "-i", "sine=frequency=440:duration=3", "-c:v", "libx264", "-preset", "ultrafast",
                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(dest)], check=True)
    return dest


def rows_with(raw: bytes, width: int, height: int, test) -> list[int]:  # type: ignore[no-untyped-def]
    """Rows where at least 8 pixels pass ``test`` (grey level)."""
    return [y for y in range(height) if sum(1 for v in raw[y * width:(y + 1) * width:2] if test(v)) >= 8]


def grey_frame(path: Path, at: float, width: int, height: int) -> bytes:
    return ffmpeg.run(["-ss", f"{at:.2f}", "-i", str(path), "-frames:v", "1", "-vf", "format=gray", "-f", "rawvideo",
                       "pipe:1"], trusted=True, capture_stdout=True).stdout


@pytest.fixture(scope="module")
def rendered(grey_wide: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = {}
    for box in (False, True):
        branding = BrandingOptions(strap=False, caption_style=CaptionStyle(box=box))
        plan = build_plan(source_of(grey_wide), start=0.0, end=1.2, presets=list(SIZES),
                          words=words_at(("Homes", "for", "everyone,", "and", "jobs", "now"), 0.0, 0.18), branding=branding)
        out[box] = {r.preset: r.path for r in render(plan, tmp_path_factory.mktemp(f"box-{box}"))}
    return out


@pytest.mark.slow
@pytest.mark.parametrize("preset", list(SIZES))
def test_captions_sit_in_the_band_below_the_picture(rendered, preset: str) -> None:  # type: ignore[no-untyped-def]
    width, height = SIZES[preset]
    picture_bottom = (height - 606) // 2 + 606  # 640x360 scaled to 1080 wide is 607.5, even: 606
    raw = grey_frame(rendered[False][preset], 0.6, width, height)
    text_rows = rows_with(raw, width, height, lambda v: v > 215)
    assert text_rows, "no caption found"
    assert min(text_rows) >= picture_bottom, (preset, min(text_rows), picture_bottom)  # nothing over the picture
    assert min(text_rows) <= picture_bottom + 0.075 * width  # right under it, not adrift in the band
    assert max(text_rows) < height * (0.76 if preset == "vertical" else 0.97)  # above the apps' buttons


@pytest.mark.slow
def test_a_caption_box_is_drawn_when_branding_asks(rendered) -> None:  # type: ignore[no-untyped-def]
    width, height = SIZES["square"]

    def dark(raw: bytes) -> int:
        return sum(1 for v in raw if v < 50)

    plain = dark(grey_frame(rendered[False]["square"], 0.6, width, height))
    boxed = dark(grey_frame(rendered[True]["square"], 0.6, width, height))
    # The outline alone darkens the letters' edges; the box darkens the whole area behind the line.
    assert boxed > 3 * plain, (plain, boxed)

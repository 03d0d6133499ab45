"""Audiograms: the picture for a recording without one (radio, podcasts, phone-ins).

The speaker's photo (People page) or a flat background in the campaign's colour, and a moving waveform of the clip's finished audio, one per
preset at the preset's full size; the captions, name strap, logo and imprint then go on top exactly as on
a video clip. The waveform is drawn from the normalised audio the renders carry, so what moves is what
is heard. Only numbers and colours we checked (``#RRGGBB``) appear in the graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import ffmpeg as ffmpeg_python

from clipper.render.presets import _even

if TYPE_CHECKING:
    from clipper.render.plan import RenderPlan

# A lavfi source is not a file: it needs no protocol, and the only "format" it may be is lavfi itself.
LAVFI_HARDENING = {"protocol_whitelist": "file", "format_whitelist": "lavfi"}
PHOTO_HARDENING = {"protocol_whitelist": "file", "format_whitelist": "image2"}
PHOTO_DIM = 0.5  # the photo is darkened so the waveform and captions read over it
WAVE_SHARE = {"landscape": 0.34, "square": 0.3, "vertical": 0.18}  # the waveform's height, of the frame's


def rate(fps: float) -> str:
    return f"{fps:.6f}".rstrip("0").rstrip(".")


def _hex(colour: str) -> str:
    return "0x" + colour.strip().lstrip("#").upper()


def audiogram_frames(plan: RenderPlan, sound: Any, wanted: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    """Per preset: the background with the waveform of ``sound`` over it, exactly ``plan.total`` long."""
    fps = plan.source.fps or 25.0
    frames = max(1, round(plan.total * fps))
    names = list(plan.presets)
    length = f"{plan.total + 1 / fps:.6f}"
    if plan.photo is not None:  # the speaker's photo from the People page, filling the frame
        background = ffmpeg_python.input(str(plan.photo), f="image2", loop=1, framerate=rate(fps), t=length,
                                         pattern_type="none", **PHOTO_HARDENING).video
    else:
        background = ffmpeg_python.input(f"color=c={_hex(plan.branding.background)}:s=16x16:r={rate(fps)}",
                                         f="lavfi", t=length, **LAVFI_HARDENING).video
    grounds = ffmpeg_python.filter_multi_output(background, "split", len(names)) if len(names) > 1 else None
    waves = ffmpeg_python.filter_multi_output(sound, "asplit", len(names)) if len(names) > 1 else None
    out = {}
    for i, name in enumerate(names):
        width, height = wanted[name]
        ground = grounds[i] if grounds is not None else background
        if plan.photo is not None:
            ground = (ground.filter("scale", width, height, force_original_aspect_ratio="increase")
                      .filter("crop", width, height).filter("format", "yuv420p")
                      .filter("colorchannelmixer", rr=PHOTO_DIM, gg=PHOTO_DIM, bb=PHOTO_DIM))
        else:
            ground = ground.filter("scale", width, height)
        wave_h = _even(height * WAVE_SHARE.get(name, 0.3))
        wave = (waves[i] if waves is not None else sound).filter(
            "showwaves", s=f"{width}x{wave_h}", mode="cline", rate=rate(fps),
            colors=_hex(plan.branding.caption_style.highlight), scale="sqrt", draw="full")
        # Above the middle on vertical (the captions and the apps' buttons own the lower part).
        y = f"(H-h)*{0.38 if name == 'vertical' else 0.42:.2f}"
        frame = ffmpeg_python.overlay(ground, wave.filter("format", "rgba"), x=0, y=y, eof_action="repeat")
        out[name] = frame.filter("trim", end_frame=frames).filter("setpts", "PTS-STARTPTS")
    return out

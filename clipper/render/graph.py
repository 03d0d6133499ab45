"""The video graph: one decode feeding every variant, one small blurred background shared by them.

Built with ffmpeg-python and compiled to an argv list for the one runner. Only numbers and paths we
chose appear in it: captions, straps and the imprint come in through the ASS files we wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ffmpeg as ffmpeg_python

from clipper import ffmpeg
from clipper.limits import output_rate
from clipper.render.audiogram import audiogram_frames, rate
from clipper.render.plan import RenderPlan
from clipper.render.presets import PRESETS, _even, output_size

BLUR_HEIGHT = 320  # the background is blurred on a copy this tall, then scaled up
LOGO_HARDENING = {"protocol_whitelist": "file", "format_whitelist": "png_pipe"}


def sizes(plan: RenderPlan) -> dict[str, tuple[int, int]]:
    s = plan.source
    return {name: output_size(PRESETS[name], s.width, s.height) for name in plan.presets}


def video_graph(plan: RenderPlan, audio: Path, ass: Mapping[str, Path], outputs: Mapping[str, Path]) -> Any:
    """All variants in one ffmpeg run: decode once, split, compose each aspect, encode, copy the shared audio."""
    fps = plan.source.fps or 25.0
    wanted = sizes(plan)
    out_fps = output_rate(fps)  # at most 60 frames a second written, whatever the source declares
    sound = ffmpeg.hardened_input(audio).audio
    if plan.source.has_video:
        pictures = _pictures(plan, wanted)
    else:  # radio, podcasts: an audiogram of the clip's own (finished) audio
        pictures = audiogram_frames(plan, sound, wanted)
    logos = _logos(plan, wanted)
    outs = []
    for name in plan.presets:
        width, height = wanted[name]
        frame = pictures[name].filter("setsar", 1)
        if plan.end_card_seconds and plan.source.has_video:
            frame = frame.filter("tpad", stop_mode="add", stop_duration=f"{plan.end_card_seconds:.3f}", color="black")
        if name in logos:
            margin = round(min(width, height) * 0.04)
            top = round(height * 0.07) if name == "vertical" else margin
            x, y = {"top-left": (f"{margin}", f"{top}"), "top-right": (f"W-w-{margin}", f"{top}"),
                    "bottom-left": (f"{margin}", f"H-h-{top}"),
                    "bottom-right": (f"W-w-{margin}", f"H-h-{top}")}[plan.branding.logo_position]
            frame = ffmpeg_python.overlay(frame, logos[name], x=x, y=y)
        frame = frame.filter("ass", filename=str(ass[name])).filter("format", "yuv420p")
        enc = plan.encoder
        outs.append(ffmpeg_python.output(
            frame, sound, str(outputs[name]), vcodec="libx264", preset=enc.preset, crf=enc.crf, acodec="copy",
            r=rate(out_fps), movflags="+faststart",
            **{"profile:v": "high", "pix_fmt": "yuv420p", "x264-params": "keyint=" + str(max(1, round(out_fps * 2)))},
        ))
    return ffmpeg_python.merge_outputs(*outs)


def _pictures(plan: RenderPlan, wanted: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    """Decode once, split, and compose each aspect: scaled, cropped, or over the shared blurred background."""
    s, fps = plan.source, plan.source.fps or 25.0
    # Seek fast before the input, half a frame early so float rounding never drops the first frame,
    # then keep exactly the clip's frames.
    frames = round(plan.duration * fps)
    src = ffmpeg.hardened_input(s.path, ss=f"{max(0.0, plan.start - 0.5 / fps):.6f}", t=f"{plan.duration + 1 / fps:.6f}")
    v = src.video.filter("trim", end_frame=frames).filter("setpts", "PTS-STARTPTS")
    out_fps = output_rate(fps)  # at most 60 frames a second written, whatever the source declares
    v = v.filter("fps", f"{out_fps:.6f}") if out_fps != fps else v
    blurred = banded(plan)
    branches = ffmpeg_python.filter_multi_output(v, "split", len(plan.presets) + (1 if blurred else 0))
    backgrounds = _backgrounds(branches[len(plan.presets)], plan, blurred, wanted) if blurred else {}
    out = {}
    for i, name in enumerate(plan.presets):
        width, height = wanted[name]
        branch = branches[i]
        if name in backgrounds:
            fg = branch.filter("scale", width, height, force_original_aspect_ratio="decrease", force_divisible_by=2)
            out[name] = ffmpeg_python.overlay(backgrounds[name], fg, x="(W-w)/2", y="(H-h)/2")
        elif name == "landscape":
            out[name] = branch.filter("scale", width, height)
        else:
            out[name] = _crop(branch, plan, width, height)
    return out


def banded(plan: RenderPlan) -> list[str]:
    """The presets that show the whole picture over a blurred band (not landscape, not a volunteer's crop)."""
    if not plan.source.has_video or plan.crop_x is not None:
        return []
    return [n for n in plan.presets if n != "landscape"]


def picture_bottom(plan: RenderPlan, name: str, size: tuple[int, int]) -> int | None:
    """Where the picture ends in a banded preset (what ``scale=...:force_original_aspect_ratio=decrease``
    and the centred overlay give); None where the picture fills the frame."""
    if name not in banded(plan):
        return None
    s, (width, height) = plan.source, size
    scale = min(width / s.width, height / s.height)
    fg_h = int(s.height * scale) // 2 * 2
    return (height - fg_h) // 2 + fg_h


def _backgrounds(stream: Any, plan: RenderPlan, names: list[str], wanted: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    """A blurred, scaled-up copy of the frame behind square/vertical, computed once on a small copy."""
    s = plan.source
    small_w = _even(s.width * BLUR_HEIGHT / s.height)
    small = stream.filter("scale", small_w, BLUR_HEIGHT).filter("boxblur", luma_radius=12, luma_power=2)
    parts = ffmpeg_python.filter_multi_output(small, "split", len(names)) if len(names) > 1 else None
    out = {}
    for i, name in enumerate(names):
        width, height = wanted[name]
        aspect = width / height
        cw, ch = min(small_w, _even(BLUR_HEIGHT * aspect)), min(BLUR_HEIGHT, _even(small_w / aspect))
        branch = parts[i] if parts is not None else small
        out[name] = branch.filter("crop", cw, ch).filter("scale", width, height).filter("setsar", 1)
    return out


def _crop(stream: Any, plan: RenderPlan, width: int, height: int) -> Any:
    """A crop of the source at the volunteer's horizontal position, filling the frame."""
    s, aspect = plan.source, width / height
    cw, ch = min(s.width, _even(s.height * aspect)), min(s.height, _even(s.width / aspect))
    x = round((plan.crop_x if plan.crop_x is not None else 0.5) * (s.width - cw))
    return stream.filter("crop", cw, ch, x, (s.height - ch) // 2).filter("scale", width, height)


def _logos(plan: RenderPlan, wanted: Mapping[str, tuple[int, int]]) -> dict[str, Any]:
    b = plan.branding
    if b.logo_path is None:
        return {}
    logo = ffmpeg_python.input(str(b.logo_path), f="png_pipe", **LOGO_HARDENING).video
    logo = logo.filter("format", "rgba").filter("colorchannelmixer", aa=f"{b.logo_opacity:.3f}")
    parts = ffmpeg_python.filter_multi_output(logo, "split", len(plan.presets))
    return {name: parts[i].filter("scale", _even(wanted[name][0] * b.logo_scale), -1)
            for i, name in enumerate(plan.presets)}
